-- Fact 3: behind a NAT, IKE starts on udp/500 and moves to udp/4500 after NAT
-- detection; ESP travels inside udp/4500; no raw ESP crosses the NAT.
-- An IKEv2 road warrior behind a home NAT, kernel data plane: IKE_SA_INIT's
-- NAT detection payloads reveal the NAT, so IKE_AUTH is already on 4500 (behind
-- the non-ESP marker), the kernel encapsulates ESP in UDP 4500 (RFC 3948)
-- because a NAT is really there (not faked), and the NATed client keeps the
-- mapping alive with NAT-T keepalives.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("home-nat")
local wan, lan = net.links.wan, net.links.lan
local client_addr, nat_addr = net.nodes.client:addr("lan"), net.nodes.home:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = "home-nat-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  psk = "home-nat-secret", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

-- IKE starts on 500 ...
wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, response = true,
          desc = "wan: the answer to IKE_SA_INIT (with the NAT detection payloads) comes back on 500" }
-- ... and moves to 4500 once the NAT is detected: IKE_AUTH is already there.
wan:transition({ udp = 500 }, { udp = 4500 })
lan:transition({ udp = 500 }, { udp = 4500 }, { desc = "lan: the client itself moved, not the NAT" })
wan:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500 }
wan:never{ ike = "IKE_AUTH", udp = 500, desc = "wan: no IKE_AUTH on 500" }
-- ESP inside udp/4500, never raw.
wan:seen{ esp = "udp", dport = 4500, within = 2 }
wan:count({ esp = "udp", src = nat_addr }, { min = 3, desc = "wan: the three pings leave the NAT in UDP 4500" })
lan:seen{ esp = "udp", src = client_addr, desc = "lan: the client encapsulates ESP itself, before the NAT" }
wan:never{ esp = "raw" }
lan:never{ esp = "raw" }
wan:never{ src = "192.168.1.0/24", desc = "wan: only the NAT's address, never the home LAN's" }
wan:count({ keepalive = true }, { min = 1, within = 5 })

-- The gateway sees the client as the NAT's outside address, not its LAN address.
local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_host, nat_addr, "the gateway sees the NAT's outside address")
vpnlab.ok(sa and sa.nat_remote, "the gateway detected NAT on the client's side")
local csa = client:sas()[1]
vpnlab.ok(csa and csa.nat_local and not csa.nat_fake, "the client detected itself behind a real NAT (not faked)")
local child = sa and sa.children[1]
vpnlab.ok(child and child.encap, "the CHILD_SA is UDP-encapsulated")
