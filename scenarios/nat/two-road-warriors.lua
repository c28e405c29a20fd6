-- Two road warriors behind one home NAT reach one gateway (userspace ESP,
-- libipsec: the point is the NAT's port mapping, so it runs on the host).
-- Both send IKE from 500 and ESP from 4500 and the NAT has one outside
-- address, so it must give them distinct outside ports; the gateway tells
-- the tunnels apart by those ports alone. Each client pings the gateway's
-- inside address through its own tunnel, one after the other, and the wire
-- shows the gateway's ESP replies going to that client's outside port only,
-- and on the LAN to that client's address only.
vpnlab.tags{ "nat" }

local net = vpnlab.start("two-clients-nat")
local home, wan, lan = net.nodes.home, net.links.wan, net.links.lan
local gw_addr, home_addr = net.nodes.gateway:addr("wan"), home:addr("wan")

local gw = net.nodes.gateway:strongswan{ psk = "two", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
                              dataplane = "libipsec" }
local NAMES = { "client", "client2" }
local ends = {}
for _, name in ipairs(NAMES) do
  ends[name] = net.nodes[name]:strongswan{ psk = "two", remote = gw_addr, vip = true, id = name,
                                           remote_ts = "10.1.0.1/32", dataplane = "libipsec" }
  ends[name]:initiate()
end
for _, name in ipairs(NAMES) do
  vpnlab.ok(ends[name]:await("established", 15), name .. ": the tunnel is established")
end

-- The NAT's own view (conntrack): each client's 500 and 4500 flows to the gateway.
local out = {}   -- out[name][inside port] = outside port
for _, name in ipairs(NAMES) do out[name] = {} end
local inside_of = {}
for _, name in ipairs(NAMES) do inside_of[net.nodes[name]:addr("lan")] = name end
for _, m in ipairs(home:mappings()) do
  local ia, ip = m.inside:match("^(.+):(%d+)$")
  local op = tonumber(m.outside:match(":(%d+)$"))
  if m.proto == "udp" and not m.inbound and inside_of[ia] and m.remote:match("^" .. gw_addr:gsub("%.", "%%.") .. ":") then
    out[inside_of[ia]][tonumber(ip)] = op
  end
end
local a, b = out.client, out.client2
vpnlab.ok(a[500] and b[500] and a[500] ~= b[500], string.format(
  "home:mappings(): inside 500 of client -> outside %s, of client2 -> %s: distinct", tostring(a[500]), tostring(b[500])))
vpnlab.ok(a[4500] and b[4500] and a[4500] ~= b[4500], string.format(
  "home:mappings(): inside 4500 of client -> outside %s, of client2 -> %s: distinct", tostring(a[4500]), tostring(b[4500])))

-- On the wire: each client's IKE_SA_INIT and ESP leave the NAT from its own ports.
for _, name in ipairs(NAMES) do
  wan:seen{ ike = "IKE_SA_INIT", src = home_addr, sport = out[name][500] or 0, dport = 500,
            desc = string.format("wan: %s's IKE_SA_INIT leaves the NAT from port %s", name, tostring(out[name][500])) }
end

-- Each client pings through its own tunnel; the gateway's ESP replies go to
-- that client's outside port (wan) and reach that client alone (lan).
local N = 4
for i, name in ipairs(NAMES) do
  local other = NAMES[3 - i]
  local port, oport = out[name][4500] or 0, out[other][4500] or 0
  local addr, oaddr = net.nodes[name]:addr("lan"), net.nodes[other]:addr("lan")
  local before = {
    esp_out = wan:packets{ esp = "udp", src = home_addr, sport = port },
    to_port = wan:packets{ esp = "udp", src = gw_addr, dst = home_addr, dport = port },
    to_other = wan:packets{ esp = "udp", src = gw_addr, dst = home_addr, dport = oport },
    lan_to = lan:packets{ esp = "udp", src = gw_addr, dst = addr },
    lan_other = lan:packets{ esp = "udp", src = gw_addr, dst = oaddr },
  }
  vpnlab.is(net.nodes[name]:exec{ "ping", "-c", tostring(N), "-i", "0.2", "-W", "2", "10.1.0.1" }.status, 0,
            name .. ": " .. N .. " pings through its own tunnel, every one answered")
  wan:count({ esp = "udp", src = home_addr, sport = port, dport = 4500 }, { min = before.esp_out + N,
            desc = string.format("wan: %s's ESP leaves the NAT from its port %d", name, port) })
  wan:count({ esp = "udp", src = gw_addr, dst = home_addr, dport = port }, { min = before.to_port + N,
            desc = string.format("wan: the gateway's ESP replies go to %s's outside port %d", name, port) })
  wan:count({ esp = "udp", src = gw_addr, dst = home_addr, dport = oport }, { max = before.to_other,
            desc = string.format("wan: none to %s's port %d meanwhile", other, oport) })
  lan:count({ esp = "udp", src = gw_addr, dst = addr, dport = 4500 }, { min = before.lan_to + N,
            desc = string.format("lan: the NAT delivers them to %s (%s:4500)", name, addr) })
  lan:count({ esp = "udp", src = gw_addr, dst = oaddr }, { max = before.lan_other,
            desc = string.format("lan: none to %s meanwhile", other) })
end

-- The gateway holds two IKE SAs, one per client's outside 4500 port.
local seen = {}
for _, sa in ipairs(gw:sas()) do
  if sa.state == "ESTABLISHED" and sa.remote_host == home_addr then seen[sa.remote_port] = true end
end
vpnlab.ok(seen[out.client[4500] or 0] and seen[out.client2[4500] or 0], string.format(
  "the gateway has an IKE SA to %s:%s and one to %s:%s", home_addr, tostring(out.client[4500]),
  home_addr, tostring(out.client2[4500])))
wan:never{ esp = "raw", desc = "wan: ESP never leaves as protocol 50" }
wan:never{ proto = "icmp", desc = "wan: no ICMP (no reply went to a port without a mapping)" }
