-- BUILT TO ERROR: an unknown packet field in an assertion (tests/20-errors.t).
local net = vpnlab.start("direct")
vpnlab.ok(true, "the lab started")
net.links.net:seen{ bogus = 1 }   -- ERROR-HERE
