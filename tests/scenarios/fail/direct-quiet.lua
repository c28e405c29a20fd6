-- BUILT TO FAIL (tests/10-failures.t reads its TAP). No daemon at all: a
-- direct link carries one ping, so IKE assertions find nothing. Covers
-- `within` waits that run out, count bounds, all-link assertions, custom
-- descriptions, and vpnlab.is/ok. Point numbers are in the comments.
local net = vpnlab.start("direct")
local link = net.links.net
-- 1 ok
local ping = net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", net.nodes.gateway:addr("net") }
vpnlab.is(ping.status, 0, "the gateway answers a ping")
-- 2 ok
link:seen{ proto = "icmp", within = 1 }
-- 3 not ok: waits the whole 0.3 s for IKE that never comes
link:seen{ udp = 500, within = 0.3, desc = "IKE starts within 0.3 s" }   -- FAIL:seen-within
-- 4 not ok: at least 5 pings (there was one request and one reply)
link:count({ proto = "icmp" }, { min = 5 })                             -- FAIL:count-min
-- 5 not ok: on every link at once
net.all:seen{ ike = "IKE_SA_INIT" }                                    -- FAIL:seen-all
-- 6 ok
net.all:never{ proto = "esp" }
-- 7 not ok
vpnlab.is(net.nodes.client:addr("net"), "198.51.100.9", "the client's address")  -- FAIL:is
-- 8 not ok
vpnlab.ok(link:packets{ udp = 4500 } > 0, "something used udp/4500")   -- FAIL:ok
