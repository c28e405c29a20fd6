-- BUILT TO ERROR (tests/45-l2tp.t): an l2tp field of the wrong type.
local net = vpnlab.start("home-nat")
net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20", users = "alice:secret" }   -- ERROR-HERE
