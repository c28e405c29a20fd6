-- BUILT TO ERROR (tests/45-l2tp.t): a misspelt l2tp field.
local net = vpnlab.start("home-nat")
net.nodes.client:l2tp{ remote = "203.0.113.2", user = "alice", pasword = "x" }   -- ERROR-HERE
