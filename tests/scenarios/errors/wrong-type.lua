-- BUILT TO ERROR: net given as a number (tests/20-errors.t).
vpnlab.start{   -- ERROR-HERE
  nodes = { a = {}, b = {} },
  links = { ab = { "a", "b", net = 24 } },
}
