-- BUILT TO FAIL: alice types the wrong password. The gateway's certificate
-- is fine (the client authenticates it), but the MSCHAPv2 response does not
-- verify; the gateway asks for a retry, which a client with one stored
-- password cannot give, so the client gives up with AUTHENTICATION_FAILED
-- (encrypted: only the logs name it). Point 1 must fail; the others pass.
local ca = vpnlab.pki.ca("Lab CA")
local gw_cert = ca:issue{ id = "vpn.lab", eku = { "server", "ike" } }
local net = vpnlab.start("home-nat")
local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, eap = "mschapv2", eap_users = { alice = "wonderland" },
  pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  eap = "mschapv2", user = "alice", password = "looking-glass", ca = ca, remote_id = "vpn.lab",
  remote = net.nodes.gateway:addr("wan"), vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
client:initiate()
vpnlab.ok(client:await("established", 3), "alice's tunnel is established")   -- FAIL:tunnel
vpnlab.ok(client:await("down", 10), "the client gives up")
vpnlab.ok(client:logged("authentication of 'vpn.lab' with %S+ successful"),
          "client log: the gateway's certificate was accepted")
vpnlab.ok(gw:logged("EAP%-MS%-CHAPv2 verification failed"), "gateway log: the MSCHAPv2 response did not verify")
vpnlab.ok(client:logged("EAP%-MS%-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE"),
          "client log: MSCHAPv2 failed with ERROR_AUTHENTICATION_FAILURE")
vpnlab.ok(client:logged("generating INFORMATIONAL request %d+ %[ N%(AUTH_FAILED%) %]"),
          "client log: it sends AUTHENTICATION_FAILED")
net.links.wan:count({ ike = "IKE_AUTH", response = true, sport = 4500 }, { min = 2,
                    desc = "wan: the gateway answered several IKE_AUTH rounds (the EAP exchange)" })
net.links.wan:never{ esp = "udp" }
