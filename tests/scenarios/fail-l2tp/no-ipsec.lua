-- BUILT TO FAIL (tests/45-l2tp.t): L2TP without IPsec through the home NAT.
-- The session works in clear text, so the point asserting that no clear
-- udp/1701 crosses the WAN fails, and so does the one asserting that no
-- clear PPP LCP does (the ppp filter, failing): exactly points 3 and 6.
vpnlab.requires{ "l2tp", "ppp" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20", users = { alice = "wonderland" },
                        auth = "pap" }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland", auth = "pap" }

lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "PPP is up (PAP, no IPsec)")                                -- 1
vpnlab.is(lac:addresses().peer, "10.77.0.1", "the PPP peer is the LNS")                        -- 2
wan:never{ udp = 1701, desc = "BUILT TO FAIL: no clear udp/1701 on the WAN" }                 -- 3
wan:seen{ l2tp = "SCCRQ", dport = 1701, desc = "wan: the SCCRQ crossed in clear" }            -- 4
wan:seen{ ppp = "PAP", ppp_code = "Authenticate-Ack", desc = "wan: PAP's Authenticate-Ack in clear" } -- 5
wan:never{ ppp = "LCP", desc = "BUILT TO FAIL: no clear PPP LCP on the WAN" }                  -- 6
lac:hangup()
vpnlab.ok(lac:await("down", 10), "after hangup the PPP interface is gone")                     -- 7
