-- BUILT TO FAIL: the CA revokes the client's certificate before the lab
-- starts; the gateway loads the CA's CRL and refuses the client in IKE_AUTH,
-- answering it with AUTHENTICATION_FAILED (encrypted, so only the logs name
-- it). A second client whose certificate is not revoked connects to the same
-- gateway meanwhile. Points 1 and 2 (the revoked client's tunnel and ping)
-- must fail; every other point passes.
local ca = vpnlab.pki.ca("Lab CA")
local gw_cert = ca:issue{ id = "gw.lab" }
local revoked = ca:issue{ id = "client@lab" }
local good = ca:issue{ id = "other@lab" }
ca:revoke(revoked)

local net = vpnlab.start("two-clients-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local bad_client = net.nodes.client:strongswan{
  cert = revoked, ca = ca, remote_id = "gw.lab", remote = gw_addr, vip = true,
  remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
bad_client:initiate()
vpnlab.ok(bad_client:await("established", 3), "the revoked client's tunnel is established")   -- FAIL:tunnel
local ping = net.nodes.client:exec{ "ping", "-c", "1", "-W", "1", "10.1.0.1" }
vpnlab.is(ping.status, 0, "the revoked client's ping through the tunnel")                      -- FAIL:ping

vpnlab.ok(gw:logged("certificate was revoked"), "gateway log: certificate was revoked")
vpnlab.ok(gw:logged("N%(AUTH_FAILED%)"), "gateway log: it answers AUTHENTICATION_FAILED")
vpnlab.ok(bad_client:logged("received AUTHENTICATION_FAILED notify error"),
          "client log: it received AUTHENTICATION_FAILED")
wan:seen{ ike = "IKE_AUTH", initiator = true, dport = 4500 }
wan:seen{ ike = "IKE_AUTH", response = true, sport = 4500,
          desc = "wan: the gateway answers IKE_AUTH (its encrypted AUTHENTICATION_FAILED)" }
wan:never{ esp = "udp", desc = "wan: no ESP while only the revoked client tried" }

-- The certificate that is not revoked still works with the same gateway and CRL.
local good_client = net.nodes.client2:strongswan{
  cert = good, ca = ca, remote_id = "gw.lab", remote = gw_addr, vip = true,
  remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
good_client:initiate()
vpnlab.ok(good_client:await("established", 10), "other@lab (not revoked) connects to the same gateway")
vpnlab.is(net.nodes.client2:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0,
          "other@lab's ping through its tunnel")
