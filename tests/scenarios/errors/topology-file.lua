-- BUILT TO ERROR: a topology FILE with overlapping subnets, loaded by name
-- from ./topologies next to this scenario (tests/20-errors.t).
local net = vpnlab.start("bad-overlap")
vpnlab.ok(false, "never reached")
