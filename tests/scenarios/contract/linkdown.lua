-- BUILT TO FAIL once (tests/25-contract.t): link:down() cuts the WAN, a ping
-- dies and nothing crosses; the point that expects it to cross fails and says
-- the link went down before it; link:up() restores the traffic.
local net = vpnlab.start("home-nat")
local client, wan = net.nodes.client, net.links.wan
local gw = net.nodes.gateway:addr("wan")

vpnlab.is(client:exec{ "ping", "-c", "1", "-W", "2", gw }.status, 0, "the ping works before")
wan:down()
local t_down = vpnlab.now()
vpnlab.ok(client:exec{ "ping", "-c", "1", "-W", "1", gw }.status ~= 0, "the ping fails while the link is down")
wan:count({ proto = "icmp" }, { exactly = 2, desc = "only the first ping and its reply are on the wire" })
wan:count({ proto = "icmp" }, { min = 3, desc = "a second ping crosses (fails: the link is down)" })   -- FAILS HERE
wan:up()
vpnlab.is(client:exec{ "ping", "-c", "1", "-W", "2", gw }.status, 0, "the ping works again after up()")
wan:count({ proto = "icmp" }, { exactly = 4, desc = "the third ping and its reply crossed" })
vpnlab.ok(t_down > 0, "down happened during the scenario")
