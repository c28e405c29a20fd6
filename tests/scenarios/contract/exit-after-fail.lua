-- BUILT TO FAIL: a failing point, then an attempt to end the run with success.
vpnlab.ok(false, "this point fails")
os.exit(0)   -- refused here
