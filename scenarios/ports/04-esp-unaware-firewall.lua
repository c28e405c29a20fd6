-- Fact 4: a stateful firewall that does not track ESP breaks the data path
-- although IKE completes; encapsulation in udp/4500 restores it.
-- An ESP-unaware stateful firewall (no NAT): it passes udp/500 and udp/4500
-- but drops IP protocol 50. Two road warriors sit behind it. The first uses
-- plain ESP: IKE completes, so both ends believe the tunnel is up, yet no
-- data gets through. The second forces UDP encapsulation (encap = yes) and
-- its tunnel works, which is why operators turn that option on. Plain ESP
-- needs the kernel data plane: the userspace one always encapsulates.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("firewalled", { nodes = { fw = { firewall = { esp = "drop" } } } })
local lan, wan = net.links.lan, net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = "fw-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local plain = net.nodes.client:strongswan{
  psk = "fw-secret", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", id = "plain",
}
local encap = net.nodes.client2:strongswan{
  psk = "fw-secret", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", id = "encap",
  encap = true,
}
local function ping(node)
  return net.nodes[node]:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.1.0.1" }.status
end

plain:initiate()
encap:initiate()
vpnlab.ok(plain:await("established", 10), "plain ESP: IKE completes through the firewall")
vpnlab.ok(encap:await("established", 10), "forced encapsulation: IKE completes through the firewall")

vpnlab.ok(ping("client") ~= 0, "plain ESP: no data gets through the tunnel")
vpnlab.is(ping("client2"), 0, "forced encapsulation: data flows through the tunnel")

local client_addr, client2_addr = net.nodes.client:addr("lan"), net.nodes.client2:addr("lan")
wan:seen{ ike = "IKE_AUTH", response = true, dst = client_addr, desc = "wan: the plain client's IKE_AUTH is answered" }
lan:count({ esp = "raw", src = client_addr }, { min = 3, desc = "lan: the plain client sends its pings as protocol 50" })
wan:never{ esp = "raw", desc = "wan: the firewall let no protocol 50 through" }
wan:never{ esp = "udp", src = client_addr, desc = "wan: the plain client never encapsulated its ESP" }
wan:count({ esp = "udp", src = client2_addr }, { min = 3, desc = "wan: the encapsulating client's pings cross in UDP" })
wan:count({ esp = "udp", dst = client2_addr, sport = 4500 }, { min = 3,
          desc = "wan: and the gateway's replies come back in UDP 4500" })
vpnlab.is(plain:state(), "established", "the plain client still believes its tunnel is up")

local encap_of = {}
for _, sa in ipairs(gw:sas()) do
  local child = sa.children[1]
  if child then encap_of[sa.remote_host] = child.encap end
end
vpnlab.is(encap_of[client_addr], false, "the gateway's CHILD_SA for the plain client is raw ESP")
vpnlab.is(encap_of[client2_addr], true, "the gateway's CHILD_SA for the other is UDP-encapsulated")
