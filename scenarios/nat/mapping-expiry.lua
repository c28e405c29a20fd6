-- A NAT forgets an idle UDP mapping after its udp_timeout (3 s here); NAT-T
-- keepalives exist to stop that. Two road warriors behind one home NAT
-- (topologies/two-clients-nat.lua), one gateway with DPD (6 s after the
-- last ESP it received; keepalives do not count) and short retransmits:
--   kept  keep_alive = 1: a keepalive a second holds its mapping: after 4-5 s
--         without tunnel traffic it is still in conntrack with the same
--         outside port, the client answers the gateway's DPD, and a ping
--         crosses from that port;
--   idle  keep_alive = 0: silent as long, its mapping expires (gone from
--         conntrack). The gateway's DPD goes to the old outside port, the
--         NAT has nothing there and answers ICMP port unreachable, nothing
--         reaches the client; after 2 retransmits the gateway gives up and
--         deletes the IKE SA. The client still believes the tunnel is up:
--         its next ping leaves the NAT from a NEW outside port (4500 is the
--         kept client's) and is never answered.
-- Userspace ESP (libipsec) on every end, so it runs on the host (~9 s); the
-- gateway's data plane would not follow a new port anyway (dataplane/
-- nat-rebind-libipsec.lua). The kept client initiates first, so its
-- mapping is the one that keeps port 4500. The NAT's timeout, the
-- keepalives and DPD are real seconds on every backend; only the waits and
-- the retransmits scale in the VM, and every check holds either way.
vpnlab.tags{ "nat", "slow" }

local net = vpnlab.start("two-clients-nat",
  { nodes = { home = { kind = "router", nat = { outside = "wan", udp_timeout = 3 } } } })
local home, wan, lan = net.nodes.home, net.links.wan, net.links.lan
local gw_addr, home_addr = net.nodes.gateway:addr("wan"), home:addr("wan")
local kept_addr, idle_addr = net.nodes.client:addr("lan"), net.nodes.client2:addr("lan")

local gw = net.nodes.gateway:strongswan{ psk = "expiry", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
                                         dataplane = "libipsec", dpd = 6,
                                         retransmit = { tries = 2, timeout = 0.25, base = 1.5 } }
local kept = net.nodes.client:strongswan{ psk = "expiry", remote = gw_addr, vip = true, id = "kept",
                                          remote_ts = "10.1.0.1/32", dataplane = "libipsec", keep_alive = 1 }
kept:initiate()
vpnlab.ok(kept:await("established", 15), "kept (keepalives every 1 s): the tunnel is established")
local idle = net.nodes.client2:strongswan{ psk = "expiry", remote = gw_addr, vip = true, id = "idle",
                                          remote_ts = "10.1.0.1/32", dataplane = "libipsec", keep_alive = 0 }
idle:initiate()
vpnlab.ok(idle:await("established", 15), "idle (keepalives off): the tunnel is established")
local function ping(node) return net.nodes[node]:exec{ "ping", "-c", "1", "-W", "1", "10.1.0.1" }.status end
vpnlab.is(ping("client2"), 0, "idle: a ping crosses its tunnel")
vpnlab.is(ping("client"), 0, "kept: a ping crosses its tunnel")

-- The NAT's mappings of each client's 4500 flow to the gateway: inside address -> outside port.
local function mapped()
  local out = {}
  for _, m in ipairs(home:mappings()) do
    local ia, ip = m.inside:match("^(.+):(%d+)$")
    if m.proto == "udp" and not m.inbound and ip == "4500" and m.remote == gw_addr .. ":4500" then
      out[ia] = tonumber(m.outside:match(":(%d+)$"))
    end
  end
  return out
end
local before = mapped()
local kept_port, idle_port = before[kept_addr] or 0, before[idle_addr] or 0
vpnlab.ok(before[kept_addr] and before[idle_addr] and kept_port ~= idle_port, string.format(
  "home:mappings(): kept's 4500 -> outside %s, idle's 4500 -> outside %s", tostring(before[kept_addr]),
  tostring(before[idle_addr])))

-- Wait for 5 more of kept's keepalives (one a second): 4-5 s without tunnel
-- traffic, longer than the NAT's 3 s udp_timeout. Only keepalives cross.
local ka = wan:packets{ keepalive = true, src = home_addr, sport = kept_port }
local from_idle = wan:packets{ src = home_addr, sport = idle_port }
wan:count({ keepalive = true, src = home_addr, sport = kept_port }, { min = ka + 5, within = 10,
          desc = string.format("wan: kept's keepalives leave the NAT from port %d, one a second", kept_port) })
