-- Fact 7: L2TP/IPsec remote access through a home NAT. IKEv1 (PSK, transport
-- mode protecting udp/1701) starts on udp/500 and moves to udp/4500 once NAT
-- detection sees the NAT; ESP then travels inside udp/4500, and L2TP (udp/1701:
-- the tunnel, its session, then PPP) only ever crosses the WAN inside it.
vpnlab.requires{ "esp", "l2tp", "ppp" }
vpnlab.tags{ "l2tp", "nat" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
  version = 1, psk = "l2tp-psk", mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local ipsec = net.nodes.client:strongswan{
  version = 1, psk = "l2tp-psk", remote = gw_addr, mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]", keep_alive = 2,
}
local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
                                    users = { alice = "wonderland" } }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland" }

ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "IKEv1 transport-mode SA for udp/1701 is established")
lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "the L2TP session's PPP link is up")
local a = lac:addresses()
vpnlab.is(a.peer, "10.77.0.1", "the client's PPP peer is the LNS's local address")
vpnlab.ok(a["local"] ~= nil and a["local"]:match("^10%.77%.0%.") ~= nil, "the client got an address from the pool")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.77.0.1" }
vpnlab.is(ping.status, 0, "ping across ppp0 reaches the LNS")
vpnlab.ok(#lns:addresses() == 1, "the LNS has one PPP session")

wan:seen{ ike = "MAIN_MODE", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ ike = "QUICK_MODE", dport = 4500, nonesp = true }
wan:seen{ esp = "udp", dport = 4500 }
wan:never{ esp = "raw" }
wan:never{ udp = 1701, desc = "wan: no clear-text L2TP (udp/1701) ever" }
-- Inside ESP (the decrypted view): the L2TP tunnel and session, then PPP.
for _, m in ipairs({ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN" }) do
  wan:seen{ esp = "udp", inner = { l2tp = m }, desc = "wan: L2TP " .. m .. " inside ESP in UDP 4500" }
end
for _, p in ipairs({ "LCP", "CHAP", "IPCP", "IPv4" }) do
  wan:seen{ esp = "udp", inner = { ppp = p }, desc = "wan: PPP " .. p .. " inside L2TP inside ESP" }
end
