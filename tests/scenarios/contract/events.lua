-- BUILT TO FAIL once (tests/25-contract.t): a runtime event changes the
-- network, and the failing point's diagnostic says which and when.
local net = vpnlab.start("home-nat")
local client, home, wan = net.nodes.client, net.nodes.home, net.links.wan
local gw = net.nodes.gateway:addr("wan")

home:block{ proto = "icmp" }
client:exec{ "ping", "-c", "1", "-W", "1", gw }
wan:seen{ proto = "icmp", desc = "a ping crosses the WAN (fails: icmp is blocked)" }   -- FAILS HERE
home:unblock{ proto = "icmp" }
vpnlab.is(client:exec{ "ping", "-c", "1", "-W", "2", gw }.status, 0, "after the unblock the ping gets through")
wan:seen{ proto = "icmp", desc = "now the ping crosses the WAN" }
