-- BUILT TO ERROR: a misspelt node field (tests/20-errors.t).
vpnlab.start{   -- ERROR-HERE
  nodes = { a = { kind = "host", nta = { outside = "ab" } }, b = {} },
  links = { ab = { "a", "b", net = "10.0.0.0/24" } },
}
