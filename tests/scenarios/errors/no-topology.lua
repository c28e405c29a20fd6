-- BUILT TO ERROR: a topology name that no folder has (tests/20-errors.t).
local net = vpnlab.start("no-such-topology")   -- ERROR-HERE
