-- BUILT TO ERROR: a runtime error in the scenario's own code (tests/20-errors.t).
local net = vpnlab.start("direct")
vpnlab.ok(true, "the lab started")
local sas = nil
local first = sas[1]   -- ERROR-HERE
