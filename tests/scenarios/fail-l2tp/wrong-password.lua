-- BUILT TO FAIL (tests/45-l2tp.t): L2TP/IPsec through the home NAT with a
-- wrong CHAP password. IPsec and the L2TP tunnel come up, the LNS's pppd
-- rejects the CHAP response and PPP never comes up: exactly point 2 fails,
-- and the await ends when pppd gives up, not at its deadline.
vpnlab.requires{ "esp", "l2tp", "ppp" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{ version = 1, psk = "fail-l2tp", mode = "transport",
                              local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
local ipsec = net.nodes.client:strongswan{ version = 1, psk = "fail-l2tp", remote = gw_addr, mode = "transport",
                                           local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
                                    users = { alice = "wonderland" } }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "looking-glass" }

ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "IPsec is established")                           -- 1
lac:connect()
local t0 = vpnlab.now()
vpnlab.ok(lac:await("ppp-up", 20), "BUILT TO FAIL: PPP comes up with a wrong CHAP password") -- 2
vpnlab.ok(vpnlab.now() - t0 < 15, "the wait ended when pppd gave up, before its deadline")    -- 3
vpnlab.is(#lac:addresses(), 0, "the client has no PPP interface")                           -- 4
vpnlab.ok(lns:logged("CHAP authentication"), "the LNS's pppd logged the CHAP failure")      -- 5
wan:seen{ esp = "udp", inner = { ppp = "CHAP" }, desc = "wan: the CHAP exchange crossed inside ESP" } -- 6
