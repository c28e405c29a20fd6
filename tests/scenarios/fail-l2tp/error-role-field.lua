-- BUILT TO ERROR (tests/45-l2tp.t): an LNS field given to a LAC.
local net = vpnlab.start("home-nat")
net.nodes.client:l2tp{ remote = "203.0.113.2", user = "alice", password = "x", require_ipsec = true }   -- ERROR-HERE
