-- BUILT TO ERROR (tests/22-inputs.t): a topology FILE whose link has 1025
-- members; the error must point at the link's line in that file.
vpnlab.start("crowd")
vpnlab.ok(false, "never reached")
