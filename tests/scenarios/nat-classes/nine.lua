-- The nine RFC 4787 classes (mapping x filtering) as configured, each
-- measured by an RFC 5780 behaviour-discovery probe (see classlab.lua).
dofile("classlab.lua")()
