-- BUILT TO ERROR: a /30 has two host addresses, the link has three members (tests/20-errors.t).
vpnlab.start{   -- ERROR-HERE
  nodes = { a = {}, b = {}, c = {} },
  links = { abc = { "a", "b", "c", net = "10.0.0.0/30" } },
}
