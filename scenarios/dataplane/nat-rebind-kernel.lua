-- The home router reboots mid-tunnel (home:remap: its NAT forgets every
-- mapping and now picks outside ports from 40000-40099), so the client's
-- ESP-in-UDP reaches the gateway from a new outside port. With the kernel
-- data plane (the default) the gateway's kernel notices the new port on the
-- first packet and tells charon (an XFRM mapping event), which moves the
-- SAs there: after at most a stale packet the tunnel works again. The same
-- scenario with the userspace data plane fails (nat-rebind-libipsec.lua).
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("home-nat")
local home, wan = net.nodes.home, net.links.wan
local gw_addr, home_addr = net.nodes.gateway:addr("wan"), home:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = "rebind", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  psk = "rebind", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
}
local function ping()
  return net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.1.0.1" }.status
end
-- The client's outside port after the remap: its ESP leaves the NAT from it.
local function outside_port()
  for p = 40000, 40099 do
    if wan:packets{ esp = "udp", src = home_addr, sport = p } > 0 then return p end
  end
end

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
vpnlab.is(ping(), 0, "traffic flows through the tunnel")
wan:seen{ esp = "udp", src = gw_addr, dport = 4500, desc = "wan: the gateway sends ESP to the NAT's port 4500" }

home:remap{ port_range = "40000-40099" }
vpnlab.is(ping(), 0, "after the remap, traffic flows again")
local port = outside_port()
vpnlab.ok(port, "wan: the client's ESP now leaves the NAT from port " .. tostring(port))
wan:seen{ esp = "udp", src = gw_addr, dport = port or 0,
          desc = "wan: the gateway follows: its ESP goes to the new port" }
local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_port, port, "the gateway's IKE SA moved to the new port")
vpnlab.is(client:state(), "established", "the client's tunnel is still up")
