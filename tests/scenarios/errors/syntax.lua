-- BUILT TO ERROR: a Lua syntax error (tests/20-errors.t).
local net = vpnlab.start("direct")
local x = = 1   -- ERROR-HERE
