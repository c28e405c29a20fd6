-- Interop: IKEv1 main mode with a PSK, a libreswan road warrior behind the
-- home NAT and a strongSwan gateway. Main mode starts on udp/500, NAT-D in
-- messages 3-4 moves messages 5-6 and quick mode to udp/4500, and ESP
-- travels inside UDP 4500; mode config leases an address of the pool.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "interop", "libreswan", "ikev1" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  version = 1, psk = "interop-v1", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:libreswan{
  version = 1, psk = "interop-v1", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 15), "libreswan's IKEv1 tunnel to strongSwan is established")
vpnlab.ok(gw:await("established", 5), "strongSwan says the tunnel is established too")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

wan:count({ ike = "MAIN_MODE", udp = 500, nonesp = false }, { exactly = 4 })
wan:count({ ike = "MAIN_MODE", udp = 4500, nonesp = true }, { exactly = 2 })
wan:seen{ ike = "QUICK_MODE", dport = 4500, nonesp = true }
wan:never{ ike = "QUICK_MODE", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }
