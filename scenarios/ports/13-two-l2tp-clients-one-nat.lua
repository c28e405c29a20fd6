-- Fact 13: two L2TP/IPsec clients behind one NAT, one server (a long-standing
-- field failure). Both IKE SAs come up, each on its own outside port (the
-- first keeps 4500, the NAT gives the second another). But in transport mode
-- both SAs protect the same thing as the server sees it: the NAT's address,
-- udp/1701 to udp/1701. The server's kernel has one outbound policy for it,
-- which both SAs share; it picks the newest SA, so once the second client is
-- connected every L2TP packet for the NAT's address is encrypted for the
-- second client and sent to its port: the first client's session goes silent.
-- Both L2TP tunnels also look alike to the server (peer 203.0.113.1:1701):
-- what becomes of the second client's own session varies from run to run
-- (measured in 18 runs: its PPP came up in 15, its pings were answered in
-- some runs and not in others; unanswered L2TP data went up to the server's
-- xl2tpd in user space, "write_packet: tty is not open yet"), so the scenario
-- reports it as a comment, not a point. This configuration (one
-- transport-mode policy per NATed address, L2TP peers told apart by address
-- and port) serves one client per NAT; the scenario asserts that the second
-- breaks the first, on the wire and in the server's state.
vpnlab.requires{ "esp", "l2tp", "ppp" }
vpnlab.tags{ "l2tp", "nat" }

local net = vpnlab.start("two-clients-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")
local nat_addr = net.nodes.home:addr("wan")

local gw = net.nodes.gateway:strongswan{
  version = 1, psk = "two-l2tp", mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
                                    users = { one = "pw-one", two = "pw-two" } }
local ipsec, lac = {}, {}
for i, name in ipairs({ "client", "client2" }) do
  ipsec[i] = net.nodes[name]:strongswan{
    version = 1, psk = "two-l2tp", remote = gw_addr, mode = "transport", id = name,
    local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]", keep_alive = 2,
  }
  lac[i] = net.nodes[name]:l2tp{ remote = gw_addr, user = i == 1 and "one" or "two",
                                 password = i == 1 and "pw-one" or "pw-two" }
end

local function ping(name)
  return net.nodes[name]:exec{ "ping", "-c", "2", "-i", "0.3", "-W", "3", "10.77.0.1" }.status
end

-- The first client alone: everything works.
ipsec[1]:initiate()
vpnlab.ok(ipsec[1]:await("established", 15), "client 1: IPsec up")
lac[1]:connect()
vpnlab.ok(lac[1]:await("ppp-up", 20), "client 1: PPP up")
vpnlab.is(ping("client"), 0, "client 1 alone: ping across ppp0")

-- The second client: its IKE SA gets its own outside port.
ipsec[2]:initiate()
vpnlab.ok(ipsec[2]:await("established", 15), "client 2: IPsec up")
local ports = {}
for _, sa in ipairs(gw:sas()) do
  if sa.remote_host == nat_addr then ports[#ports + 1] = sa.remote_port end
end
table.sort(ports)
vpnlab.comment("server: IKE SAs from the NAT's outside ports " .. table.concat(ports, ", "))
vpnlab.ok(#ports == 2 and ports[1] ~= ports[2], "server: two IKE SAs from the NAT's address, on distinct outside ports")
local port2 = ports[1] == 4500 and ports[2] or ports[1]

local pol = net.nodes.gateway:exec{ "ip", "xfrm", "policy", "list", "dir", "out", "proto", "udp" }.output
local _, nout = pol:gsub("dir out", "")
vpnlab.is(nout, 1, "server: one outbound udp/1701 policy for the NAT's address, shared by both SAs")

lac[2]:connect()
-- Client 2's own outcome varies from run to run: reported, not asserted.
local up2 = lac[2]:await("ppp-up", 8)
vpnlab.ok(ping("client") ~= 0, "client 1: its pings die once client 2 is connected (the second breaks the first)")
local p2 = up2 and ping("client2") == 0
vpnlab.comment(string.format("client 2: PPP %s, ping across its ppp0 %s%s", up2 and "up" or "not up",
                             p2 and "answered" or "not answered",
                             lns:logged("tty is not open yet") and "; the server's xl2tpd got L2TP data in user space"
                             .. " (\"tty is not open yet\")" or ""))

wan:seen{ esp = "udp", src = gw_addr, dport = port2,
          desc = "wan: the server encrypts L2TP for the NAT's address to client 2's outside port" }
wan:seen{ esp = "udp", src = nat_addr, sport = port2, desc = "wan: client 2's ESP leaves the NAT from its own port" }
wan:seen{ esp = "udp", src = nat_addr, sport = 4500, desc = "wan: client 1's ESP keeps port 4500" }
wan:never{ udp = 1701, desc = "wan: no clear udp/1701" }
wan:never{ esp = "raw" }
