-- Two NATs in a row (topologies/double-nat.lua) and the default routes the
-- lab gives: the client has one router neighbour (home), so its default route
-- goes there; the gateway's only router neighbour is the carrier NAT seen
-- from its outside, so it gets none and still has no route into either
-- inside. IKEv2 crosses both NATs: 500, then 4500, ESP in UDP, and the WAN
-- shows only the carrier's address. Userspace ESP: it runs on the host.
local net = vpnlab.start("double-nat")
local lan, isp, wan = net.links.lan, net.links.isp, net.links.wan
local function route(node, what)
  return net.nodes[node]:exec{ "ip", "-4", "route", "show", what }.output
end

vpnlab.ok(route("client", "default"):find("default via " .. net.nodes.home:addr("lan") .. " dev lan", 1, true),
          "the client's default route goes through home")
vpnlab.is(route("gateway", "default"), "", "the gateway has no default route (its one router is a NAT seen from outside)")
vpnlab.is(route("gateway", "192.168.1.0/24") .. route("gateway", "100.64.0.0/24"), "",
          "and no route into either inside")

net.nodes.gateway:strongswan{
  version = 2, psk = "twice", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "twice", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "the tunnel is established through both NATs")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0, "a ping goes through it")

isp:seen{ ike = "IKE_SA_INIT", src = net.nodes.home:addr("isp"), desc = "isp: the home NAT's address" }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", desc = "wan: ESP in UDP" }
wan:never{ src = "192.168.1.0/24", desc = "wan: no home LAN address" }
wan:never{ src = "100.64.0.0/24", desc = "wan: no provider address" }
