-- BUILT TO TIME OUT in its topology file (topologies/forever.lua).
vpnlab.ok(true, "before the topology")
vpnlab.start("forever")
