-- vpnlab.nat: a router's `nat` field as nftables rules (the nat table of
-- its ruleset) and the runtime NAT events. Loaded into the router's
-- namespace with the rest of its ruleset (vpnlab/middlebox.lua).
--
--   nat = { outside = "wan" }          masquerade everything leaving "wan"
--   nat = { outside = "wan", port_range = "40000-40099" }
--                                      ... with udp/tcp outside ports taken from that range
--                                      (plain masquerade keeps a source port when it is free)

local M = {}

-- "40000-40099" or "40000" -> 40000, 40099; nil, msg when it is not a range of ports.
function M.port_range(s)
  local lo, hi = tostring(s):match("^(%d+)%-(%d+)$")
  if not lo then lo = tostring(s):match("^(%d+)$"); hi = lo end
  lo, hi = tonumber(lo), tonumber(hi)
  if not lo or lo < 1 or hi > 65535 or lo > hi then
    return nil, string.format("port_range must be \"low-high\" with 1 <= low <= high <= 65535, not %q",
                              tostring(s))
  end
  return lo, hi
end

-- The masquerade rules of a NAT: a port range applies to udp and tcp (the
-- only protocols with ports); everything else leaves plainly masqueraded.
local function nat_rules(nat)
  local rules = {}
  if nat.port_range then
    local lo, hi = M.port_range(nat.port_range)
    rules[#rules + 1] = string.format('oifname "%s" meta l4proto { tcp, udp } masquerade to :%d-%d',
                                      nat.outside, lo, hi)
  end
  rules[#rules + 1] = string.format('oifname "%s" masquerade', nat.outside)
  return rules
end

-- The `table ip vpnlab` text of a router's NAT, or nil without one.
function M.tables(name, node)
  if not node.nat then return nil end
  local lines = {
    "table ip vpnlab {",
    "  chain nat_postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
  }
  for _, rule in ipairs(nat_rules(node.nat)) do lines[#lines + 1] = "    " .. rule end
  lines[#lines + 1] = "  }"
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

-- node:remap{...}: the nft commands that install the new port range (one
-- transaction, run before conntrack is flushed so no packet in between is
-- mapped the old way), or "" when the masquerade stays as it is; nil, msg
-- for a bad request. Records the new range in node.nat.
function M.remap_command(name, node, opts)
  if type(opts) ~= "table" then return nil, "remap takes a table: node:remap{ port_range = \"40000-40099\" }" end
  for k in pairs(opts) do
    if k ~= "port_range" then return nil, string.format("remap: unknown field '%s' (known: port_range)", tostring(k)) end
  end
  if opts.port_range == nil then return "" end
  local lo, err = M.port_range(opts.port_range)
  if not lo then return nil, "remap: " .. err end
  if not node.nat then return nil, string.format("remap: node '%s' has no nat, so no port_range to change", name) end
  node.nat.port_range = opts.port_range
  local cmds = { "flush chain ip vpnlab nat_postrouting" }
  for _, rule in ipairs(nat_rules(node.nat)) do cmds[#cmds + 1] = "add rule ip vpnlab nat_postrouting " .. rule end
  return table.concat(cmds, "\n") .. "\n"
end

return M
