-- A host behind a VPN gateway answers a road warrior's virtual IP over its
-- automatic default route (topologies/gateway-lan.lua): no hand-added route.
-- The road warrior, behind a home NAT, gets a virtual IP from the gateway's
-- pool; the gateway (a router) protects its office LAN and forwards between
-- the tunnel and that LAN. The server's only route beyond its LAN is the
-- default route through the gateway, so its replies to the virtual IP go
-- there and back into the tunnel. On the wire: the office LAN carries the
-- ping from the virtual IP and the reply to it, the WAN only ESP in UDP.
local net = vpnlab.start("gateway-lan")
local office, wan = net.links.office, net.links.wan
local server = net.nodes.server
local saddr, gaddr = server:addr("office"), net.nodes.gateway:addr("office")
local function route(what)
  return server:exec{ "ip", "-4", "route", "show", what }.output
end

vpnlab.ok(route("default"):find("default via " .. gaddr .. " dev office", 1, true),
          "the server's default route goes through the gateway")
vpnlab.is(route("10.99.0.0/24"), "", "the server has no route of its own to the pool")

net.nodes.gateway:strongswan{
  version = 2, psk = "office", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.2.0.0/24",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "office", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.2.0.0/24", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "the tunnel is established")
local sa = client:sas()[1] or {}
local vip = (sa.local_vips or {})[1] or "none"
vpnlab.ok(vip:match("^10%.99%.0%.%d+$") ~= nil, "the client got a virtual IP from the gateway's pool (" .. vip .. ")")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "2", saddr }.status, 0,
          "the client pings the server through the tunnel")

office:seen{ src = vip, dst = saddr, proto = "icmp", desc = "office: the ping from the virtual IP" }
office:seen{ src = saddr, dst = vip, proto = "icmp", desc = "office: the server's reply to the virtual IP" }
wan:seen{ esp = "udp", desc = "wan: ESP in UDP" }
wan:never{ proto = "icmp", desc = "wan: no clear ICMP" }
wan:never{ src = "10.99.0.0/24", desc = "wan: no virtual IP in the clear" }
wan:never{ dst = "10.99.0.0/24", desc = "wan: nothing to the virtual IP in the clear" }
wan:never{ src = "10.2.0.0/24", desc = "wan: no office address in the clear" }
wan:never{ esp = "raw", desc = "wan: no raw ESP (libipsec encapsulates)" }
