-- BUILT TO ERROR: a daemon binary that does not exist (tests/20-errors.t).
local net = vpnlab.start("direct")
net.nodes.client:run{ "/nonexistent/vpnd", "--foreground" }   -- ERROR-HERE
