-- BUILT TO FAIL: a strongSwan client and gateway with no IKE proposal in
-- common. The gateway answers IKE_SA_INIT with N(NO_PROPOSAL_CHOSEN) and
-- nothing else happens. tests/69-swan.t checks that exactly points 2 and 4
-- fail (the tunnel, and a notify that is not the one sent), and that point
-- 4's diagnostic names the notify that was there instead.
local net = vpnlab.start("direct")
local wire = net.links.net
local gw_addr = net.nodes.gateway:addr("net")

net.nodes.gateway:strongswan{
  psk = "mismatch", local_ts = "10.1.0.1/32", dataplane = "libipsec", proposals = "aes256-sha512-ecp384",
}
local client = net.nodes.client:strongswan{
  psk = "mismatch", remote = gw_addr, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
  proposals = "aes128-sha256-modp2048",
}
client:initiate()
wire:seen{ ike = "IKE_SA_INIT", response = true, src = gw_addr, notify = "NO_PROPOSAL_CHOSEN", within = 5,
           desc = "net: the gateway answers IKE_SA_INIT with NO_PROPOSAL_CHOSEN" }
vpnlab.ok(client:await("established", 1), "the tunnel is established (BUILT TO FAIL)")
wire:never{ ike = "IKE_AUTH", desc = "net: no IKE_AUTH follows" }
wire:seen{ ike = "IKE_SA_INIT", response = true, notify = "INVALID_KE_PAYLOAD",
           desc = "net: the answer is INVALID_KE_PAYLOAD (BUILT TO FAIL: it is NO_PROPOSAL_CHOSEN)" }
vpnlab.ok(client:logged("NO_PROPOSAL_CHOSEN"), "the client's charon logged the notify it got")
