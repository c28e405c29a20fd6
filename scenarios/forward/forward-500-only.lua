-- server-behind-nat.lua with only udp/500 forwarded: IKE_SA_INIT reaches
-- the gateway, NAT detection moves IKE to udp/4500, and the router, which
-- forwards nothing on 4500, answers the client's IKE_AUTH with ICMP port
-- unreachable. The float fails and the client gives up in bounded time.
local net = vpnlab.start("server-behind-nat", {
  nodes = { office = { forward = { { proto = "udp", port = 500, to = "gateway" } } } },
})
local wan, lan = net.links.wan, net.links.lan
local outside = net.nodes.office:addr("wan")

net.nodes.gateway:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
-- Short retransmits: 0.5 s, then x1.2, one retry -> gives up after ~1.1 s.
local client = net.nodes.client:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", remote = outside, vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("down", 4), "the client gives up after the float to 4500")

lan:seen{ ike = "IKE_SA_INIT", response = true, sport = 500, desc = "lan: IKE_SA_INIT is forwarded and answered" }
wan:count({ ike = "IKE_AUTH", dst = outside, dport = 4500 }, { exactly = 2,
          desc = "wan: IKE_AUTH to the router's 4500, sent and retransmitted once" })
wan:seen{ proto = "icmp", src = outside, desc = "wan: the router answers 4500 with ICMP (port unreachable)" }
lan:never{ udp = 4500, desc = "lan: nothing on 4500 reaches the gateway" }
