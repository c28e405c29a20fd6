-- BUILT TO FAIL: the same capture as pass.lua; points 2, 3, 4 and 6 fail
-- (tests/63-check.t checks exactly those, and their diagnostics).
local wan = vpnlab.links.wan
wan:seen{ ike = "IKE_SA_INIT" }
wan:never{ esp = "udp", desc = "built to fail: there is ESP in UDP" }
wan:seen{ esp = "raw" }
wan:seen{ icmp = "dest-unreach", within = 0.2, desc = "built to fail: no ICMP in the first 0.2 s" }
wan:count({ ike = "IKE_SA_INIT" }, { exactly = 2 })
vpnlab.is(wan:packets{ esp = "raw" }, 1, "built to fail: is()")
