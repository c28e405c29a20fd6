-- A road warrior behind two NATs: its home router masquerades the LAN onto
-- the provider's network, and the provider's carrier-grade box masquerades
-- that onto the internet, where the VPN gateway is. Neither the gateway nor
-- the carrier has a route into a NATed inside.
--
--   client --lan-- home (NAT) --isp-- carrier (NAT) --wan-- gateway
return {
  nodes = {
    client  = { kind = "host" },
    home    = { kind = "router", nat = { outside = "isp" } },
    carrier = { kind = "router", nat = { outside = "wan" } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },
  },
  links = {
    lan = { "home", "client", net = "192.168.1.0/24" },     -- home .1, client .2
    isp = { "carrier", "home", net = "100.64.0.0/24" },     -- carrier .1, home .2
    wan = { "carrier", "gateway", net = "203.0.113.0/24" }, -- carrier .1, gateway .2
  },
}
