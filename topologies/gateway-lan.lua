-- A road warrior on a home LAN behind a NAT, and a VPN gateway that is the
-- router of an office LAN: the server there has no route of its own to the
-- road warriors' virtual IPs, only its automatic default route through the
-- gateway (its one router neighbour).
--
--   client --lan-- home (NAT) --wan-- gateway --office-- server
return {
  nodes = {
    client  = { kind = "host" },
    home    = { kind = "router", nat = { outside = "wan" } },
    gateway = { kind = "router" },
    server  = { kind = "host" },
  },
  links = {
    lan    = { "home", "client", net = "192.168.1.0/24" },     -- home .1, client .2
    wan    = { "home", "gateway", net = "203.0.113.0/24" },    -- home .1, gateway .2
    office = { "gateway", "server", net = "10.2.0.0/24" },     -- gateway .1, server .2
  },
}
