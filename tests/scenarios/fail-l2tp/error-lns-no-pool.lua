-- BUILT TO ERROR (tests/45-l2tp.t): an LNS without its address pool.
local net = vpnlab.start("home-nat")
net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", users = { alice = "secret" } }   -- ERROR-HERE
