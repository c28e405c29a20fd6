-- Fact 10: site-to-site without a NAT: IKE on udp/500 and ESP as IP protocol
-- 50 between the gateways (AH, protocol 51, when configured:
-- 06-ah-cannot-cross-nat.lua); with a NAT on one side, only udp/500 and
-- udp/4500 cross. A hub gateway and two branch gateways with ESP tunnels
-- between their LANs (topologies/site-to-site-nat.lua): the left branch
-- across a plain routed WAN, the other behind its ISP's NAT. Kernel data
-- plane (raw ESP needs the kernel's): it runs in the VM on a host without
-- kernel ESP.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("site-to-site-nat")
local wan, isp, nat_wan = net.links.wan, net.links.isp, net.links.nat_wan
local left_addr, nat_addr = net.nodes.left_gw:addr("wan"), net.nodes.nat:addr("nat_wan")
local right_host = net.nodes.right_host:addr("right_lan")
local function ping(node)
  return net.nodes[node]:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", right_host }.status
end

-- The hub answers both branches: remote_ts is narrowed to each branch's LAN.
local hub = net.nodes.right_gw:strongswan{
  psk = "s2s-secret", id = "right", local_ts = "10.20.0.0/24", remote_ts = "10.0.0.0/8",
}
local left = net.nodes.left_gw:strongswan{
  psk = "s2s-secret", id = "left", remote_id = "right", remote = net.nodes.right_gw:addr("wan"),
  local_ts = "10.10.0.0/24", remote_ts = "10.20.0.0/24", mobike = false,
}
local branch = net.nodes.branch_gw:strongswan{
  psk = "s2s-secret", id = "branch", remote_id = "right", remote = net.nodes.right_gw:addr("nat_wan"),
  local_ts = "10.30.0.0/24", remote_ts = "10.20.0.0/24",
}
left:initiate()
branch:initiate()
vpnlab.ok(left:await("established", 10), "left: the tunnel without a NAT is established")
vpnlab.ok(branch:await("established", 10), "branch: the tunnel through the NAT is established")
vpnlab.is(ping("left_host"), 0, "left: the left host reaches the hub's host through the tunnel")
vpnlab.is(ping("branch_host"), 0, "branch: the branch host reaches the hub's host through the tunnel")

-- No NAT: udp/500 and protocol 50.
wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:seen{ ike = "IKE_AUTH", sport = 500, dport = 500 }
wan:count({ esp = "raw", src = left_addr }, { min = 3, desc = "wan: the left gateway's ESP is IP protocol 50" })
wan:count({ esp = "raw", dst = left_addr }, { min = 3, desc = "wan: and so is the hub's back to it" })
wan:never{ udp = 4500, desc = "wan: no udp/4500 without a NAT" }
wan:never{ proto = "icmp", desc = "wan: no ping crossed outside the tunnel" }

-- A NAT on one side: only 500 and 4500.
nat_wan:transition({ udp = 500 }, { udp = 4500 }, { desc = "nat_wan: IKE starts on 500, moves to 4500" })
nat_wan:count({ esp = "udp", src = nat_addr, dport = 4500 }, { min = 3,
              desc = "nat_wan: the branch's ESP crosses in UDP 4500" })
nat_wan:count({ esp = "udp", dst = nat_addr, sport = 4500 }, { min = 3,
              desc = "nat_wan: and the hub's back to it" })
nat_wan:never{ esp = "raw", desc = "nat_wan: no protocol 50 through the NAT" }
isp:never{ esp = "raw", desc = "isp: the branch gateway never sent protocol 50" }
local ip = { src = "0.0.0.0/0" }
local all, p500, p4500 = nat_wan:packets(ip), nat_wan:packets{ udp = 500 }, nat_wan:packets{ udp = 4500 }
vpnlab.ok(all > 0 and all == p500 + p4500, string.format(
  "nat_wan: every IP packet is udp/500 (%d) or udp/4500 (%d) of %d", p500, p4500, all))

local encap = {}
for _, sa in ipairs(hub:sas()) do
  encap[sa.remote_host] = sa.children[1] and sa.children[1].encap
end
vpnlab.is(encap[left_addr], false, "hub: the left branch's CHILD_SA is raw ESP")
vpnlab.is(encap[nat_addr], true, "hub: the NATed branch's CHILD_SA is ESP in UDP")
