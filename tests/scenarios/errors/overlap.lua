-- BUILT TO ERROR: two links with overlapping subnets (tests/20-errors.t).
vpnlab.start{   -- ERROR-HERE
  nodes = { a = {}, b = { kind = "router" }, c = {} },
  links = {
    ab = { "a", "b", net = "10.0.0.0/16" },
    bc = { "b", "c", net = "10.0.1.0/24" },
  },
}
