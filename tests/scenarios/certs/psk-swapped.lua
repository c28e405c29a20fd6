-- BUILT TO FAIL: per-peer secrets are per peer. client@lab presents
-- other@lab's secret; the gateway, holding one secret for each identity,
-- refuses it (AUTHENTICATION_FAILED, in the logs only: IKE_AUTH is
-- encrypted). Point 1 must fail; the others pass.
local net = vpnlab.start("home-nat")
local gw = net.nodes.gateway:strongswan{
  psk = { ["client@lab"] = "first-secret", ["other@lab"] = "second-secret" },
  pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "second-secret", id = "client@lab", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
client:initiate()
vpnlab.ok(client:await("established", 3), "client@lab's tunnel is established")   -- FAIL:tunnel
vpnlab.ok(gw:logged("tried 1 shared key for 'gateway' %- 'client@lab', but MAC mismatched"),
          "gateway log: the one secret for client@lab did not match")
vpnlab.ok(client:logged("received AUTHENTICATION_FAILED notify error"), "client log: AUTHENTICATION_FAILED")
net.links.wan:seen{ ike = "IKE_AUTH", response = true, sport = 4500 }
net.links.wan:never{ esp = "udp" }
