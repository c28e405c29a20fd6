-- A VPN gateway behind a NAT router that forwards IKE's ports to it (port
-- forwarding, DNAT), and a road warrior on the internet side. The client
-- only ever sees the router's outside address; the gateway, behind the
-- router, sees the client's real address but not its own as the client
-- addressed it, so NAT detection floats IKE to 4500 either way.
--
--   client --wan-- office (NAT, forwards udp/500 and udp/4500) --lan-- gateway
return {
  nodes = {
    client  = { kind = "host" },
    office  = { kind = "router", nat = { outside = "wan" },
                forward = { { proto = "udp", port = 500, to = "gateway" },
                            { proto = "udp", port = 4500, to = "gateway" } } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },   -- default route via office (its one router)
  },
  links = {
    wan = { "office", "client", net = "203.0.113.0/24" },   -- office .1, client .2
    lan = { "office", "gateway", net = "10.0.0.0/24" },     -- office .1, gateway .2
  },
}
