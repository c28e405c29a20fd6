-- Runs in the VM (tests/50-vm.t): the stock kernel has every feature the
-- harness probes, and the runner inside knows it is the vm backend.
vpnlab.requires{ "esp", "ah", "l2tp", "ppp", "netem", "userns", "nftables" }
vpnlab.is(vpnlab.backend, "vm", "the scenario runs on the vm backend")
local f = io.open("/proc/sys/kernel/osrelease")
local release = f and f:read("l")
if f then f:close() end
vpnlab.ok(release and release:match("^%d+%.%d+"), "the guest kernel reports its release: " .. tostring(release))
