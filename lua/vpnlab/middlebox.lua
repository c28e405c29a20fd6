-- vpnlab.middlebox: a router's middlebox fields (NAT in vpnlab/nat.lua,
-- the firewall here) as one nftables ruleset, loaded atomically into the
-- router's namespace by the C half.
--
--   nat = {...}                        see vpnlab/nat.lua
--   firewall = { block = { {proto = "udp", port = 4500} } }  drop forwarded udp/4500
--   firewall = { esp = "drop" }         an ESP-unaware box: IP protocol 50 never passes
--   firewall = { stateful = true, outside = "wan" }
--                                      connection tracking: replies pass, nothing new
--                                      comes in from "outside" (default: the NAT's outside)
--
-- Block rules live in one chain (filter_forward) so node:block/unblock can add
-- and remove them mid-run; the ESP and stateful policy lives in a second chain
-- that the kernel runs after it (a later priority), so a block still drops
-- packets of a connection the stateful chain would accept.

local nat = require("vpnlab.nat")

local M = {}

local PROTOS = { udp = true, tcp = true, icmp = true, esp = true, ah = true, gre = true }

-- The match part of a rule: {proto="udp", port=4500} -> "udp dport 4500".
local function match(node, rule)
  local proto = rule.proto or "udp"
  if not PROTOS[proto] then
    error(string.format("node '%s': block rule proto must be one of udp, tcp, icmp, esp, ah, gre", node), 0)
  end
  if rule.port or rule.sport then
    if proto ~= "udp" and proto ~= "tcp" then
      error(string.format("node '%s': a port only applies to udp or tcp", node), 0)
    end
    local parts = {}
    if rule.port then parts[#parts + 1] = string.format("%s dport %d", proto, rule.port) end
    if rule.sport then parts[#parts + 1] = string.format("%s sport %d", proto, rule.sport) end
    return table.concat(parts, " ")
  end
  return "meta l4proto " .. proto
end

-- The comment tags a rule so unblock can find it again.
local function tag(node, rule)
  return string.format('comment "block %s"', match(node, rule))
end

local function forward_chain(node, fw)
  local lines = {
    "  chain filter_forward {",
    "    type filter hook forward priority filter; policy accept;",
  }
  for _, rule in ipairs(fw.block or {}) do
    lines[#lines + 1] = string.format("    %s counter drop %s", match(node, rule), tag(node, rule))
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- The policy chain, or nil when the firewall has no esp/stateful fields.
local function policy_chain(node, fw)
  if fw.esp ~= "drop" and not fw.stateful then return nil end
  local lines = {
    "  chain filter_policy {",
    "    type filter hook forward priority filter + 10; policy accept;",
  }
  if fw.esp == "drop" then
    lines[#lines + 1] = '    meta l4proto esp counter drop comment "esp drop"'
  end
  if fw.stateful then
    lines[#lines + 1] = "    ct state established,related counter accept"
    lines[#lines + 1] = '    ct state invalid counter drop comment "stateful: invalid"'
    local outside = fw.outside or (node.nat and node.nat.outside)
    if outside then
      lines[#lines + 1] = string.format('    iifname "%s" ct state new counter drop comment "stateful: nothing new from outside"', outside)
    end
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- The whole ruleset for a node, or nil when it has no middlebox fields: each
-- middlebox module contributes its own tables (nil when the node lacks it).
function M.ruleset(name, node)
  local out = {}
  out[#out + 1] = nat.tables(name, node)
  -- The filter table always exists on routers with a firewall, so block/unblock work mid-run.
  if node.firewall or node.kind == "router" then
    local chains = { forward_chain(name, node.firewall or {}) }
    chains[#chains + 1] = policy_chain(node, node.firewall or {})
    out[#out + 1] = "table inet vpnlab {\n" .. table.concat(chains, "\n") .. "\n}"
  end
  if #out == 0 then return nil end
  return table.concat(out, "\n") .. "\n"
end

function M.block_command(name, rule, verb)
  return string.format("%s rule inet vpnlab filter_forward %s counter drop %s\n", verb,
                       match(name, rule), tag(name, rule))
end

function M.unblock_command(handle)
  return string.format("delete rule inet vpnlab filter_forward handle %s\n", handle)
end

-- Find the handle of a block rule in `nft -a list chain` output.
function M.find_handle(listing, rule)
  local want = "block " .. match("?", rule)
  for line in listing:gmatch("[^\n]+") do
    if line:find('comment "' .. want .. '"', 1, true) then
      return line:match("# handle (%d+)")
    end
  end
  return nil
end

return M
