-- tests/56-select.t: firewall only.
vpnlab.tags{ "firewall" }
vpnlab.ok(true, "ran allow")
