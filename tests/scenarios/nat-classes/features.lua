-- The other NAT fields, each measured: Linux's default masquerade classes,
-- port preservation and port_range, paired pooling, hairpinning, the udp
-- mapping lifetime (udp_timeout, router:set), router:mappings() and the
-- results folder's mappings.txt.
local A1, A2 = "198.51.100.200", "198.51.100.201"
local tool = vpnlab.dir .. "/stun5780.py"
local net = vpnlab.start({
  nodes = {
    server = {},
    plain = { kind = "router", nat = { outside = "wan" } },
    norm = { kind = "router", nat = { outside = "wan", mapping = "endpoint-independent",
                                      port_preservation = false, port_range = "40000-49999" } },
    keep = { kind = "router", nat = { outside = "wan", mapping = "endpoint-independent",
                                      filtering = "endpoint-independent", udp_timeout = 4 } },
    pooled = { kind = "router", nat = { outside = "wan", mapping = "address-and-port-dependent",
                                        port_range = "50000-59999",
                                        pool = { "198.51.100.50", "198.51.100.51" } } },
    twin = { kind = "router", nat = { outside = "wan", mapping = "endpoint-independent" } },
    hp = { kind = "router", nat = { outside = "wan", mapping = "endpoint-independent",
                                    filtering = "address-and-port-dependent", hairpin = true } },
    c1 = {}, c2 = {}, c3 = {}, t1 = {}, t2 = {}, p1 = {}, p2 = {}, p3 = {}, p4 = {}, h1 = {}, h2 = {},
  },
  links = {
    wan = { "server", "plain", "norm", "keep", "pooled", "hp", "twin", net = "198.51.100.0/24",
            addrs = { server = { A1, A2 }, pooled = { "198.51.100.50", "198.51.100.51" } } },
    l1 = { "plain", "c1", net = "10.0.1.0/24" },
    l2 = { "norm", "c2", net = "10.0.2.0/24" },
    l3 = { "keep", "c3", net = "10.0.3.0/24" },
    l4 = { "pooled", "p1", "p2", "p3", "p4", net = "10.0.4.0/24" },
    l5 = { "hp", "h1", "h2", net = "10.0.5.0/24" },
    l6 = { "twin", "t1", "t2", net = "10.0.6.0/24" },
  },
})
net.nodes.server:run{ "python3", "-u", tool, "serve", A1, A2, ready = "^ready", name = "stun-server" }

-- Every probe at once; then each one's report.
local who = { "c1", "c2", "c3", "p1", "p2", "p3", "p4" }
local procs, out = {}, {}
for _, c in ipairs(who) do procs[c] = net.nodes[c]:run{ "python3", "-u", tool, "probe", A1, name = "probe" } end
for _, c in ipairs(who) do
  vpnlab.is(procs[c]:wait(20), 0, c .. ": probe ran to its end")
  out[c] = procs[c]:output() or ""
end
local function mapped(c)   -- local port, and the mapped address:port of tests I-III
  local lp, a1, p1 = out[c]:match("local port (%d+) mapped to ([%d.]+):(%d+)")
  local a2, p2 = out[c]:match("test II %S+: ([%d.]+):(%d+)")
  local a3, p3 = out[c]:match("test III %S+: ([%d.]+):(%d+)")
  return tonumber(lp), { a1, a2, a3 }, { tonumber(p1), tonumber(p2), tonumber(p3) }
end

-- Linux masquerade: endpoint-independent mapping, address-and-port-dependent filtering, port kept.
vpnlab.is(out.c1:match("mapping: (%S+)"), "endpoint-independent", "default masquerade: mapping endpoint-independent")
vpnlab.is(out.c1:match("filtering: (%S+)"), "address-and-port-dependent",
          "default masquerade: filtering address-and-port-dependent")
local lp, _, ports = mapped("c1")
vpnlab.is(ports[1], lp, "default masquerade keeps the inside port")

-- port_preservation = false: another port, from port_range, the same for every remote.
vpnlab.is(out.c2:match("mapping: (%S+)"), "endpoint-independent", "port_preservation = false: still endpoint-independent")
lp, _, ports = mapped("c2")
vpnlab.ok(ports[1] ~= lp and ports[1] >= 40000 and ports[1] <= 49999,
          string.format("port_preservation = false: outside port %s is another one, in 40000-49999", tostring(ports[1])))

-- port_preservation (default with endpoint-independent mapping): the inside port itself.
lp, _, ports = mapped("c3")
vpnlab.is(ports[1], lp, "endpoint-independent mapping keeps the inside port")
vpnlab.is(out.c3:match("filtering: (%S+)"), "endpoint-independent", "keep: filtering endpoint-independent")

-- Paired pooling: each inside host one pool address for all its mappings; ports from the range.
local used = {}
for _, c in ipairs({ "p1", "p2", "p3", "p4" }) do
  local _, addrs, pp = mapped(c)
  vpnlab.ok(addrs[1] == addrs[2] and addrs[2] == addrs[3] and
            (addrs[1] == "198.51.100.50" or addrs[1] == "198.51.100.51"),
            string.format("pool: %s always leaves from one pool address (%s, %s, %s)", c,
                          tostring(addrs[1]), tostring(addrs[2]), tostring(addrs[3])))
  vpnlab.ok(pp[1] >= 50000 and pp[1] <= 59999 and pp[1] ~= pp[2] and pp[2] ~= pp[3],
            string.format("pool: %s gets a port per remote from 50000-59999 (%s, %s, %s)", c,
                          tostring(pp[1]), tostring(pp[2]), tostring(pp[3])))
  used[addrs[1] or "?"] = true
