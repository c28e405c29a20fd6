-- tests/56-select.t: vpnlab.tags{ "commented" } in a comment declares nothing.
--[[ vpnlab.tags{ "blockcomment" } ]]
local s = "vpnlab.tags{ 'instring' }"
vpnlab.tags{ "firewall", "slow" }
vpnlab.ok(s ~= nil, "ran block")
