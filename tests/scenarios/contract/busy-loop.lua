-- BUILT TO TIME OUT: a passing point, then a loop that never ends.
vpnlab.ok(true, "before the loop")
local n = 0
while true do n = n + 1 end   -- busy here
