-- BUILT TO ERROR: a kernel feature name that does not exist (tests/20-errors.t).
vpnlab.requires{ "esp", "ipsec" }   -- ERROR-HERE
