-- A road warrior on a home LAN behind one NAT router, and a VPN gateway on
-- the internet side. The gateway has no route to the LAN: only the NAT's
-- outside address is visible to it, as on a real home connection.
--
--   client --lan-- home (NAT) --wan-- gateway
return {
  nodes = {
    client  = { kind = "host" },
    home    = { kind = "router", nat = { outside = "wan" } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },   -- an inside address to reach through the tunnel
  },
  links = {
    lan = { "home", "client", net = "192.168.1.0/24" },      -- home .1, client .2
    wan = { "home", "gateway", net = "203.0.113.0/24" },     -- home .1, gateway .2
  },
}
