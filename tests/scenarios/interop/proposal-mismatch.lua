-- BUILT TO FAIL: a libreswan road warrior behind the home NAT and a
-- strongSwan gateway with no IKE proposal in common. The gateway answers
-- IKE_SA_INIT with N(NO_PROPOSAL_CHOSEN), no IKE_AUTH follows and nothing
-- floats to udp/4500. tests/70-libreswan.t checks that exactly points 2 and 6
-- fail (the tunnel, and ESP that never flowed).
vpnlab.requires{ "esp" }
local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
  psk = "interop-mismatch", local_ts = "10.1.0.1/32", pool = "10.99.0.0/24", proposals = "aes256-sha384-ecp384",
}
local client = net.nodes.client:libreswan{
  psk = "interop-mismatch", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
  proposals = "aes128-sha1-modp2048",
}
client:initiate()
wan:seen{ ike = "IKE_SA_INIT", response = true, src = gw_addr, notify = "NO_PROPOSAL_CHOSEN", within = 5,
          desc = "wan: strongSwan answers libreswan's IKE_SA_INIT with NO_PROPOSAL_CHOSEN" }
vpnlab.ok(client:await("established", 2), "the tunnel is established (BUILT TO FAIL)")
vpnlab.ok(client:logged("NO_PROPOSAL_CHOSEN"), "libreswan's pluto logged the notify it got")
wan:never{ ike = "IKE_AUTH", desc = "wan: no IKE_AUTH follows" }
wan:never{ udp = 4500, desc = "wan: nothing floats to udp/4500" }
wan:seen{ esp = "udp", desc = "wan: ESP in UDP (BUILT TO FAIL: no tunnel, no ESP)" }
