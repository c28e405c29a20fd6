-- Fact 5: double NAT / carrier-grade NAT: the same transition through both
-- NATs. IKEv2 from a client behind two NATs: its home router (CPE) and the
-- carrier's CGNAT (topologies/cgnat.lua). NAT detection floats IKE from
-- udp/500 to udp/4500, and the same 500-then-4500 story is seen on the home
-- LAN, on the carrier's access network and on the internet; ESP travels in
-- UDP through both NATs, never raw. The gateway sees only the carrier's pool
-- address, and every outside port the carrier used for this subscriber lies
-- in its deterministic block. A second subscriber leaves from another block.
-- Kernel data plane (the NAT detection is real, not faked as the userspace
-- data plane does): it runs in the VM on a host without kernel ESP.
vpnlab.requires{ "esp" }   -- before the print below: the kernel data plane
local net = vpnlab.start("cgnat")
local carrier, internet, access, lan = net.nodes.carrier, net.links.internet, net.links.access, net.links.lan
local gw_addr = net.nodes.gateway:addr("internet")
local sub1, sub2 = net.nodes.cpe:addr("access"), net.nodes.cpe2:addr("access")
local block1, block2 = carrier:cgnat_block(sub1), carrier:cgnat_block(sub2)
print(string.format("subscriber %s: %s ports %d-%d; subscriber %s: %s ports %d-%d", sub1, block1.addr,
                    block1.lo, block1.hi, sub2, block2.addr, block2.lo, block2.hi))

local gw = net.nodes.gateway:strongswan{
  psk = "cgnat", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  psk = "cgnat", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel through CPE and CGNAT is established")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.1" }.status, 0,
          "traffic flows through the tunnel")

internet:transition({ udp = 500 }, { udp = 4500 }, { desc = "internet: IKE floats from 500 to 4500" })
access:transition({ udp = 500 }, { udp = 4500 }, { desc = "access: IKE floats from 500 to 4500" })
lan:transition({ udp = 500 }, { udp = 4500 }, { desc = "lan: IKE floats from 500 to 4500" })
internet:seen{ ike = "IKE_SA_INIT", sport = 500, response = true, dst = block1.addr,
               desc = "internet: IKE_SA_INIT answered from 500 (its NAT detection payloads reveal the NATs)" }
internet:never{ ike = "IKE_AUTH", udp = 500, desc = "internet: IKE_AUTH already on 4500" }
lan:seen{ esp = "udp", src = net.nodes.client:addr("lan"), desc = "lan: the client encapsulates ESP itself" }
access:seen{ esp = "udp", src = sub1, desc = "access: ESP in UDP from the CPE's 100.64 address" }
net.all:never{ esp = "raw", desc = "no raw ESP (protocol 50) on any link" }
internet:seen{ esp = "udp", src = block1.addr, dport = 4500, desc = "internet: ESP in UDP from the carrier's pool address" }
internet:never{ src = "100.64.0.0/10", desc = "internet: no shared-space (100.64/10) source" }
internet:never{ src = "192.168.0.0/16", desc = "internet: no home LAN source" }
access:seen{ ike = "IKE_AUTH", src = sub1, dport = 4500, desc = "access: IKE_AUTH from the CPE's 100.64 address" }

local sa = gw:sas()[1] or {}
vpnlab.is(sa.remote_host, block1.addr, "the gateway's IKE SA sees the carrier's outside address")
vpnlab.ok(sa.remote_port and sa.remote_port >= block1.lo and sa.remote_port <= block1.hi,
          string.format("the gateway's IKE SA port %s is in the subscriber's block %d-%d",
                        tostring(sa.remote_port), block1.lo, block1.hi))
vpnlab.ok(sa.nat_remote, "the gateway detects the NAT in front of the client")
local csa = client:sas()[1] or {}
vpnlab.ok(csa.nat_local and not csa.nat_fake, "the client detected itself behind a real NAT (not faked)")
local child = sa.children and sa.children[1]
vpnlab.ok(child and child.encap, "the CHILD_SA is UDP-encapsulated")

-- The second subscriber: one UDP flow to the gateway.
net.nodes.client2:exec{ "bash", "-c", "echo hi > /dev/udp/" .. gw_addr .. "/9002" }
internet:seen{ dport = 9002, within = 2, desc = "internet: the second subscriber's flow arrives" }

-- Every UDP packet the carrier sent from a subscriber's pool address, by
-- outside port: each port must lie in its subscriber's block.
local function ports_from(addr, lo, hi)
  local seen, n = {}, 0
  for p = lo, hi do
    local c = internet:packets{ proto = "udp", src = addr, sport = p }
    if c > 0 then seen[#seen + 1] = p; n = n + c end
  end
  return seen, n
end
local total = internet:packets{ proto = "udp", src = block1.addr }
local p1, n1 = ports_from(block1.addr, block1.lo, block1.hi)
local p2, n2 = ports_from(block2.addr, block2.lo, block2.hi)
print("outside ports, subscriber 1: " .. table.concat(p1, " ") .. "; subscriber 2: " .. table.concat(p2, " "))
vpnlab.ok(#p1 >= 2 and n1 > 0, "subscriber 1 used " .. #p1 .. " outside ports (IKE 500 and 4500), all in its block")
vpnlab.ok(#p2 >= 1, "subscriber 2 used " .. #p2 .. " outside port in its own block")
vpnlab.is(n1 + n2, total, "every UDP packet from the pool address left from a port in its subscriber's block")
vpnlab.ok(block2.lo > block1.hi, "the two subscribers' blocks do not overlap")

-- The carrier's own view of its mappings (conntrack), when the harness offers it.
if carrier.mappings then
  local bad, n = {}, 0
  for _, m in ipairs(carrier:mappings()) do
    local inside = m.inside:match("^([%d.]+):")
    local out, port = m.outside:match("^([%d.]+):(%d+)$")
    local b = inside == sub1 and block1 or inside == sub2 and block2 or nil
    if b and (m.proto == "udp" or m.proto == "tcp") then
      n = n + 1
      port = tonumber(port)
      if out ~= b.addr or not port or port < b.lo or port > b.hi then
        bad[#bad + 1] = string.format("%s %s -> %s", m.proto, m.inside, m.outside)
      end
    end
  end
  vpnlab.ok(n >= 3 and #bad == 0, string.format("router:mappings(): %d subscriber mappings, all in their blocks%s",
            n, #bad > 0 and " (not: " .. table.concat(bad, ", ") .. ")" or ""))
end
local st = carrier:cgnat_stats()
vpnlab.is(st.quota_drop + st.no_block, 0, "the carrier dropped nothing")
