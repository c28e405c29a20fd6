-- Fails before its pause (tests/67-live.t): vpnlab up must name this file
-- and line 6, and leave nothing running.
local net = vpnlab.start("home-nat")
net.nodes.client:exec{ "true" }
local missing = net.nodes.nosuch
missing:exec{ "true" }
vpnlab.pause()
