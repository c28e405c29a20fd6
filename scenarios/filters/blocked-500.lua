-- A home router that blocks udp/500: the client's IKE_SA_INIT never leaves
-- the LAN, nothing establishes, and since IKE only floats to 4500 after a
-- completed IKE_SA_INIT, no udp/4500 appears anywhere. Userspace ESP on both
-- ends: it runs on the host.
local net = vpnlab.start("home-nat", {
  nodes = { home = { firewall = { block = { { proto = "udp", port = 500 } } } } },
})
local lan, wan = net.links.lan, net.links.wan

net.nodes.gateway:strongswan{
  version = 2, psk = "blocked", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
-- Short retransmits: 0.5 s, then x1.2, one retry -> gives up after ~1.1 s.
local client = net.nodes.client:strongswan{
  version = 2, psk = "blocked", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("down", 4), "the client gives up: nothing establishes")
vpnlab.ok(#client:sas() == 0, "no IKE SA is left")

lan:count({ ike = "IKE_SA_INIT", initiator = true, dport = 500 }, { exactly = 2,
          desc = "lan: IKE_SA_INIT sent and retransmitted once" })
wan:never{ udp = 500, desc = "wan: no IKE on 500 crosses the router" }
net.all:never{ udp = 4500, desc = "no udp/4500 on any link" }
