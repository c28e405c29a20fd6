-- Runs in the VM (tests/50-vm.t): the stock kernel has every feature the
-- harness probes, and the runner inside knows it is the vm backend.
vpnlab.requires{ "esp", "ah", "l2tp", "ppp", "netem", "userns", "nftables" }
vpnlab.is(vpnlab.backend, "vm", "the scenario runs on the vm backend")
local net = vpnlab.start("direct")
local release = net.nodes.client:exec{ "uname", "-r" }.output:match("^%S+")
vpnlab.ok(release and release:match("^%d+%.%d+"), "the guest kernel reports its release: " .. tostring(release))
