-- Fact 9: a server firewall that accepts udp/1701 only when it arrived under
-- an IPsec policy (nftables' `meta ipsec exists`; iptables' `-m policy --dir in
-- --pol ipsec`): L2TP inside IPsec reaches xl2tpd and PPP comes up, while a
-- second client's clear-text L2TP to udp/1701 is dropped at the server, so its
-- SCCRQ is retransmitted and never gets an SCCRP.
vpnlab.requires{ "esp", "l2tp", "ppp" }
vpnlab.tags{ "l2tp", "firewall" }

local net = vpnlab.start("two-clients-nat", { nodes = { gateway = { firewall = {
  block_input = { { proto = "udp", port = 1701, ipsec = false } },   -- udp/1701 only under IPsec
} } } })
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
  version = 1, psk = "policy-1701", mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
                                    users = { alice = "inside", mallory = "outside" } }
local ipsec = net.nodes.client:strongswan{
  version = 1, psk = "policy-1701", remote = gw_addr, mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "inside" }
local clear = net.nodes.client2:l2tp{ remote = gw_addr, user = "mallory", password = "outside" }

-- L2TP inside IPsec: accepted.
ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "client: IKEv1 transport-mode SA for udp/1701 is established")
lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "client: L2TP under IPsec is accepted and PPP comes up")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.77.0.1" }.status, 0,
          "client: ping across ppp0")
wan:seen{ inner = { l2tp = "SCCRP" }, src = gw_addr, desc = "wan: the server's SCCRP travels inside ESP" }

-- Clear-text L2TP from client2: dropped by the server's input filter.
clear:connect()
wan:count({ l2tp = "SCCRQ", dport = 1701 }, { min = 2, within = 6,
          desc = "wan: client2's clear SCCRQ crosses the WAN and is retransmitted (no answer)" })
wan:never{ l2tp = "SCCRP", within = 1, desc = "wan: the server never answers clear L2TP (no clear SCCRP)" }
vpnlab.is(#clear:addresses(), 0, "client2: no PPP interface")
vpnlab.is(#lns:addresses(), 1, "server: one PPP session, the IPsec client's")
local rules = net.nodes.gateway:exec{ "nft", "list", "chain", "inet", "vpnlab", "filter_input" }.output
vpnlab.ok(rules:match("meta ipsec missing counter packets [1-9]") ~= nil,
          "server: the `meta ipsec missing` rule for udp/1701 counted the dropped packets")
