-- Interop: IKEv1 main mode with a PSK, a strongSwan road warrior behind the
-- home NAT and a libreswan gateway. Main mode starts on udp/500, NAT-D in
-- messages 3-4 moves messages 5-6 and quick mode to udp/4500, and ESP
-- travels inside UDP 4500. No mode config (pluto 4.10's reply breaks
-- strongSwan's IKEv1 parser: tests/scenarios/interop/ikev1-modecfg-split.lua):
-- the client proposes its own LAN address, which the gateway accepts as a
-- private address behind the NAT (virtual_private: pluto's vhost:%priv;
-- without it pluto's SA is for the NAT's address and the ping fails).
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "interop", "libreswan", "ikev1" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")
local client_addr = net.nodes.client:addr("lan")

local gw = net.nodes.gateway:libreswan{
  version = 1, psk = "interop-v1", local_ts = "10.1.0.1/32", virtual_private = "192.168.0.0/16",
}
local client = net.nodes.client:strongswan{
  version = 1, psk = "interop-v1", remote = gw_addr, remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 15), "strongSwan's IKEv1 tunnel to libreswan is established")
vpnlab.ok(gw:await("established", 5), "libreswan says the tunnel is established too")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")
local sa = gw:sas()[1] or { children = {} }
vpnlab.is(sa.remote_port, 4500, "libreswan's ISAKMP SA is on udp/4500 after the float")
-- pluto instantiates vhost:%priv as the address the client proposed.
vpnlab.ok(gw:logged("them: [%d.]+%[@client%]===" .. client_addr:gsub("%.", "%%.") .. "/32"),
          "libreswan took the client's LAN address " .. client_addr .. " behind the NAT as its subnet")

wan:count({ ike = "MAIN_MODE", udp = 500, nonesp = false }, { exactly = 4 })
wan:count({ ike = "MAIN_MODE", udp = 4500, nonesp = true }, { exactly = 2 })
wan:seen{ ike = "QUICK_MODE", dport = 4500, nonesp = true }
wan:never{ ike = "QUICK_MODE", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }
