-- IKEv2 with no NAT on the path and the kernel data plane: IKE stays on
-- udp/500 from start to finish, and the tunnel's packets cross the wire as
-- IP protocol 50, never inside UDP. (strongSwan's userspace data plane would
-- put everything in udp/4500: dataplane/libipsec-no-nat.lua.) MOBIKE is
-- off: with it, strongSwan moves IKE to udp/4500 even without a NAT.
local net = vpnlab.start("direct")
local wire = net.links.net

local gw = net.nodes.gateway:strongswan{
  psk = "direct-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  psk = "direct-secret", remote = net.nodes.gateway:addr("net"), vip = true,
  remote_ts = "10.1.0.1/32", mobike = false,
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

wire:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wire:seen{ ike = "IKE_AUTH", sport = 500, dport = 500 }
wire:seen{ esp = "raw", within = 2 }
wire:count({ proto = "esp" }, { min = 6, desc = "net: three pings and replies as IP protocol 50" })
wire:never{ udp = 4500 }
wire:never{ nonesp = true }
wire:never{ proto = "icmp", desc = "net: no ping crossed outside the tunnel" }

local sa = gw:sas()[1]
vpnlab.ok(sa and not sa.nat_remote and not sa.nat_local, "the gateway detected no NAT")
local child = sa and sa.children[1]
vpnlab.ok(child and not child.encap, "the CHILD_SA is not UDP-encapsulated")
