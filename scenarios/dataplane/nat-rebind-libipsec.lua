-- The home router reboots mid-tunnel (home:remap: its NAT forgets every
-- mapping and now picks outside ports from 40000-40099), so the client's
-- ESP-in-UDP reaches the gateway from a new outside port. With strongSwan's
-- userspace data plane (kernel-libipsec) on both ends, the gateway never
-- follows: it keeps sending ESP to the NAT's old port, the NAT answers
-- with ICMP port unreachable, and the tunnel is dead although both ends
-- believe it is up. The kernel data plane follows (nat-rebind-kernel.lua).
local net = vpnlab.start("home-nat")
local home, wan = net.nodes.home, net.links.wan
local gw_addr, home_addr = net.nodes.gateway:addr("wan"), home:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = "rebind", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "rebind", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
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
wan:never{ proto = "icmp", desc = "wan: no ICMP before the remap" }

local to_old = wan:packets{ esp = "udp", src = gw_addr, dport = 4500 }
home:remap{ port_range = "40000-40099" }
vpnlab.ok(ping() ~= 0, "after the remap, the tunnel carries nothing")
wan:count({ esp = "udp", src = gw_addr, dport = 4500 }, { min = to_old + 1,
          desc = "wan: the gateway keeps sending ESP to the old port 4500" })
local port = outside_port()
vpnlab.ok(port, "wan: the client's ESP now leaves the NAT from port " .. tostring(port))
wan:never{ esp = "udp", src = gw_addr, dport = port or 0,
           desc = "wan: the gateway never sends ESP to the new port" }
wan:seen{ proto = "icmp", src = home_addr, dst = gw_addr,
          desc = "wan: the NAT answers the gateway's ESP to the old port with ICMP (port unreachable)" }
local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_port, 4500, "the gateway's IKE SA still points at the old port")
vpnlab.is(client:state(), "established", "the client still believes the tunnel is up")
