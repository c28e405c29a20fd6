-- A subscriber's port block runs out. The carrier gives each subscriber 4
-- ports (topologies/cgnat.lua with ports_per_subscriber = 4, subscribers
-- narrowed to the access /24 so its maps hold 256 entries, not 32256): the tunnel
-- holds 2 of them (IKE on 500, then NAT-T on 4500), two UDP flows take the
-- other 2, and the next new flow from the same subscriber is dropped before
-- it is mapped. The drop counter names the subscriber; the tunnel, whose
-- mappings exist, keeps working, and another subscriber is not affected.
-- Both ends use the userspace data plane (dataplane = "libipsec"): it runs on the host.
vpnlab.tags{ "nat", "cgnat" }

local net = vpnlab.start("cgnat", { nodes = { carrier = { cgnat = {
  ports_per_subscriber = 4, subscribers = "100.64.0.0/24" } } } })
local carrier, internet, access = net.nodes.carrier, net.links.internet, net.links.access
local gw_addr = net.nodes.gateway:addr("internet")
local sub1 = net.nodes.cpe:addr("access")
local block = carrier:cgnat_block(sub1)
print(string.format("subscriber %s: %s ports %d-%d", sub1, block.addr, block.lo, block.hi))

net.nodes.gateway:strongswan{
  psk = "quota", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "quota", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local function ping()
  return net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.1" }.status
end
-- One new UDP flow (a fresh socket, so a fresh source port) from a node.
local function flow(node, port)
  net.nodes[node]:exec{ "bash", "-c", "echo flow > /dev/udp/" .. gw_addr .. "/" .. port }
end

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established (2 of the 4 ports: IKE 500 and 4500)")
vpnlab.is(ping(), 0, "traffic flows through the tunnel")

flow("client", 9001)
flow("client", 9002)
internet:seen{ dport = 9001, src = block.addr, within = 2, desc = "internet: flow 3 of 4 leaves the carrier" }
internet:seen{ dport = 9002, src = block.addr, within = 2, desc = "internet: flow 4 of 4 leaves the carrier" }

flow("client", 9003)
access:seen{ dport = 9003, src = sub1, within = 2, desc = "access: flow 5 reaches the carrier" }
internet:never{ dport = 9003, within = 1, desc = "internet: flow 5 never leaves the carrier (the block is full)" }

local st = carrier:cgnat_stats()
print(string.format("cgnat stats: quota_drop %d, no_block %d, dropped by subscriber: %s %s",
                    st.quota_drop, st.no_block, sub1, tostring(st.dropped[sub1])))
vpnlab.is(st.quota_drop, 1, "the carrier counted one quota drop")
vpnlab.is(st.dropped[sub1], 1, "... for subscriber " .. sub1)
vpnlab.is(st.no_block, 0, "no packet lacked a block")

vpnlab.is(ping(), 0, "the tunnel, which holds its mappings, still carries traffic")
vpnlab.is(client:state(), "established", "the client's tunnel is still established")

flow("client2", 9004)
internet:seen{ dport = 9004, within = 2, desc = "internet: another subscriber's new flow still leaves" }
-- The 4 mappings may share outside ports (the kernel reuses a port towards a
-- different destination): at most 4 distinct ones, all in the block; and
-- every UDP packet from the pool address came from one of the two blocks.
local block2 = carrier:cgnat_block(net.nodes.cpe2:addr("access"))
local used, n1, n2 = {}, 0, 0
for p = block.lo, block.hi do
  local c = internet:packets{ proto = "udp", src = block.addr, sport = p }
  if c > 0 then used[#used + 1] = p; n1 = n1 + c end
end
for p = block2.lo, block2.hi do n2 = n2 + internet:packets{ proto = "udp", src = block.addr, sport = p } end
print("outside ports of subscriber " .. sub1 .. ": " .. table.concat(used, " "))
vpnlab.ok(#used >= 1 and #used <= 4, string.format("subscriber %s used %d of its 4 outside ports", sub1, #used))
vpnlab.is(n1 + n2, internet:packets{ proto = "udp", src = block.addr },
          "every UDP packet from the pool address left from a port in its subscriber's block")
