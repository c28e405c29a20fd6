-- tests/56-select.t: nat and slow, so --tags nat,!slow leaves it out.
vpnlab.tags({ "nat",
              "slow" })   -- the parens form, over two lines
vpnlab.ok(true, "ran cgnat")