end
vpnlab.ok(used["198.51.100.50"] and used["198.51.100.51"], "pool: the four hosts use both addresses")

-- router:mappings(): the probe's flows through keep, with their lifetime (udp_timeout = 4).
local ms = net.nodes.keep:mappings()
local c3addr = net.nodes.c3:addr("l3")
local mine, maxleft = 0, 0
for _, m in ipairs(ms) do
  if m.proto == "udp" and m.inside:match("^" .. c3addr:gsub("%.", "%%.") .. ":") then
    mine = mine + 1
    if m.timeout > maxleft then maxleft = m.timeout end
  end
end
vpnlab.ok(mine >= 3, string.format("keep:mappings() lists the probe's udp mappings (%d)", mine))
vpnlab.ok(maxleft >= 1 and maxleft <= 4, string.format("their lifetime is udp_timeout = 4 (%d s left at most)", maxleft))

-- Hairpin: h2 reaches h1's mapping through the outside address, from h2's own mapping.
local hpaddr = net.nodes.hp:addr("wan")
local h1 = net.nodes.h1:run{ "python3", "-u", "-c", [[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5555)); s.settimeout(5)
s.sendto(b"open", (sys.argv[1], 3478))          # a mapping for h1:5555 (the server ignores non-STUN)
print("ready", flush=True)
data, peer = s.recvfrom(100)
print("got %s from %s:%d" % (data.decode(), peer[0], peer[1]), flush=True)
s.sendto(b"pong", peer)
]], A1, ready = "^ready", name = "hairpin-h1" }
local h2 = net.nodes.h2:exec{ "python3", "-c", [[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 6666)); s.settimeout(2)
s.sendto(b"open", (sys.argv[2], 3478))          # h2's own mapping: APDF lets only what it sent to back
for _ in range(3):
    s.sendto(b"ping", (sys.argv[1], 5555))
    try:
        data, peer = s.recvfrom(100); print("got %s from %s:%d" % (data.decode(), peer[0], peer[1])); break
    except socket.timeout:
        pass
]], hpaddr, A1, timeout = 10 }
h1:wait(6)
vpnlab.ok((h1:output() or ""):find("got ping from " .. hpaddr .. ":6666", 1, true),
          "hairpin: h1 sees h2's packet from h2's outside mapping " .. hpaddr .. ":6666")
vpnlab.ok((h2.output or ""):find("got pong from " .. hpaddr .. ":5555", 1, true),
          "hairpin: h2 gets h1's answer from h1's outside mapping " .. hpaddr .. ":5555")

-- udp_timeout: keep's mappings are gone 4 s after the last packet; router:set shortens new ones.
net.nodes.keep:set{ udp_timeout = 2 }
local s = net.nodes.c3:exec{ "python3", "-c", [[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7777)); s.sendto(b"x", (sys.argv[1], 9))
]], A1 }
vpnlab.is(s.status, 0, "a new flow after keep:set{ udp_timeout = 2 }")
local left
for _, m in ipairs(net.nodes.keep:mappings()) do
  if m.inside == c3addr .. ":7777" then left = m.timeout end
end
vpnlab.ok(left and left <= 2, "the new mapping lives 2 s (" .. tostring(left) .. " s left)")

-- router:set on a NAT that had no udp_timeout of its own.
net.nodes.plain:set{ udp_timeout = 3 }
net.nodes.c1:exec{ "python3", "-c", [[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7778)); s.sendto(b"x", (sys.argv[1], 9))
]], A1 }
left = nil
for _, m in ipairs(net.nodes.plain:mappings()) do
  if m.inside:match(":7778$") then left = m.timeout end
end
vpnlab.ok(left and left <= 3, "plain:set{ udp_timeout = 3 }: a new mapping lives 3 s (" .. tostring(left) .. " s left)")

-- Endpoint-independent mapping holds when a port is not free: t1 and t2 both
-- send from port 5000. t1 (to A1 only) keeps 5000; t2 gets another port
-- towards A1 and then keeps that one towards A2 too, where 5000 is free
-- (the eim map: plain masquerade would make a second mapping with 5000).
local function twin(node, ...)
  local r = net.nodes[node]:exec{ "python3", tool, "mapped", "5000", ... }.output or ""
  return r:match(A1:gsub("%.", "%%.") .. " %-> [%d.]+:(%d+)"), r:match(A2:gsub("%.", "%%.") .. " %-> [%d.]+:(%d+)")
end
local a1 = twin("t1", A1)
vpnlab.is(a1, "5000", "twin: t1 keeps port 5000")
local b1, b2 = twin("t2", A1, A2)
vpnlab.ok(b1 and b1 ~= "5000" and b2 == b1,
          string.format("twin: t2 gets another port and keeps it for every remote (%s, %s)", tostring(b1), tostring(b2)))

-- The last flow through keep, with a lifetime that outlasts the scenario's
-- end under any load: tests/35-nat-classes.t finds it in keep/mappings.txt,
-- the end-of-scenario snapshot.
net.nodes.keep:set{ udp_timeout = 120 }
vpnlab.is(net.nodes.c3:exec{ "python3", "-c", [[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7779)); s.sendto(b"x", (sys.argv[1], 9))
]], A1 }.status, 0, "a last flow through keep, for the end-of-scenario snapshot")
