-- Port forwarding: the VPN gateway sits behind a NAT router that forwards
-- udp/500 and udp/4500 of its outside address to it (DNAT). A road warrior
-- on the internet side connects to the router's address and never learns the
-- gateway's; the gateway sees the client's real address. NAT detection sees
-- the gateway's address rewritten, so IKE floats to 4500, which is forwarded
-- too. Userspace ESP on both ends: it runs on the host.
local net = vpnlab.start("server-behind-nat")
local wan, lan = net.links.wan, net.links.lan
local outside = net.nodes.office:addr("wan")
local gateway = net.nodes.gateway:addr("lan")
local client_addr = net.nodes.client:addr("wan")

net.nodes.gateway:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "forwarded", dataplane = "libipsec", remote = outside, vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "the tunnel is established through the port forward")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0, "a ping goes through it")

wan:seen{ ike = "IKE_SA_INIT", dst = outside, dport = 500, desc = "wan: the client sends IKE_SA_INIT to the router" }
lan:seen{ ike = "IKE_SA_INIT", src = client_addr, dst = gateway, dport = 500,
          desc = "lan: forwarded to the gateway, the client's own address kept" }
wan:transition({ udp = 500 }, { udp = 4500 })
lan:seen{ esp = "udp", src = client_addr, dst = gateway, dport = 4500, desc = "lan: ESP in UDP forwarded to the gateway" }
wan:never{ src = "10.0.0.0/24", desc = "wan: the gateway's inside address never shows" }
