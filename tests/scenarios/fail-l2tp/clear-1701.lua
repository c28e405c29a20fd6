-- BUILT TO FAIL (tests/45-l2tp.t): a working L2TP/IPsec session through the
-- home NAT, and a point that asserts clear udp/1701 on the WAN: L2TP only
-- ever crosses inside ESP, so exactly point 3 fails.
vpnlab.requires{ "esp", "l2tp", "ppp" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{ version = 1, psk = "fail-l2tp", mode = "transport",
                              local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
local ipsec = net.nodes.client:strongswan{ version = 1, psk = "fail-l2tp", remote = gw_addr, mode = "transport",
                                           local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20", users = { alice = "wonderland" } }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland" }

ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "IPsec is established")                           -- 1
lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "PPP is up")                                               -- 2
wan:seen{ udp = 1701, within = 1, desc = "BUILT TO FAIL: clear udp/1701 on the WAN" }        -- 3
wan:seen{ esp = "udp", inner = { l2tp = "ICCN" }, desc = "wan: the ICCN crossed inside ESP" } -- 4
