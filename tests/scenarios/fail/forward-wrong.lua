-- BUILT TO FAIL (tests/10-failures.t reads its TAP). The port forward does
-- its job: the client talks to the router's outside address, the router
-- forwards udp/500 and udp/4500 to the gateway behind it and keeps the
-- client's own address as the source. The wrong expectations below assume it
-- did not. Point numbers are in the comments. Userspace ESP: runs on the host.
local net = vpnlab.start("server-behind-nat")
local wan, lan = net.links.wan, net.links.lan
local gateway = net.nodes.gateway:addr("lan")
local client_addr = net.nodes.client:addr("wan")

net.nodes.gateway:strongswan{
  version = 2, psk = "forward", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "forward", dataplane = "libipsec", remote = net.nodes.office:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
-- 1 ok: the forwarded ports carry the whole exchange
vpnlab.ok(client:await("established", 4), "the tunnel is established")
-- 2 not ok (seen): the gateway's inside address never appears on the WAN
wan:seen{ dst = gateway }                                                   -- FAIL:inside-hidden
-- 3 not ok (never): DNAT keeps the client's address as the source on the LAN
lan:never{ src = client_addr, dport = 500 }                                 -- FAIL:source-kept
-- 4 ok: IKE reaches the gateway on 4500 too
lan:seen{ dst = gateway, dport = 4500 }
