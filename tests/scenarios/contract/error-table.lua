vpnlab.ok(true, "first")
error({})   -- raised here
