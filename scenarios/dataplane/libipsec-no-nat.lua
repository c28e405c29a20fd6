-- strongSwan's userspace data plane (kernel-libipsec) with no NAT on the
-- path: it can only send ESP inside UDP, so each end fakes its NAT detection
-- payloads and claims the other is behind a NAT. IKE moves from udp/500 to
-- udp/4500 although nothing rewrites addresses, and ESP never appears as IP
-- protocol 50. The same exchange on the kernel data plane stays on 500 with
-- raw ESP (ports/02-no-nat-esp-is-protocol-50.lua).
local net = vpnlab.start("direct")
local wire = net.links.net

local gw = net.nodes.gateway:strongswan{
  psk = "userspace", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "userspace", remote = net.nodes.gateway:addr("net"), vip = true,
  remote_ts = "10.1.0.1/32", mobike = false, dataplane = "libipsec",
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

wire:transition({ udp = 500 }, { udp = 4500 })
wire:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500 }
wire:count({ esp = "udp" }, { min = 6, desc = "net: three pings and replies as ESP in UDP 4500" })
wire:never{ esp = "raw", desc = "net: never IP protocol 50" }

local sa, gw_sa = client:sas()[1], gw:sas()[1]
vpnlab.is(gw_sa and gw_sa.remote_host, net.nodes.client:addr("net"), "the gateway sees the client's own address: no NAT")
vpnlab.ok(sa and sa.nat_remote and gw_sa and gw_sa.nat_remote,
          "yet each end believes the other is behind a NAT (faked NAT detection)")
local child = sa and sa.children[1]
vpnlab.ok(child and child.encap, "the CHILD_SA is UDP-encapsulated")
