-- BUILT TO BE INTERRUPTED (tests/30-cleanup.t sends SIGINT, SIGTERM or SIGKILL
-- once point 1 is in tap.txt). Left alone it fails after 30 s: nothing ever
-- uses udp/9. While it waits, two charons run behind the home NAT.
-- Both ends use the userspace data plane (dataplane = "libipsec"): it runs on the host.
local net = vpnlab.start("home-nat")
net.nodes.gateway:strongswan{
  version = 2, psk = "interrupt-me", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "interrupt-me", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", keep_alive = 1,
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
net.links.wan:seen{ udp = 9, within = 30, desc = "the signal comes first" }
vpnlab.ok(client:await("down", 30), "the tunnel went down")
