-- An ESP-unaware stateful firewall (no NAT): it passes udp/500 and udp/4500
-- but drops IP protocol 50. Two road warriors sit behind it. The first uses
-- plain ESP: IKE completes, so both ends believe the tunnel is up, yet no
-- data gets through. The second forces UDP encapsulation (encap = yes) and
-- its tunnel works, which is why operators turn that option on. Plain ESP
-- needs the kernel data plane: the userspace one always encapsulates.
local net = vpnlab.start("firewalled", { nodes = { fw = { firewall = { esp = "drop" } } } })
local lan, wan = net.links.lan, net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{
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
lan:seen{ esp = "raw", src = client_addr, desc = "lan: the plain client sends ESP as protocol 50" }
wan:never{ esp = "raw", desc = "wan: the firewall let no protocol 50 through" }
wan:never{ esp = "udp", src = client_addr, desc = "wan: the plain client never encapsulated its ESP" }
wan:seen{ esp = "udp", src = client2_addr, desc = "wan: the encapsulating client's ESP crosses in UDP" }
vpnlab.is(plain:state(), "established", "the plain client still believes its tunnel is up")
