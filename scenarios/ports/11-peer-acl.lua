-- Fact 11: an ACL that allows only listed peer addresses: a listed peer
-- connects; an unlisted one sees its IKE_SA_INIT go unanswered ("IKE
-- initiator but no reply: check the ACL and NAT").
-- The gateway's own input ACL (nftables, what `iptables -A INPUT -s PEER -p
-- udp --dport 500 -j ACCEPT` plus a drop does) lets IKE (udp/500, udp/4500)
-- in only from a set of listed peers. Two road warriors behind a plain
-- router: client is listed, client2 is not. IKE is the fact here, not the
-- data plane: both use userspace ESP (dataplane = "libipsec") and it runs on
-- the host.
local net = vpnlab.start("firewalled")
local lan, wan = net.links.lan, net.links.wan
local gateway = net.nodes.gateway
local gw_addr = gateway:addr("wan")
local listed, unlisted = net.nodes.client:addr("lan"), net.nodes.client2:addr("lan")

gateway:nft(string.format([[
table inet peer_acl {
  set peers { type ipv4_addr; elements = { %s } }
  chain input {
    type filter hook input priority filter; policy accept;
    udp dport { 500, 4500 } ip saddr != @peers counter drop comment "IKE from an unlisted peer"
  }
}
]], listed))

local gw = gateway:strongswan{
  psk = "acl-secret", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
-- Short retransmits: 0.5 s, then x1.2, one retry -> gives up after ~1.1 s.
local function client(node, id)
  return net.nodes[node]:strongswan{
    psk = "acl-secret", dataplane = "libipsec", remote = gw_addr, vip = true, id = id,
    remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
  }
end
local good, bad = client("client", "listed"), client("client2", "unlisted")

good:initiate()
bad:initiate()
vpnlab.ok(good:await("established", 4), "the listed peer's tunnel is established")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0,
          "the listed peer's ping goes through the tunnel")
wan:seen{ ike = "IKE_SA_INIT", response = true, dst = listed, desc = "wan: the listed peer's IKE_SA_INIT is answered" }

vpnlab.ok(bad:await("down", 4), "the unlisted peer gives up: IKE initiator but no reply (check the ACL and NAT)")
vpnlab.ok(bad:logged("giving up after 1 retransmits"), "the unlisted peer's charon gave up on retransmits")
wan:count({ ike = "IKE_SA_INIT", initiator = true, src = unlisted, dport = 500 }, { exactly = 2,
          desc = "wan: the unlisted peer's IKE_SA_INIT reaches the gateway, sent and retransmitted once" })
net.all:never{ ike = "IKE_SA_INIT", response = true, dst = unlisted,
               desc = "no answer to the unlisted peer on any link" }
net.all:never{ udp = 4500, src = unlisted, desc = "the unlisted peer never got as far as 4500" }
vpnlab.ok(not gw:logged("received packet: from " .. unlisted:gsub("%.", "%%.") .. "%["),
          "the gateway's charon never received a packet from the unlisted peer")

local sas = gw:sas()
vpnlab.ok(#sas == 1 and sas[1].remote_host == listed, "the gateway has one IKE SA, the listed peer's")
local acl = gateway:exec{ "nft", "list", "chain", "inet", "peer_acl", "input" }.output
local dropped = tonumber(acl:match("counter packets (%d+)") or "0")
vpnlab.is(dropped, 2, "the ACL dropped the unlisted peer's two IKE_SA_INITs")
