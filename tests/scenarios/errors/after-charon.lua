-- BUILT TO ERROR: a scenario error while two charons run (tests/20-errors.t
-- checks the message, tests/30-cleanup.t that nothing outlives the run).
local net = vpnlab.start("home-nat")
net.nodes.gateway:strongswan{
  dataplane = "libipsec", version = 2, psk = "built-to-error", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  dataplane = "libipsec", version = 2, psk = "built-to-error", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32",
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
client:await("tunnel-up", 1)   -- ERROR-HERE
