-- BUILT TO BE INTERRUPTED (tests/25-contract.t): a lab with no daemons, one
-- passing point, then two long waits that nothing satisfies or breaks. A
-- signal during either wait must never be scored as the assertion.
local net = vpnlab.start("home-nat")
vpnlab.ok(true, "the lab is up")
vpnlab.write("waiting", "1")   -- the test sends its signal once this file exists
net.links.wan:count({ udp = 9 }, { min = 1, within = 30, desc = "count: udp/9 appears" })
net.links.wan:never{ udp = 9, within = 30, desc = "never: udp/9 stays away" }
