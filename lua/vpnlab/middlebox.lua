-- vpnlab.middlebox: a router's middlebox fields (NAT in vpnlab/nat.lua, port
-- forwarding and SNAT in vpnlab/forward.lua, the firewall here) as one
-- nftables ruleset, loaded atomically into the router's namespace by the C half.
--
--   nat = {...}                        see vpnlab/nat.lua
--   forward = {...}, snat = {...}      see vpnlab/forward.lua
--   firewall = { block = { {proto = "udp", port = 4500} } }  drop forwarded udp/4500
--   firewall = { allow = { {proto = "udp", port = 500}, ... } }
--                                      forward only what is listed (and replies): default drop
--   firewall = { esp = "drop" }         an ESP-unaware box: IP protocol 50 never passes
--   firewall = { fragments = "drop" }   IP fragments die here, before reassembly
--   firewall = { icmp = "drop" | "echo-only" | "pass" }
--   firewall = { stateful = true, outside = "wan" }
--                                      connection tracking: replies pass, nothing new
--                                      comes in from "outside" (default: the NAT's outside)
--   firewall = { block_input = { {proto = "udp", port = 1701, ipsec = false} } }
--                                      drop what is addressed to the node itself (hosts too):
--                                      here L2TP that did not arrive under IPsec
-- A block or allow rule is { proto =, port =, sport =, dir = "in" | "out", ipsec = }:
-- port is the destination port, sport the source port, and dir ("in": arriving
-- on the outside link, "out": leaving by it) needs an outside link. ipsec = true
-- matches only what arrived under an IPsec policy (nft's `meta ipsec exists`,
-- iptables' `-m policy --dir in --pol ipsec`), ipsec = false only what did not.
--
-- Block rules live in one chain (filter_forward) so node:block/unblock can add
-- and remove them mid-run. The allow list (filter_allow) and the ESP, ICMP and
-- stateful policy (filter_policy) are chains the kernel runs after it (later
-- priorities), so a block still drops packets those chains would accept.
-- Fragments are dropped in prerouting at priority -450: the kernel's
-- defragmentation (conntrack's, at -400) would otherwise reassemble them
-- before any forward-hook rule could see a fragment.

local nat = require("vpnlab.nat")
local forward = require("vpnlab.forward")

local M = {}

local PROTOS = { udp = true, tcp = true, icmp = true, esp = true, ah = true, gre = true }

-- Below nf_defrag_ipv4 (NF_IP_PRI_CONNTRACK_DEFRAG = -400).
M.FRAGMENT_PRIORITY = -450

-- The outside link of a node's firewall: its own, else the NAT's.
local function outside_of(node)
  local fw = node.firewall or {}
  return fw.outside or (node.nat and node.nat.outside)
end

-- The match part of a rule: {proto="udp", port=4500} -> "udp dport 4500";
-- with dir = "in" it starts with iifname "<outside>".
local function match(name, rule, outside)
  local proto = rule.proto or "udp"
  if not PROTOS[proto] then
    error(string.format("node '%s': a firewall rule's proto must be one of udp, tcp, icmp, esp, ah, gre", name), 0)
  end
  local parts = {}
  if rule.dir ~= nil then
    if rule.dir ~= "in" and rule.dir ~= "out" then
      error(string.format("node '%s': a firewall rule's dir must be \"in\" or \"out\", not %q", name, tostring(rule.dir)), 0)
    end
    if not outside then
      error(string.format("node '%s': dir = \"%s\" needs an outside link (firewall.outside or nat.outside)", name, rule.dir), 0)
    end
    parts[#parts + 1] = string.format('%s "%s"', rule.dir == "in" and "iifname" or "oifname", outside)
  end
  if rule.port or rule.sport then
    if proto ~= "udp" and proto ~= "tcp" then
      error(string.format("node '%s': a port only applies to udp or tcp", name), 0)
    end
    if rule.port then parts[#parts + 1] = string.format("%s dport %d", proto, rule.port) end
    if rule.sport then parts[#parts + 1] = string.format("%s sport %d", proto, rule.sport) end
  else
    parts[#parts + 1] = "meta l4proto " .. proto
  end
  if rule.ipsec ~= nil then
    if type(rule.ipsec) ~= "boolean" then
      error(string.format("node '%s': a firewall rule's ipsec must be true or false", name), 0)
    end
    parts[#parts + 1] = rule.ipsec and "meta ipsec exists" or "meta ipsec missing"
  end
  return table.concat(parts, " ")
end

-- The comment tags a rule so unblock can find it again.
local function tag(name, rule, outside)
  return string.format('comment "block %s"', (match(name, rule, outside):gsub('"', "")))
end

local function forward_chain(name, fw, outside)
  local lines = {
    "  chain filter_forward {",
    "    type filter hook forward priority filter; policy accept;",
  }
  for _, rule in ipairs(fw.block or {}) do
    lines[#lines + 1] = string.format("    %s counter drop %s", match(name, rule, outside), tag(name, rule, outside))
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- The allow list, or nil without one: replies to what was allowed pass
-- (connection tracking), and so does traffic the router port-forwards.
local function allow_chain(name, node, fw, outside)
  if fw.allow == nil then return nil end
  local lines = {
    "  chain filter_allow {",
    "    type filter hook forward priority filter + 5; policy drop;",
    "    ct state established,related counter accept",
  }
  if node.forward then lines[#lines + 1] = '    ct status dnat counter accept comment "forwarded port"' end
  for _, rule in ipairs(fw.allow) do
    lines[#lines + 1] = string.format('    %s counter accept comment "allow"', match(name, rule, outside))
  end
  lines[#lines + 1] = '    counter comment "allow: default drop"'
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

local ICMP = {
  drop = '    meta l4proto icmp counter drop comment "icmp drop"',
  ["echo-only"] = '    meta l4proto icmp icmp type != { echo-request, echo-reply } counter drop comment "icmp: echo only"',
}

-- The policy chain, or nil when the firewall has no esp/icmp/stateful fields.
local function policy_chain(node, fw, outside)
  if fw.esp ~= "drop" and not fw.stateful and not ICMP[fw.icmp or ""] then return nil end
  local lines = {
    "  chain filter_policy {",
    "    type filter hook forward priority filter + 10; policy accept;",
  }
  if fw.esp == "drop" then
    lines[#lines + 1] = '    meta l4proto esp counter drop comment "esp drop"'
  end
  lines[#lines + 1] = ICMP[fw.icmp or ""]
  if fw.stateful then
    lines[#lines + 1] = "    ct state established,related counter accept"
    lines[#lines + 1] = '    ct state invalid counter drop comment "stateful: invalid"'
    if outside then
      if node.forward then
        lines[#lines + 1] = '    ct status dnat counter accept comment "forwarded port"'
      end
      lines[#lines + 1] = string.format('    iifname "%s" ct state new counter drop comment "stateful: nothing new from outside"', outside)
    end
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- What is addressed to the node itself (block_input), or nil without it.
local function input_chain(name, fw, outside)
  if fw.block_input == nil then return nil end
  local lines = {
    "  chain filter_input {",
    "    type filter hook input priority filter; policy accept;",
  }
  for _, rule in ipairs(fw.block_input) do
    lines[#lines + 1] = string.format('    %s counter drop comment "block_input"', match(name, rule, outside))
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- IP fragments (a non-zero offset or the more-fragments bit), before defragmentation.
local function fragment_chain(fw)
  if fw.fragments ~= "drop" then return nil end
  return table.concat({
    "  chain fragments_prerouting {",
    string.format("    type filter hook prerouting priority %d; policy accept;", M.FRAGMENT_PRIORITY),
    '    ip frag-off & 0x3fff != 0 counter drop comment "fragments drop"',
    "  }",
  }, "\n")
end

-- The whole ruleset for a node, or nil when it has no middlebox fields: each
-- middlebox module contributes its own tables (nil when the node lacks it).
-- env is passed on to forward.tables (tests give it addresses without a lab).
function M.ruleset(name, node, env)
  local out = {}
  out[#out + 1] = nat.tables(name, node)
  out[#out + 1] = require("vpnlab.cgnat").tables(name, node)
  out[#out + 1] = forward.tables(name, node, env)
  -- The filter table always exists on routers with a firewall, so block/unblock work mid-run.
  if node.firewall or node.kind == "router" then
    local fw = node.firewall or {}
    local outside = outside_of(node)
    local chains = { forward_chain(name, fw, outside) }
    chains[#chains + 1] = allow_chain(name, node, fw, outside)
    chains[#chains + 1] = policy_chain(node, fw, outside)
    chains[#chains + 1] = fragment_chain(fw)
    chains[#chains + 1] = input_chain(name, fw, outside)
    out[#out + 1] = "table inet vpnlab {\n" .. table.concat(chains, "\n") .. "\n}"
  end
  if #out == 0 then return nil end
  return table.concat(out, "\n") .. "\n"
end

-- node:block/unblock: node is the router's topology table (for dir's outside link).
function M.block_command(name, rule, verb, node)
  local outside = node and outside_of(node)
  return string.format("%s rule inet vpnlab filter_forward %s counter drop %s\n", verb,
                       match(name, rule, outside), tag(name, rule, outside))
end

function M.unblock_command(handle)
  return string.format("delete rule inet vpnlab filter_forward handle %s\n", handle)
end

-- Find the handle of a block rule in `nft -a list chain` output: the same
-- rule text block_command (or the topology's block list) tagged it with.
function M.find_handle(listing, rule, node, name)
  local outside = node and outside_of(node)
  local want = tag(name or "?", rule, outside)
  for line in listing:gmatch("[^\n]+") do
    if line:find(want, 1, true) then
      return line:match("# handle (%d+)")
    end
  end
  return nil
end

return M
