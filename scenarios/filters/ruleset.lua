-- The firewall, port forwarding and SNAT fields as nftables text (the rules
-- vpnlab/middlebox.lua and vpnlab/forward.lua generate), checked without a
-- lab: addresses come from a stand-in for it. The other scenarios in this
-- folder and in forward/ show the same rules acting on the wire.
vpnlab.tags{ "firewall" }

local middlebox = require("vpnlab.middlebox")
local forward = require("vpnlab.forward")

local addrs = { ["office/wan"] = "203.0.113.1", ["office/lan"] = "10.0.0.1", ["gateway/lan"] = "10.0.0.2" }
local env = {
  addr = function(node, link) return addrs[node .. "/" .. link] end,
  routes = { { node = "gateway", dst = "203.0.113.0/24", via = "10.0.0.1", link = "lan" } },
}
local function has(text, line, desc)
  return vpnlab.ok(text:find(line, 1, true) ~= nil, desc .. ": " .. line)
end

local office = { kind = "router", nat = { outside = "wan" },
                 forward = { { proto = "udp", port = 500, to = "gateway" },
                             { proto = "udp", port = 1701, to = "gateway", to_port = 11701 },
                             { proto = "tcp", port = 443, to = "10.0.0.9" } } }
local text = middlebox.ruleset("office", office, env)
has(text, "table ip vpnlab_forward {", "forward has its own table")
has(text, "type nat hook prerouting priority dstnat; policy accept;", "DNAT in prerouting")
has(text, 'iifname "wan" ip daddr 203.0.113.1 udp dport 500 counter dnat to 10.0.0.2:500', "to a node")
has(text, 'iifname "wan" ip daddr 203.0.113.1 udp dport 1701 counter dnat to 10.0.0.2:11701', "to_port")
has(text, 'iifname "wan" ip daddr 203.0.113.1 tcp dport 443 counter dnat to 10.0.0.9:443', "to an address")
has(text, 'oifname "wan" masquerade', "the NAT's table is still there")

local snat = forward.tables("office", { kind = "router", nat = { outside = "wan" },
                                        snat = { to = "203.0.113.1:40000-40099" } }, env)
has(snat, "type nat hook postrouting priority srcnat - 10; policy accept;", "SNAT before masquerade")
has(snat, 'oifname "wan" meta l4proto { tcp, udp } counter snat to 203.0.113.1:40000-40099', "SNAT ports")
has(snat, 'oifname "wan" counter snat to 203.0.113.1', "SNAT address for the rest")
vpnlab.is(forward.tables("office", { kind = "router" }, env), nil, "no forward, no snat: no table")

local fw = middlebox.ruleset("fw", { kind = "router", firewall = {
  outside = "wan", stateful = true, fragments = "drop", icmp = "echo-only",
  block = { { proto = "tcp", port = 25, dir = "in" } },
  allow = { { proto = "udp", port = 500, dir = "out" }, { proto = "esp" } } } }, env)
has(fw, 'iifname "wan" tcp dport 25 counter drop comment "block iifname wan tcp dport 25"', "block with dir")
has(fw, "type filter hook forward priority filter + 5; policy drop;", "allow: default drop")
has(fw, "ct state established,related counter accept", "allow: replies pass")
has(fw, 'oifname "wan" udp dport 500 counter accept comment "allow"', "allow with dir out")
has(fw, 'meta l4proto esp counter accept comment "allow"', "allow a protocol")
has(fw, "type filter hook prerouting priority -450; policy accept;", "fragments before defragmentation (-400)")
has(fw, 'ip frag-off & 0x3fff != 0 counter drop comment "fragments drop"', "fragments: offset or MF")
has(fw, "icmp type != { echo-request, echo-reply } counter drop", "icmp echo-only")
has(fw, 'iifname "wan" ct state new counter drop', "stateful: nothing new from outside")
vpnlab.ok(not fw:find("ct status dnat", 1, true), "no forward: no exception for forwarded ports")

local both = middlebox.ruleset("office", { kind = "router", nat = { outside = "wan" },
  firewall = { stateful = true }, forward = { { port = 4500, to = "gateway" } } }, env)
local dnat_at = both:find("ct status dnat counter accept", 1, true)
local drop_at = both:find('iifname "wan" ct state new counter drop', 1, true)
vpnlab.ok(dnat_at and drop_at and dnat_at < drop_at, "stateful + forward: forwarded ports pass before 'nothing new from outside'")

-- node:block / unblock keep working, with the comment that finds the rule again.
local cmd = middlebox.block_command("home", { proto = "udp", port = 4500 }, "add")
vpnlab.is(cmd, 'add rule inet vpnlab filter_forward udp dport 4500 counter drop comment "block udp dport 4500"\n',
          "node:block's command is unchanged")
vpnlab.is(middlebox.find_handle('udp dport 4500 counter packets 0 bytes 0 drop comment "block udp dport 4500" # handle 7',
                                { proto = "udp", port = 4500 }), "7", "node:unblock finds its rule")
