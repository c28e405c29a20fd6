-- Never starts a lab (tests/67-live.t): vpnlab up has nothing to hold.
vpnlab.ok(true, "a point without a lab")
