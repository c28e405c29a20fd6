-- BUILT TO ERR: a write outside the results folder.
local f = io.open("/tmp/vpnlab-contract-escape", "w")   -- refused here
f:write("escaped")
