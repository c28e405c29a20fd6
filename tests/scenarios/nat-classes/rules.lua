-- Unit checks of vpnlab.nat's nft text (no lab): each field turns into the
-- rules its construction needs and nothing else. The behaviour itself is
-- measured by nine.lua and features.lua; this pins the text.
local nat = require("vpnlab.nat")

local function text(n) return nat.tables("r", { nat = n }) end
local function has(t, s) return t:find(s, 1, true) ~= nil end
local function check(desc, t, musts, mustnots)
  local missing = {}
  for _, s in ipairs(musts or {}) do if not has(t, s) then missing[#missing + 1] = "missing: " .. s end end
  for _, s in ipairs(mustnots or {}) do if has(t, s) then missing[#missing + 1] = "unwanted: " .. s end end
  vpnlab.ok(#missing == 0, desc .. (#missing > 0 and (" (" .. table.concat(missing, "; ") .. ")") or ""))
end
local EI, AD, APD = "endpoint-independent", "address-dependent", "address-and-port-dependent"

check("default: plain masquerade, nothing else", text{ outside = "wan" },
      { 'oifname "wan" masquerade' }, { "snat", "dnat", "map ", "jhash", "ct timeout" })
check("default + port_range: masquerade to the range for udp/tcp", text{ outside = "wan", port_range = "40000-40099" },
      { 'oifname "wan" meta l4proto { tcp, udp } masquerade to :40000-40099', 'oifname "wan" masquerade' }, { "jhash" })
check("EIM (port kept): Linux's own choice (a tracked endpoint's mapping again, else the inside port when free)",
      text{ outside = "wan", mapping = EI },
      { 'oifname "wan" meta l4proto udp masquerade\n', 'oifname "wan" meta l4proto tcp masquerade\n' },
      { "jhash", "hash_ports", "dnat", "map " })
local t = text{ outside = "wan", mapping = EI, port_preservation = false, port_range = "40000-40009" }
check("EIM, port_preservation = false: a hash of the inside endpoint only", t,
      { "jhash ip saddr . udp sport mod 10 seed 0x5650 map @hash_ports", "0 : 40000", "9 : 40009" },
      { "udp sport . ip daddr", "10 : 40010", "masquerade to :udp sport" })
check("EIM + port_range: Linux's choice within the range (the inside port when it is in it and free)",
      text{ outside = "wan", mapping = EI, port_range = "40000-40009" },
      { "meta l4proto udp masquerade to :40000-40009" }, { "jhash" })
check("ADM: the hash adds the remote address, not its port", text{ outside = "wan", mapping = AD },
      { "jhash ip saddr . udp sport . ip daddr mod 64512 seed 0x5650 map @hash_ports" }, { "ip daddr . udp dport mod" })
check("APDM: the hash adds the remote address and port", text{ outside = "wan", mapping = APD },
      { "jhash ip saddr . udp sport . ip daddr . udp dport mod 64512", "jhash ip saddr . tcp sport . ip daddr . tcp dport mod 64512" })
check("EIF: a map outside endpoint -> inside endpoint, learnt after the NAT, DNAT from the outside",
      text{ outside = "wan", filtering = EI },
      { "map eif_udp {", "type ipv4_addr . inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 120s;",
        'iifname "wan" meta l4proto udp ct state new dnat ip to ip daddr . udp dport map @eif_udp',
        "type filter hook postrouting priority srcnat + 10;",
        'oifname "wan" meta l4proto udp ct status snat update @eif_udp { ct reply ip daddr . ct reply proto-dst : ct original ip saddr . ct original proto-src }',
        'oifname "wan" masquerade' }, { "adf_" })
check("ADF: the map key has the remote address", text{ outside = "wan", filtering = AD },
      { "map adf_udp {", "dnat ip to ip daddr . udp dport . ip saddr map @adf_udp",
        "update @adf_udp { ct reply ip daddr . ct reply proto-dst . ip daddr :" }, { "eif_" })
check("APDF: conntrack alone, no maps, no DNAT", text{ outside = "wan", filtering = APD },
      {}, { "map ", "dnat", "nat_prerouting" })
check("udp_timeout: a ct timeout object set after conntrack made the entry, and the maps' lifetime",
      text{ outside = "wan", filtering = EI, udp_timeout = 7 },
      { "ct timeout udp_timeout {", "policy = { unreplied : 7, replied : 7 };",
        "type filter hook prerouting priority mangle;", 'meta l4proto udp ct timeout set "udp_timeout"', "timeout 7s;" })
check("pool: paired by a hash of the inside address", text{ outside = "wan", pool = { "192.0.2.1", "192.0.2.2" } },
      { 'oifname "wan" snat ip to jhash ip saddr mod 2 seed 0x5650 map { 0 : 192.0.2.1, 1 : 192.0.2.2 }' }, { "masquerade" })
check("hairpin: inside-to-inside through the outside address, source-NATed to that address",
      text{ outside = "wan", mapping = EI, hairpin = true },
      { 'iifname != "wan" fib daddr type local meta l4proto udp ct state new dnat ip to ip daddr . udp dport map @eif_udp',
        'iifname != "wan" oifname != "wan" ct status dnat meta l4proto udp snat ip to ct original ip daddr\n' })

-- Misuse is refused with a message.
local function refused(n, pattern, desc)
  local ok, err = pcall(text, n)
  vpnlab.ok(not ok and tostring(err):find(pattern), desc .. " (" .. tostring(err) .. ")")
end
refused({ outside = "wan", mapping = "symmetric" }, 'mapping must be "endpoint%-independent"', "an unknown class is refused")
refused({ outside = "wan", mapping = AD, port_preservation = true }, "port_preservation = true needs",
        "port preservation with an address-dependent mapping is refused")
refused({ outside = "wan", port_preservation = false }, "port_preservation needs a mapping class",
        "port_preservation without a mapping class is refused")
refused({ outside = "wan", udp_timeout = 0 }, "udp_timeout must be", "udp_timeout 0 is refused")
refused({ outside = "wan", pool = { "10.0.0.300" } }, "is not an IPv4 address", "a bad pool address is refused")

-- router:set's commands: a new timeout object, the rule pointed at it.
local node = { nat = { outside = "wan", udp_timeout = 30 } }
local cmds = nat.set_command("r", node, { udp_timeout = 5 }, 3)
check("set{ udp_timeout = 5 }: a new ct timeout object and the rule moved to it", cmds,
      { "add ct timeout ip vpnlab udp_timeout_3 { protocol udp; l3proto ip; policy = { unreplied : 5, replied : 5 }; }",
        "flush chain ip vpnlab nat_timeout", 'ct timeout set "udp_timeout_3"' })
vpnlab.is(node.nat.udp_timeout, 5, "set records the new udp_timeout")
local _, serr = nat.set_command("r", node, { mapping = EI }, 4)
vpnlab.ok(serr and serr:find("unknown field 'mapping'"), "set refuses other fields (" .. tostring(serr) .. ")")

-- The topology's checks of these fields, before anything is built (each a
-- scenario-line error; vpnlab.start can be tried again after one).
local function start_error(t)
  local ok, err = pcall(vpnlab.start, t)
  return not ok and tostring(err) or "(started)"
end
local function lab(nat, addrs)
  return { nodes = { r = { kind = "router", nat = nat }, s = {}, c = {} },
           links = { wan = { "r", "s", net = "198.51.100.0/24", addrs = addrs },
                     lan = { "r", "c", net = "10.0.0.0/24" } } }
end
local e = start_error(lab({ outside = "wan", filtering = "full-cone" }))
vpnlab.ok(e:find("rules%.lua:%d+: nat of 'r': filtering must be"), "a bad class names the scenario line (" .. e .. ")")
e = start_error(lab({ outside = "wan", pool = { "198.51.100.9" } }))
vpnlab.ok(e:find("pool address 198%.51%.100%.9 must be one of its addresses on 'wan'"),
          "a pool address the router does not have is refused (" .. e .. ")")
e = start_error(lab({ outside = "wan" }, { s = { "198.51.100.7", 5 } }))
vpnlab.ok(e:find("addrs%.s must be an address or a list of addresses, not a number"),
          "a list of addresses holds strings (" .. e .. ")")
e = start_error(lab({ outside = "wan" }, { r = "198.51.100.1", s = { "198.51.100.7", "198.51.100.1" } }))
vpnlab.ok(e:find("node 's' on link 'wan': address 198%.51%.100%.1 is already taken by 'r'"),
          "a second address may not be another member's (" .. e .. ")")
e = start_error(lab({ outside = "wan" }, { s = { "198.51.100.7", "192.0.2.1" } }))
vpnlab.ok(e:find("address 192%.0%.2%.1 is outside 198%.51%.100%.0/24"), "a second address lies in the link's net (" .. e .. ")")
e = start_error(lab({ outside = "wan" }, { s = { "198.51.100.7", "198.51.100.7" } }))
vpnlab.ok(e:find("198%.51%.100%.7 is already taken by 's'"), "a node's two addresses differ (" .. e .. ")")

-- Automatic addresses step over a member's second ones.
local net = vpnlab.start(lab({ outside = "wan" }, { s = { "198.51.100.1", "198.51.100.2" } }))
vpnlab.is(net.nodes.r:addr("wan"), "198.51.100.3", "the automatic address skips the pinned ones")
vpnlab.is(net.nodes.s:addr("wan"), "198.51.100.1", "node:addr gives the first of several")
local ip = net.nodes.s:exec{ "ip", "-4", "-o", "addr", "show", "dev", "wan" }.output
vpnlab.ok(ip:find("198.51.100.1/24", 1, true) and ip:find("198.51.100.2/24", 1, true),
          "both addresses are on the node's interface")
vpnlab.is(net.nodes.r:exec{ "ping", "-c", "1", "-W", "2", "198.51.100.2" }.status, 0, "the second address answers")
