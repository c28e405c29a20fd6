-- vpnlab.middlebox: a router's NAT and firewall fields as one nftables
-- ruleset, loaded atomically into the router's namespace by the C half.
--
--   nat = { outside = "wan" }          masquerade everything leaving "wan"
--   firewall = { block = { {proto = "udp", port = 4500} } }  drop forwarded udp/4500

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

-- The whole ruleset for a node, or nil when it has no middlebox fields.
function M.ruleset(name, node)
  local out = {}
  if node.nat then
    out[#out + 1] = table.concat({
      "table ip vpnlab {",
      "  chain nat_postrouting {",
      "    type nat hook postrouting priority srcnat; policy accept;",
      string.format('    oifname "%s" masquerade', node.nat.outside),
      "  }",
      "}",
    }, "\n")
  end
  -- The filter table always exists on routers with a firewall, so block/unblock work mid-run.
  if node.firewall or node.kind == "router" then
    out[#out + 1] = "table inet vpnlab {\n" .. forward_chain(name, node.firewall or {}) .. "\n}"
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
