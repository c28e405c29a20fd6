-- vpnlab.forward: a router's port forwarding (DNAT) and fixed-address SNAT,
-- as a table of its own (`table ip vpnlab_forward`) in the router's ruleset
-- (vpnlab/middlebox.lua assembles it with the NAT and firewall tables).
--
--   forward = { { proto = "udp", port = 500, to = "gateway" },
--               { proto = "udp", port = 1701, to = "gateway", to_port = 1701 } }
--       what arrives on the outside link for the router's outside address and
--       that port goes to the node `to` (its address on a link it shares with
--       the router; `to` may also be an address), to port to_port (default: the
--       same port). The outside link is forward's `outside`, else the NAT's,
--       else the firewall's.
--   snat = { to = "203.0.113.1", outside = "wan" }
--   snat = { to = "203.0.113.1:40000-40099" }
--       iptables' SNAT --to-source on what leaves the outside link (default:
--       the NAT's): udp and tcp take ports from the range, everything else
--       the address alone. It runs before the NAT's masquerade (a lower
--       priority), so it wins. The address should be the router's own: the
--       outside world's replies to any other address find no ARP answer.

local M = {}

local PROTOS = { udp = true, tcp = true }

local function addr_ok(s)
  local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, x in ipairs({ a, b, c, d }) do
    if tonumber(x) > 255 or (#x > 1 and x:sub(1, 1) == "0") then return false end
  end
  return true
end
M.addr_ok = addr_ok

local function port_ok(p)
  return math.type(p) == "integer" and p >= 1 and p <= 65535
end

-- "a.b.c.d" or "a.b.c.d:lo-hi" or "a.b.c.d:port" -> addr, lo, hi (ports may be nil); nil, msg.
function M.parse_snat_to(s)
  local addr, ports = tostring(s):match("^([^:]+):(.+)$")
  if not addr then addr = tostring(s) end
  if not addr_ok(addr) then
    return nil, string.format("snat.to must be \"a.b.c.d\" or \"a.b.c.d:low-high\", not %q", tostring(s))
  end
  if not ports then return addr end
  local lo, hi = ports:match("^(%d+)%-(%d+)$")
  if not lo then lo = ports:match("^(%d+)$"); hi = lo end
  lo, hi = tonumber(lo), tonumber(hi)
  if not lo or lo < 1 or hi > 65535 or lo > hi then
    return nil, string.format("snat.to: ports must be \"low-high\" with 1 <= low <= high <= 65535, not %q", ports)
  end
  return addr, lo, hi
end

-- The outside link of a forward list or an snat table.
function M.outside_of(node, t)
  return (t and t.outside) or (node.nat and node.nat.outside) or (node.firewall and node.firewall.outside)
end

-- Checks one forward entry; nil or a message (topology.lua adds the position).
function M.check_entry(e)
  local proto = e.proto or "udp"
  if not PROTOS[proto] then return string.format("proto must be \"udp\" or \"tcp\", not %q", tostring(proto)) end
  if not port_ok(e.port) then return "port must be a port number 1..65535" end
  if e.to_port ~= nil and not port_ok(e.to_port) then return "to_port must be a port number 1..65535" end
  if type(e.to) ~= "string" then return "to = \"<node>\" (or an address) is required" end
  return nil
end

-- The lab's facts forward needs: addr(node, link) and routes (core.lab_routes()).
local function lab_env()
  local core = require("vpnlab.core")
  return { addr = core.lab_addr, routes = core.lab_routes() }
end

-- The address to forward to: `to` itself when it is an address; else the
-- node's address on a link it shares with the router (found through its
-- routes: a node next to the router has a route via the router's address on
-- that link), else its address on any link it has a route out of.
function M.target(router, to, env)
  if addr_ok(to) then return to end
  local any
  for _, r in ipairs(env.routes or {}) do
    if r.node == to then
      local mine = env.addr(to, r.link)
      if mine and env.addr(router, r.link) == r.via then return mine end
      any = any or mine
    end
  end
  if any then return any end
  error(string.format("node '%s': forward to '%s': no address of that node reachable from the router", router, to), 0)
end

local function dnat_chain(name, node, env)
  local outside = M.outside_of(node, node.forward)
  if not outside then
    error(string.format("node '%s': forward needs an outside link (forward.outside, nat.outside or firewall.outside)", name), 0)
  end
  local here = env.addr(name, outside)
  if not here then error(string.format("node '%s': forward: not on its outside link '%s'", name, outside), 0) end
  local lines = {
    "  chain dnat_prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
  }
  for _, e in ipairs(node.forward) do
    local proto = e.proto or "udp"
    lines[#lines + 1] = string.format('    iifname "%s" ip daddr %s %s dport %d counter dnat to %s:%d',
                                      outside, here, proto, e.port, M.target(name, e.to, env), e.to_port or e.port)
  end
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

local function snat_chain(name, node)
  local outside = M.outside_of(node, node.snat)
  if not outside then
    error(string.format("node '%s': snat needs an outside link (snat.outside or nat.outside)", name), 0)
  end
  local addr, lo, hi = M.parse_snat_to(node.snat.to)
  if not addr then error(string.format("node '%s': %s", name, lo), 0) end
  local lines = {
    "  chain snat_postrouting {",
    "    type nat hook postrouting priority srcnat - 10; policy accept;",
  }
  if lo then
    lines[#lines + 1] = string.format('    oifname "%s" meta l4proto { tcp, udp } counter snat to %s:%d-%d',
                                      outside, addr, lo, hi)
  end
  lines[#lines + 1] = string.format('    oifname "%s" counter snat to %s', outside, addr)
  lines[#lines + 1] = "  }"
  return table.concat(lines, "\n")
end

-- The `table ip vpnlab_forward` text of a router's forward and snat fields,
-- or nil without them. env (optional) = { addr = fn(node, link), routes = {...} }:
-- the lab's by default; tests give their own.
function M.tables(name, node, env)
  if not node.forward and not node.snat then return nil end
  local chains = {}
  if node.forward then chains[#chains + 1] = dnat_chain(name, node, env or lab_env()) end
  if node.snat then chains[#chains + 1] = snat_chain(name, node) end
  return "table ip vpnlab_forward {\n" .. table.concat(chains, "\n") .. "\n}"
end

return M
