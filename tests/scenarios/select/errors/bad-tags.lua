-- tests/56-select.t: a wrong tag raises at this line.
vpnlab.tags{ "ok", 42 }   -- ERROR-HERE
vpnlab.ok(true, "not reached")
