-- BUILT TO FAIL: IKEv1 main mode with mode config, a strongSwan road warrior
-- (vip = true) behind the home NAT and a libreswan gateway handing out a
-- pool with a /32 local_ts. Main mode completes and floats to udp/4500, the
-- client asks for an address (TRANSACTION), and pluto 4.10's ModeCfg reply
-- is rejected by strongSwan 5.9's IKEv1 parser ("length of
-- CONFIGURATION_ATTRIBUTE_V1 substructure list invalid"): charon answers
-- with an encrypted INFORMATIONAL, N(PAYLOAD_MALFORMED), retransmits its
-- request, and no quick mode follows. The bundled pair works without mode
-- config: scenarios/interop/ikev1-strongswan-client-libreswan-gw.lua.
-- tests/70-libreswan.t checks that exactly points 4 and 8 fail (the tunnel,
-- and ESP that never flowed).
vpnlab.requires{ "esp" }
local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:libreswan{
  version = 1, psk = "interop-modecfg", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 1, psk = "interop-modecfg", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", keep_alive = 1,
}
client:initiate()
wan:seen{ ike = "MAIN_MODE", udp = 500, within = 5, desc = "wan: IKEv1 main mode starts on udp/500" }
wan:seen{ ike = "TRANSACTION", src = gw_addr, dport = 4500, nonesp = true, within = 5,
          desc = "wan: the gateway's ModeCfg reply, a TRANSACTION on udp/4500 after the float" }
wan:seen{ ike = "INFORMATIONAL", dst = gw_addr, dport = 4500, within = 5,
          desc = "wan: the client answers with an INFORMATIONAL (its N(PAYLOAD_MALFORMED), encrypted)" }
vpnlab.ok(client:await("established", 2), "the tunnel is established (BUILT TO FAIL)")
vpnlab.ok(client:logged("length of CONFIGURATION_ATTRIBUTE_V1 substructure list invalid"),
          "strongSwan's parser rejected the ModeCfg reply: malformed CONFIGURATION_ATTRIBUTE_V1 list")
vpnlab.ok(gw:logged("sent ModeCfg reply"), "libreswan's pluto logged the ModeCfg reply it sent")
wan:never{ ike = "QUICK_MODE", desc = "wan: no quick mode follows" }
wan:seen{ esp = "udp", desc = "wan: ESP in UDP (BUILT TO FAIL: no tunnel, no ESP)" }
