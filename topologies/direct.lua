-- Client and gateway on one routed path with no NAT in between.
--
--   client --net-- gateway
return {
  nodes = {
    client  = { kind = "host" },
    gateway = { kind = "host", lo = "10.1.0.1/32" },
  },
  links = {
    net = { "client", "gateway", net = "198.51.100.0/24" },  -- client .1, gateway .2
  },
}
