-- Slow to reach its pause (tests/67-live.t): a lab that is still starting
-- when up is interrupted, its holder killed, or down is asked for.
local net = vpnlab.start("home-nat")
net.nodes.client:exec{ "sleep", "60", timeout = 90 }
vpnlab.pause()
