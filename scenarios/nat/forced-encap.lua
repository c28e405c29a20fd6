-- Forced UDP encapsulation with no NAT on the path (strongSwan encap = yes):
-- the client pretends to be behind a NAT in its NAT detection payloads, so
-- IKE moves to udp/4500 and ESP travels inside UDP although nothing on the
-- wire rewrites addresses. Operators use it to get through ESP-unaware boxes
-- (failures/esp-unaware-firewall.lua).
local net = vpnlab.start("direct")
local wire = net.links.net

local gw = net.nodes.gateway:strongswan{
  psk = "encap-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  psk = "encap-secret", remote = net.nodes.gateway:addr("net"), vip = true,
  remote_ts = "10.1.0.1/32", encap = true,
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

wire:transition({ udp = 500 }, { udp = 4500 })
wire:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500 }
wire:seen{ esp = "udp", within = 2 }
wire:never{ esp = "raw" }

local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_host, net.nodes.client:addr("net"), "the gateway sees the client's own address: no NAT")
local child = sa and sa.children[1]
vpnlab.ok(child and child.encap, "the CHILD_SA is UDP-encapsulated anyway")
