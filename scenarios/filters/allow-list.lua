-- An office firewall that lets out only IKE (udp/500 and udp/4500 leaving
-- by its outside link) and drops everything else it forwards: the allow list
-- with its default drop. Replies to what went out pass (connection tracking).
-- Userspace ESP travels in UDP 4500, so the tunnel works and a ping through
-- it passes, while a plain ping to the same gateway dies at the firewall.
vpnlab.tags{ "firewall" }

local net = vpnlab.start("firewalled", {
  nodes = { fw = { firewall = { allow = { { proto = "udp", port = 500, dir = "out" },
                                          { proto = "udp", port = 4500, dir = "out" } } } } },
})
local lan, wan = net.links.lan, net.links.wan
local gw = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
  version = 2, psk = "allowed", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "allowed", dataplane = "libipsec", remote = gw, vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "IKE is allowed out: the tunnel is established")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0, "a ping through the tunnel passes")
vpnlab.ok(net.nodes.client:exec{ "ping", "-c", "1", "-W", "1", gw }.status ~= 0, "a plain ping to the gateway does not")

wan:seen{ esp = "udp", desc = "wan: ESP in UDP 4500 crosses the firewall" }
lan:seen{ proto = "icmp", dst = gw, desc = "lan: the plain ping was sent" }
wan:never{ proto = "icmp", desc = "wan: no plain ICMP crosses the firewall" }
