-- IKEv1 road warrior behind a home NAT: main mode starts on udp/500, NAT
-- detection (NAT-D payloads in messages 3-4) moves messages 5-6 and quick
-- mode to udp/4500, and ESP travels inside UDP 4500.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "nat", "ikev1" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
  version = 1, psk = "home-nat-v1", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 1, psk = "home-nat-v1", remote = gw_addr, vip = true,
  remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the client's IKEv1 tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

-- Messages 1-4 of main mode on 500, then 5-6 on 4500 with the non-ESP marker.
wan:count({ ike = "MAIN_MODE", udp = 500, nonesp = false }, { exactly = 4 })
wan:count({ ike = "MAIN_MODE", udp = 4500, nonesp = true }, { exactly = 2 })
wan:seen{ ike = "QUICK_MODE", dport = 4500, nonesp = true }
wan:never{ ike = "QUICK_MODE", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }
wan:count({ keepalive = true }, { min = 1, within = 5 })
