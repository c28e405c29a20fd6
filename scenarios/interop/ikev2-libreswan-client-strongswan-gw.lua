-- Interop: a libreswan road warrior behind the home NAT dials a strongSwan
-- gateway, IKEv2 with a PSK: the float to udp/4500, ESP in UDP and never raw
-- on the WAN, and a ping from the leased address through the tunnel.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "interop", "libreswan", "ikev2" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = "interop-v2", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:libreswan{
  psk = "interop-v2", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 15), "libreswan's tunnel to strongSwan is established")
vpnlab.ok(gw:await("established", 5), "strongSwan says the tunnel is established too")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")
local sa = client:sas()[1] or { children = {}, local_vips = {} }
vpnlab.is(sa.remote_port, 4500, "libreswan's IKE SA is on udp/4500 after the float")
vpnlab.ok(#sa.local_vips == 1 and sa.local_vips[1]:match("^10%.99%.0%.") ~= nil,
          "libreswan got an address of strongSwan's pool")
local ch = sa.children[1] or {}
vpnlab.ok(ch.state == "INSTALLED" and ch.spi_in ~= nil and ch.spi_out ~= nil,
          "its CHILD_SA is installed with both SPIs")

wan:seen{ ike = "IKE_SA_INIT", udp = 500 }
wan:seen{ ike = "IKE_AUTH", dport = 4500, nonesp = true }
wan:never{ ike = "IKE_AUTH", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }

-- sas() has node:strongswan's keys, from pluto's own status.
sa = client:sas()[1] or { children = {} }
ch = sa.children[1] or {}
vpnlab.is(sa.local_id, "client", "libreswan's sas(): its own identity")
vpnlab.is(sa.remote_id, "gateway", "libreswan's sas(): the gateway's identity")
vpnlab.ok((ch.bytes_out or 0) > 0 and (ch.bytes_in or 0) > 0, "libreswan's sas(): the ping's bytes both ways")
