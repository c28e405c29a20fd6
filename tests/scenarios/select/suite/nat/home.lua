-- tests/56-select.t: a nat scenario (no lab: it only reports itself).
vpnlab.tags{ "nat" }
vpnlab.ok(true, "ran home")
