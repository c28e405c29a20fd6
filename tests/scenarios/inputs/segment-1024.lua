-- BUILT TO ERROR (tests/22-inputs.t): one link of 1024 members given as a
-- table in the scenario; a bridge has 1023 ports. Rejected before building,
-- at the line of vpnlab.start.
local nodes, big = {}, { net = "10.8.0.0/21" }
for i = 1, 1024 do
  local name = string.format("n%04d", i)
  nodes[name] = {}
  big[i] = name
end
vpnlab.start{ nodes = nodes, links = { big = big } }   -- ERROR-HERE
vpnlab.ok(false, "never reached")
