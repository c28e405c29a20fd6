-- BUILT TO ERROR (tests/22-inputs.t): 1024 members with the Lua topology
-- validation switched off, so the C model (topo.c) must refuse the link
-- itself, naming it, before anything is built.
require("vpnlab.topology").validate = function() end
local nodes, big = {}, { net = "10.8.0.0/21" }
for i = 1, 1024 do
  local name = string.format("n%04d", i)
  nodes[name] = {}
  big[i] = name
end
vpnlab.start{ nodes = nodes, links = { big = big } }   -- ERROR-HERE
vpnlab.ok(false, "never reached")
