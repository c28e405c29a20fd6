-- Needs the kernel's ESP (tests/67-live.t): a live lab runs on the host
-- backend, so on a kernel without ESP vpnlab up refuses it clearly.
vpnlab.requires{ "esp" }
vpnlab.start("home-nat")
vpnlab.pause()
