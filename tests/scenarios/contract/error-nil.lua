vpnlab.ok(true, "first")
error(nil)   -- raised here
