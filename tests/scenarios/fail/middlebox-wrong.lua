-- BUILT TO FAIL (tests/10-failures.t reads its TAP). The middleboxes do their
-- job: the home router masquerades the LAN and drops udp/4500. The wrong
-- expectations below assume they did not. Point numbers are in the comments.
-- Both ends use the userspace data plane (dataplane = "libipsec"): it runs on the host.
local net = vpnlab.start("home-nat", {
  nodes = { home = { firewall = { block = { { proto = "udp", port = 4500 } } } } },
})
local lan, wan = net.links.lan, net.links.wan

net.nodes.gateway:strongswan{
  version = 2, psk = "middlebox", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "middlebox", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.3, base = 1.2 },
}
client:initiate()
-- 1 ok: IKE_SA_INIT on 500 gets through the NAT
wan:seen{ ike = "IKE_SA_INIT", response = true, within = 2 }
-- 2 not ok (ok): the blocked router stops IKE_AUTH on 4500
vpnlab.ok(client:await("established", 1.5), "the tunnel is established")    -- FAIL:blocked-tunnel
-- 3 ok: IKE_AUTH left the client on 4500
lan:seen{ udp = 4500, ike = "IKE_AUTH" }
-- 4 not ok (seen): nothing on 4500 crosses the blocking router
wan:seen{ udp = 4500 }                                                      -- FAIL:blocked-wan
-- 5 not ok (seen): masquerade hides the LAN addresses from the WAN
wan:seen{ src = "192.168.1.0/24" }                                          -- FAIL:nat-hides-lan
-- 6 ok: the same fact, stated the right way
wan:never{ src = "192.168.1.0/24" }
