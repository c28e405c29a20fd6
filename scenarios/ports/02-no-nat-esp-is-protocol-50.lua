-- Fact 2: without a NAT, ESP is IP protocol 50 and udp/4500 is not needed;
-- forced encapsulation (encap = yes) still moves to 4500.
-- Two road warriors behind a plain (non-NAT) router, kernel data plane. The
-- router first blocks udp/4500: the plain client's IKE stays on 500 (MOBIKE
-- off: with it, strongSwan moves IKE to 4500 even without a NAT), its tunnel
-- comes up and carries pings as protocol 50, never in UDP. Then the router
-- lets 4500 through and the second client, with encap = true, pretends to be
-- behind a NAT in its NAT detection payloads: IKE moves to udp/4500 and ESP
-- travels inside UDP although nothing rewrites addresses.
-- (strongSwan's userspace data plane would put everything in udp/4500:
-- dataplane/libipsec-no-nat.lua.)
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("firewalled", {
  nodes = { fw = { firewall = { block = { { proto = "udp", port = 4500 } } } } },
})
local wan, fw = net.links.wan, net.nodes.fw
local gw_addr = net.nodes.gateway:addr("wan")
local plain_addr, encap_addr = net.nodes.client:addr("lan"), net.nodes.client2:addr("lan")
local function ping(node)
  return net.nodes[node]:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }.status
end

local gw = net.nodes.gateway:strongswan{
  psk = "direct-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local plain = net.nodes.client:strongswan{
  psk = "direct-secret", remote = gw_addr, vip = true, id = "plain",
  remote_ts = "10.1.0.1/32", mobike = false,
}

-- No NAT, udp/4500 blocked: IKE on 500, ESP as protocol 50.
plain:initiate()
vpnlab.ok(plain:await("established", 10), "plain: the tunnel is established with udp/4500 blocked")
vpnlab.is(ping("client"), 0, "plain: ping through the tunnel reaches the gateway's inside address")

wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:seen{ ike = "IKE_AUTH", sport = 500, dport = 500 }
wan:seen{ esp = "raw", within = 2 }
wan:count({ proto = "esp" }, { min = 6, desc = "wan: three pings and replies as IP protocol 50" })
net.all:never{ udp = 4500, desc = "no udp/4500 on any link: the plain tunnel never needed it" }
wan:never{ nonesp = true }
wan:never{ esp = "udp" }
wan:never{ proto = "icmp", desc = "wan: no ping crossed outside the tunnel" }

local function sa_of(addr)
  for _, sa in ipairs(gw:sas()) do
    if sa.remote_host == addr then return sa end
  end
end
local sa = sa_of(plain_addr)
vpnlab.ok(sa and not sa.nat_remote and not sa.nat_local, "plain: the gateway detected no NAT")
local child = sa and sa.children[1]
vpnlab.ok(child and not child.encap, "plain: the CHILD_SA is not UDP-encapsulated")

-- Forced encapsulation: still no NAT, but 4500 and ESP in UDP.
fw:unblock{ proto = "udp", port = 4500 }
local encap = net.nodes.client2:strongswan{
  psk = "direct-secret", remote = gw_addr, vip = true, id = "encap",
  remote_ts = "10.1.0.1/32", encap = true,
}
encap:initiate()
vpnlab.ok(encap:await("established", 10), "encap: the tunnel is established")
vpnlab.is(ping("client2"), 0, "encap: ping through the tunnel reaches the gateway's inside address")

wan:transition({ udp = 500, src = encap_addr }, { udp = 4500, src = encap_addr },
               { desc = "wan: encap starts IKE on 500 and moves to 4500" })
wan:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500, src = encap_addr }
wan:seen{ esp = "udp", src = encap_addr, within = 2, desc = "wan: encap's ESP travels in UDP" }
wan:seen{ esp = "udp", dst = encap_addr, desc = "wan: and the gateway's ESP back to it" }
wan:never{ esp = "raw", src = encap_addr, desc = "wan: no protocol 50 from the encapsulating client" }
wan:never{ udp = 4500, src = plain_addr, desc = "wan: the plain client still never used 4500" }

sa = sa_of(encap_addr)
vpnlab.is(sa and sa.remote_host, encap_addr, "encap: the gateway sees the client's own address: no NAT")
vpnlab.ok(sa and sa.nat_any, "encap: the gateway's IKE SA is marked as NATed anyway (faked NAT detection)")
child = sa and sa.children[1]
vpnlab.ok(child and child.encap, "encap: the CHILD_SA is UDP-encapsulated anyway")
