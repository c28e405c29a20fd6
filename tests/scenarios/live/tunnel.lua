-- A live lab with a tunnel (tests/67-live.t): a road warrior behind the home
-- NAT reaches the gateway (userspace ESP, libipsec: it runs on the host),
-- then vpnlab up holds the lab at the pause. Under vpnlab run the pause only
-- writes a TAP comment and the scenario goes on to its end.
local net = vpnlab.start("home-nat")
local gw_addr = net.nodes.gateway:addr("wan")
net.nodes.gateway:strongswan{
  psk = "live-lab", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "live-lab", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
vpnlab.pause()
vpnlab.is(client:state(), "established", "after the pause the tunnel is still up")
