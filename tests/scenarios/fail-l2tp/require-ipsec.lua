-- BUILT TO FAIL (tests/45-l2tp.t): an LNS with require_ipsec = true and a
-- LAC that dials it without IPsec. The LNS's input rule drops the clear
-- SCCRQ, so no tunnel, no session, no PPP: exactly point 1 fails.
vpnlab.requires{ "esp", "l2tp", "ppp" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20", users = { alice = "wonderland" },
                        require_ipsec = true }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland" }

lac:connect()
vpnlab.ok(lac:await("ppp-up", 4), "BUILT TO FAIL: PPP comes up without IPsec")                 -- 1
wan:count({ l2tp = "SCCRQ", dport = 1701 }, { min = 2, desc = "wan: the clear SCCRQ is retransmitted" }) -- 2
wan:never{ l2tp = "SCCRP", desc = "wan: the LNS never answers it" }                            -- 3
local rules = net.nodes.gateway:exec{ "nft", "list", "table", "inet", "vpnlab_l2tp" }.output
vpnlab.ok(rules:match("meta ipsec missing counter packets [1-9]") ~= nil, "the LNS's rule counted the drops") -- 4
