-- tests/56-select.t: a declared requirement, for --list's requires= column.
vpnlab.requires{ "l2tp", "ppp" }
vpnlab.tags{ "l2tp" }
vpnlab.ok(true, "ran needs-l2tp")
