-- BUILT TO BE INTERRUPTED (tests/25-contract.t) during a never{within=}: an
-- interrupted never must not pass without having watched.
local net = vpnlab.start("home-nat")
vpnlab.ok(true, "the lab is up")
vpnlab.write("waiting", "1")   -- the test sends its signal once this file exists
net.links.wan:never{ udp = 9, within = 30, desc = "never: udp/9 stays away" }
