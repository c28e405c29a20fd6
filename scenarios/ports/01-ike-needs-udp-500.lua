-- Fact 1: IKE uses udp/500. Every IKE exchange starts with IKE_SA_INIT from
-- and to udp/500; udp/4500 comes only after it (NAT-T's float). So a home
-- router that blocks udp/500 stops everything: the client's IKE_SA_INIT never
-- leaves the LAN, nothing establishes, and no udp/4500 ever appears. Then the
-- router lets udp/500 through again and the same client, unchanged, connects:
-- 500 was all it lacked. IKE is the fact here, not the data plane: both ends
-- use userspace ESP (dataplane = "libipsec"), so it runs on the host.
local net = vpnlab.start("home-nat", {
  nodes = { home = { firewall = { block = { { proto = "udp", port = 500 } } } } },
})
local lan, wan, home = net.links.lan, net.links.wan, net.nodes.home

net.nodes.gateway:strongswan{
  version = 2, psk = "blocked", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
-- Short retransmits: 0.5 s, then x1.2, one retry -> gives up after ~1.1 s.
local client = net.nodes.client:strongswan{
  version = 2, psk = "blocked", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}

-- udp/500 blocked: nothing starts.
client:initiate()
vpnlab.ok(client:await("down", 4), "udp/500 blocked: the client gives up, nothing establishes")
vpnlab.ok(#client:sas() == 0, "no IKE SA is left")
lan:count({ ike = "IKE_SA_INIT", initiator = true, sport = 500, dport = 500 }, { exactly = 2,
          desc = "lan: IKE starts with IKE_SA_INIT from and to udp/500, sent and retransmitted once" })
lan:never{ ike = "IKE_SA_INIT", response = true, desc = "lan: no answer ever comes back" }
wan:never{ udp = 500, desc = "wan: no IKE on 500 crosses the router" }
net.all:never{ udp = 4500, desc = "no udp/4500 on any link: without 500, IKE never gets to 4500" }

-- udp/500 open again: the same client connects.
home:unblock{ proto = "udp", port = 500 }
client:initiate()
vpnlab.ok(client:await("established", 4), "udp/500 open again: the same client establishes")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0, "a ping goes through the tunnel")
wan:seen{ ike = "IKE_SA_INIT", initiator = true, dport = 500, desc = "wan: IKE_SA_INIT crosses on udp/500 now" }
wan:seen{ ike = "IKE_SA_INIT", response = true, sport = 500, desc = "wan: and its answer comes back from udp/500" }
wan:transition({ udp = 500 }, { udp = 4500 }, { desc = "wan: 500 first; udp/4500 only after it" })
