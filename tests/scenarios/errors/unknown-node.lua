-- BUILT TO ERROR: a link names a node that does not exist (tests/20-errors.t).
vpnlab.start{   -- ERROR-HERE
  nodes = { a = {}, b = {} },
  links = { ab = { "a", "c", net = "10.0.0.0/24" } },
}
