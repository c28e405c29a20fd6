-- IKEv2 road warrior behind a home NAT: NAT detection moves IKE from
-- udp/500 to udp/4500, the kernel encapsulates ESP in UDP 4500 (RFC 3948)
-- because a NAT is really there, and the NATed client keeps the mapping
-- alive with NAT-T keepalives.
local net = vpnlab.start("home-nat")
local wan, lan = net.links.wan, net.links.lan

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

wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500 }
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }
lan:never{ esp = "raw" }
wan:count({ keepalive = true }, { min = 1, within = 5 })

-- The gateway sees the client as the NAT's outside address, not its LAN address.
local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_host, net.nodes.home:addr("wan"), "the gateway sees the NAT's outside address")
vpnlab.ok(sa and sa.nat_remote, "the gateway detected NAT on the client's side")
local child = sa and sa.children[1]
vpnlab.ok(child and child.encap, "the CHILD_SA is UDP-encapsulated")