wan:count({ src = home_addr, sport = idle_port }, { max = from_idle,
          desc = string.format("wan: meanwhile nothing from idle's port %d (keepalives off)", idle_port) })
local after = mapped()
vpnlab.is(after[kept_addr], kept_port, "home:mappings(): kept's mapping is still there, same outside port")
vpnlab.is(after[idle_addr], nil, "home:mappings(): idle's mapping has expired")
local lan_to_idle = lan:packets{ src = gw_addr, dst = idle_addr }

-- The gateway's DPD (6 s after the last ESP it received): kept answers it;
-- idle's goes to the expired mapping.
wan:seen{ ike = "INFORMATIONAL", src = home_addr, sport = kept_port, response = true, within = 8,
          desc = "wan: kept answers the gateway's DPD" }
wan:seen{ ike = "INFORMATIONAL", src = gw_addr, dst = home_addr, dport = idle_port, within = 8,
          desc = string.format("wan: the gateway's DPD to idle goes to the old outside port %d", idle_port) }
wan:seen{ proto = "icmp", src = home_addr, dst = gw_addr, within = 2,
          desc = "wan: the NAT answers it with ICMP (port unreachable): no mapping there" }
wan:count({ ike = "INFORMATIONAL", src = gw_addr, dport = idle_port }, { min = 3, within = 5,
          desc = "wan: the gateway retransmits its DPD twice, unanswered" })
-- Charon's log says when it gives up (0.56 s after the last try): wait for
-- that line, woken by each line it logs, as the driver's own await is.
local function await_log(ch, pattern, seconds)
  local deadline = vpnlab.now() + seconds
  while not ch:logged(pattern) do
    local left = deadline - vpnlab.now()
    if left <= 0 then return false end
    ch.proc:wait_line(ch.proc:count() + 1, left)
  end
  return true
end
vpnlab.ok(await_log(gw, "giving up after 2 retransmits", 5), "the gateway gives up on the DPD")
wan:count({ ike = "INFORMATIONAL", src = gw_addr, dport = idle_port }, { exactly = 3,
          desc = "wan: exactly 3 DPD tries to the old port, no more" })
local kept_sa, idle_sa = false, false
for _, sa in ipairs(gw:sas()) do
  if sa.remote_port == kept_port then kept_sa = true end
  if sa.remote_port == idle_port then idle_sa = true end
end
vpnlab.ok(kept_sa and not idle_sa, "the gateway keeps kept's IKE SA and has deleted idle's")

-- kept: the tunnel still carries traffic, from the same outside port.
local esp_from_kept = wan:packets{ esp = "udp", src = home_addr, sport = kept_port }
local esp_to_kept = wan:packets{ esp = "udp", src = gw_addr, dport = kept_port }
vpnlab.is(ping("client"), 0, "kept: after the wait a ping still crosses its tunnel")
wan:count({ esp = "udp", src = home_addr, sport = kept_port }, { min = esp_from_kept + 1,
          desc = string.format("wan: kept's ESP still leaves the NAT from port %d", kept_port) })
wan:count({ esp = "udp", src = gw_addr, dport = kept_port }, { min = esp_to_kept + 1,
          desc = string.format("wan: the gateway's ESP reply goes to port %d and passes", kept_port) })

-- idle's next traffic: a new mapping, a new outside port, no answer.
vpnlab.is(idle:state(), "established", "idle still believes its tunnel is up")
vpnlab.ok(ping("client2") ~= 0, "idle: its next ping is never answered")
local now = mapped()
vpnlab.ok(now[idle_addr] and now[idle_addr] ~= idle_port, string.format(
  "home:mappings(): idle's 4500 now maps to a new outside port %s (was %d)", tostring(now[idle_addr]), idle_port))
wan:seen{ esp = "udp", src = home_addr, sport = now[idle_addr] or 0,
          desc = string.format("wan: idle's ESP leaves the NAT from the new port %s", tostring(now[idle_addr])) }
lan:count({ src = gw_addr, dst = idle_addr }, { max = lan_to_idle,
          desc = "lan: nothing from the gateway reached idle since its mapping expired" })
vpnlab.ok(kept_sa and kept:state() == "established", "kept's tunnel is up on both ends")
