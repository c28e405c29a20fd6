-- tests/56-select.t: no tags at all.
vpnlab.ok(true, "ran plain")
