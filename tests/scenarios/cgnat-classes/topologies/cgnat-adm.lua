-- BUILT TO FAIL (errors.lua): a carrier asking for address-dependent mapping,
-- which a cgnat refuses; the error must name the mapping line (line 8).
return {
  nodes = {
    sub = {},
    carrier = { kind = "router", cgnat = {
      outside = "internet", subscribers = "100.64.0.0/24", external = { "198.51.100.10" }, ports_per_subscriber = 100,
      mapping = "address-dependent",
    } },
    server = {},
  },
  links = {
    access = { "carrier", "sub", net = "100.64.0.0/24" },
    internet = { "carrier", "server", net = "198.51.100.0/24" },
  },
}
