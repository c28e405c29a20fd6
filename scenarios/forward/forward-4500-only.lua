-- server-behind-nat.lua with only udp/4500 forwarded, and a client that starts
-- IKE on 4500 (remote_port = 4500: from its own 4500, with the non-ESP marker):
-- no udp/500 is ever needed, so the tunnel comes up through the one port.
local net = vpnlab.start("server-behind-nat", {
  nodes = { office = { forward = { { proto = "udp", port = 4500, to = "gateway" } } } },
})
local wan, lan = net.links.wan, net.links.lan

net.nodes.gateway:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", remote = net.nodes.office:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", remote_port = 4500, retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "the tunnel is established through udp/4500 alone")

wan:seen{ ike = "IKE_SA_INIT", initiator = true, sport = 4500, dport = 4500, nonesp = true,
          desc = "wan: IKE_SA_INIT starts on 4500, behind the non-ESP marker" }
lan:seen{ ike = "IKE_SA_INIT", response = true, sport = 4500, desc = "lan: the gateway answers on 4500" }
net.all:never{ udp = 500, desc = "no udp/500 on any link" }
