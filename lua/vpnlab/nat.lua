-- vpnlab.nat: a router's `nat` field as nftables rules (the nat table of
-- its ruleset) and the runtime NAT events. Loaded into the router's
-- namespace with the rest of its ruleset (vpnlab/middlebox.lua).
--
--   nat = { outside = "wan" }          Linux masquerade out of "wan": measured as
--                                      endpoint-independent mapping (the inside port is
--                                      kept when free) and address-and-port-dependent
--                                      filtering (only conntrack's exact replies come in)
--   nat = { outside = "wan", mapping = M, filtering = F }   an RFC 4787 class, M and F each
--                                      "endpoint-independent", "address-dependent" or
--                                      "address-and-port-dependent"
--   port_preservation = true|false     (endpoint-independent mapping) keep the inside port /
--                                      always take another (default true)
--   port_range = "40000-40099"         outside udp/tcp ports from that range
--   hairpin = true                     inside hosts reach each other's mappings through
--                                      the outside address (RFC 4787 REQ-9)
--   udp_timeout = 30                   the lifetime of an idle udp mapping (seconds)
--   pool = { "203.0.113.1", "203.0.113.5" }   outside addresses (the router's addresses on
--                                      the outside link), paired: one inside host, one address
--
-- The construction (all in the kernel: nat rules, conntrack, dynamic maps):
--   mapping   the outside port is an expression of what the class keys on:
--             EIM  the inside port (preserved) or jhash(inside addr . port);
--             ADM  jhash(inside addr . port . remote addr);
--             APDM jhash(inside addr . port . remote addr . remote port),
--             folded into the port range; `snat to <addr> : <expression>`.
--   filtering conntrack alone lets in only exact replies (APDF). Each outbound
--             packet that was source-NATed refreshes a dynamic map entry, after
--             the NAT hook, from its conntrack entry: EIF keys
--             (outside addr . outside port) and ADF (outside addr . outside port .
--             remote addr) to (inside addr . inside port); a new inbound packet
--             whose key is there is DNATed to that inside endpoint before routing.
--   lifetime  a `ct timeout` object of the router's table for udp, and the maps'
--             entry timeout, both udp_timeout.

local M = {}

M.CLASSES = { ["endpoint-independent"] = "EI", ["address-dependent"] = "AD",
              ["address-and-port-dependent"] = "APD" }

local PROTOS = { "udp", "tcp" }
-- A seed fixes the hashes, so a lab maps the same way on every run.
local SEED = "0x5650"

-- Outside ports picked by hashing when there is no port_range (the unprivileged ones).
local HASH_LO, HASH_HI = 1024, 65535
-- TCP mappings in the filtering maps live as long as RFC 5382's established minimum.
local TCP_MAP_TIMEOUT = 7440
-- UDP mappings without udp_timeout: Linux's timeout for an answered udp flow.
local UDP_DEFAULT_TIMEOUT = 120

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

local function is_ipv4(s)
  local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  for _, x in ipairs({ a, b, c, d }) do
    if not x or tonumber(x) > 255 then return false end
  end
  return true
end

-- The outside ports a hash picks from: port_range, or every unprivileged port.
local function hash_range(nat)
  if nat.port_range then return M.port_range(nat.port_range) end
  return HASH_LO, HASH_HI
end

-- Check the class fields of a nat table (the topology checks outside and
-- the field types): nil when fine, or the message.
function M.check(nat)
  for _, k in ipairs({ "mapping", "filtering" }) do
    if nat[k] ~= nil and not M.CLASSES[nat[k]] then
      return string.format('%s must be "endpoint-independent", "address-dependent" or '
                           .. '"address-and-port-dependent", not %q', k, tostring(nat[k]))
    end
  end
  if nat.port_range ~= nil then
    local lo, err = M.port_range(nat.port_range)
    if not lo then return err end
  end
  if nat.port_preservation ~= nil then
    if nat.mapping == nil then
      return 'port_preservation needs a mapping class (mapping = "endpoint-independent"); '
             .. "plain masquerade keeps a port when it is free"
    end
    if nat.port_preservation and nat.mapping ~= "endpoint-independent" then
      return string.format('port_preservation = true needs mapping = "endpoint-independent" '
                           .. '(a %s mapping has a port per remote, not the inside one)', nat.mapping)
    end
  end
  if nat.udp_timeout ~= nil and not (math.type(nat.udp_timeout) == "integer"
                                     and nat.udp_timeout >= 1 and nat.udp_timeout <= 86400) then
    return "udp_timeout must be a whole number of seconds, 1..86400, not " .. tostring(nat.udp_timeout)
  end
  if nat.pool ~= nil then
    if #nat.pool == 0 then return "pool must list outside addresses" end
    for _, a in pairs(nat.pool) do
      if not is_ipv4(a) then return string.format("pool: %q is not an IPv4 address", tostring(a)) end
    end
  end
  return nil
end

-- The outside port expression of one protocol for a mapping class: a hash
-- of what the class keys on, looked up in the hash_ports map. (The lookup
-- is not decoration: the NAT statement reads a port in network byte order,
-- and a hash is a host-order integer; the map's values are real ports.)
local function port_expr(nat, proto)
  local lo, hi = hash_range(nat)
  local class = M.CLASSES[nat.mapping or "endpoint-independent"]
  local key = string.format("ip saddr . %s sport", proto)
  if class == "AD" then
    key = key .. " . ip daddr"
  elseif class == "APD" then
    key = key .. string.format(" . ip daddr . %s dport", proto)
  end
  return string.format("jhash %s mod %d seed %s map @hash_ports", key, hi - lo + 1, SEED)
end

-- Whether the NAT picks ports by hashing (every class but a kept port).
local function hashes(nat)
  return nat.mapping ~= nil and (nat.mapping ~= "endpoint-independent" or nat.port_preservation == false
                                 or nat.port_range ~= nil)
end

-- The outside address part of a snat: one address, or the pool paired by inside host.
local function addr_expr(nat)
  if not nat.pool then return nil end
  if #nat.pool == 1 then return nat.pool[1] end
  local items = {}
  for i, a in ipairs(nat.pool) do items[#items + 1] = string.format("%d : %s", i - 1, a) end
  return string.format("jhash ip saddr mod %d seed %s map { %s }", #nat.pool, SEED, table.concat(items, ", "))
end

-- What a packet that the NAT maps looks like, and the outside address it
-- gets (nil: the outgoing interface's, masquerade): leaving by the outside,
-- or (hairpin) turned back inside by the prerouting DNAT, which then gets
-- the outside address it was sent to.
local function mapped_matches(nat)
  local pool = addr_expr(nat)
  local m = { { match = string.format('oifname "%s"', nat.outside), addr = pool } }
  if nat.hairpin then
    m[#m + 1] = { match = string.format('iifname != "%s" oifname != "%s" ct status dnat', nat.outside, nat.outside),
                  addr = pool or "ct original ip daddr" }
  end
  return m
end

-- The NAT statement to `addr` (nil: masquerade) with a port part (nil: none).
local function nat_stmt(addr, port)
  if addr then return "snat ip to " .. addr .. (port and (" : " .. port) or "") end
  return "masquerade" .. (port and (" to :" .. port) or "")
end

-- The postrouting rules: the source NAT of each mapped packet.
local function snat_rules(nat)
  local rules = {}
  local lo, hi
  if nat.port_range then lo, hi = M.port_range(nat.port_range) end
  for _, mm in ipairs(mapped_matches(nat)) do
    local match, addr = mm.match, mm.addr
    if nat.mapping == nil then
      -- Linux's own choice of port (kept when free), from port_range when there is one.
      if lo then
        rules[#rules + 1] = string.format("%s meta l4proto { tcp, udp } %s", match,
                                          nat_stmt(addr, string.format("%d-%d", lo, hi)))
      end
    else
      for _, proto in ipairs(PROTOS) do
        if nat.mapping == "endpoint-independent" and nat.port_preservation ~= false then
          -- Linux's own choice: an inside endpoint with a tracked mapping gets that
          -- one again (the NAT's bysource table), a new one keeps its port when free.
          rules[#rules + 1] = string.format("%s meta l4proto %s %s", match, proto,
                                            nat_stmt(addr, lo and string.format("%d-%d", lo, hi)))
        else
          rules[#rules + 1] = string.format("%s meta l4proto %s %s", match, proto,
                                            nat_stmt(addr, port_expr(nat, proto)))
        end
      end
    end
    rules[#rules + 1] = string.format("%s %s", match, nat_stmt(addr))
  end
  return rules
end

-- The filtering maps (and the hairpin's) a NAT keeps, per protocol: `filtering`
-- its class (nil: conntrack alone), `hairpin` and `udp_timeout` as in a nat.
local function maps_of(filtering, hairpin, udp_timeout)
  local maps = {}
  local eif = filtering == "endpoint-independent" or hairpin
  for _, proto in ipairs(PROTOS) do
    local timeout = proto == "udp" and (udp_timeout or UDP_DEFAULT_TIMEOUT) or TCP_MAP_TIMEOUT
    if eif then
      maps[#maps + 1] = { name = "eif_" .. proto, proto = proto, timeout = timeout,
                          type = "ipv4_addr . inet_service : ipv4_addr . inet_service",
                          key = "ct reply ip daddr . ct reply proto-dst",
                          lookup = string.format("ip daddr . %s dport", proto) }
    end
    if filtering == "address-dependent" then
      maps[#maps + 1] = { name = "adf_" .. proto, proto = proto, timeout = timeout,
                          type = "ipv4_addr . inet_service . ipv4_addr : ipv4_addr . inet_service",
                          key = "ct reply ip daddr . ct reply proto-dst . ip daddr",
                          lookup = string.format("ip daddr . %s dport . ip saddr", proto) }
    end
  end
  return maps
end

-- The filtering construction of class `filtering` (nil or
-- "address-and-port-dependent": conntrack alone) for the outside link
-- opts.outside, for any table whose NAT source-maps what leaves that link
-- (vpnlab/cgnat.lua uses it too): opts.udp_timeout (the udp entries'
-- lifetime, default 120 s) and opts.hairpin (a nat's REQ-9 lookup).
--   { maps  = lines declaring the dynamic maps (indented relative to the table),
--     dnat  = rules for a `type nat hook prerouting priority dstnat` chain: a new
--             inbound packet whose key is in a map goes to its inside endpoint,
--     learn = rules for a `type filter hook postrouting priority srcnat + 10` chain:
--             every source-mapped packet leaving the outside link refreshes its entries }
-- All three are empty when the class needs no map.
function M.filtering_parts(filtering, opts)
  opts = opts or {}
  if filtering ~= nil and not M.CLASSES[filtering] then
    error(string.format("filtering_parts: unknown filtering class %q", tostring(filtering)), 2)
  end
  local parts = { maps = {}, dnat = {}, learn = {} }
  for _, m in ipairs(maps_of(filtering, opts.hairpin, opts.udp_timeout)) do
    parts.maps[#parts.maps + 1] = string.format("map %s {", m.name)
    parts.maps[#parts.maps + 1] = string.format("  type %s; flags dynamic,timeout; timeout %ds;", m.type, m.timeout)
    parts.maps[#parts.maps + 1] = "}"
    local from = string.format('iifname "%s"', opts.outside)
    if m.name:sub(1, 3) == "eif" and opts.hairpin then
      -- The hairpin: inside hosts reach the mapping through the outside address too.
      from = (filtering == "endpoint-independent" and "" or string.format('iifname != "%s" ', opts.outside))
             .. "fib daddr type local"
    end
    parts.dnat[#parts.dnat + 1] = string.format("%s meta l4proto %s ct state new dnat ip to %s map @%s",
                                                from, m.proto, m.lookup, m.name)
    parts.learn[#parts.learn + 1] = string.format(
      'oifname "%s" meta l4proto %s ct status snat update @%s { %s : ct original ip saddr . ct original proto-src }',
      opts.outside, m.proto, m.name, m.key)
  end
  return parts
end

-- The `table ip vpnlab` text of a router's NAT, or nil without one.
function M.tables(name, node)
  local nat = node.nat
  if not nat then return nil end
  local err = M.check(nat)
  if err then error(string.format("nat of '%s': %s", name, err), 0) end
  local out = { "table ip vpnlab {" }
  local function add(fmt, ...) out[#out + 1] = string.format(fmt, ...) end
  if nat.udp_timeout then
    add("  ct timeout udp_timeout {")
    add("    protocol udp; l3proto ip;")
    add("    policy = { unreplied : %d, replied : %d };", nat.udp_timeout, nat.udp_timeout)
    add("  }")
  end
  if hashes(nat) then
    local lo, hi = hash_range(nat)
    local items = {}
    for i = 0, hi - lo do items[#items + 1] = string.format("%d : %d", i, lo + i) end
    add("  map hash_ports {")
    add("    typeof numgen inc mod 2 : udp sport;")
    add("    elements = { %s }", table.concat(items, ", "))
    add("  }")
  end
  local parts = M.filtering_parts(nat.filtering, { outside = nat.outside, udp_timeout = nat.udp_timeout,
                                                   hairpin = nat.hairpin })
  for _, line in ipairs(parts.maps) do add("  %s", line) end
  if nat.udp_timeout then
    add("  chain nat_timeout {")
    -- After conntrack made the entry (-200), before it is confirmed.
    add("    type filter hook prerouting priority mangle; policy accept;")
    add('    meta l4proto udp ct timeout set "udp_timeout"')
    add("  }")
  end
  if #parts.dnat > 0 then
    -- Inbound: a new flow to a mapping the filtering lets through goes to its inside endpoint.
    add("  chain nat_prerouting {")
    add("    type nat hook prerouting priority dstnat; policy accept;")
    for _, rule in ipairs(parts.dnat) do add("    %s", rule) end
    add("  }")
    -- Outbound: every source-NATed packet refreshes its mapping's entries.
    add("  chain nat_learn {")
    add("    type filter hook postrouting priority srcnat + 10; policy accept;")
    for _, rule in ipairs(parts.learn) do add("    %s", rule) end
    add("  }")
  end
  add("  chain nat_postrouting {")
  add("    type nat hook postrouting priority srcnat; policy accept;")
  for _, rule in ipairs(snat_rules(nat)) do add("    %s", rule) end
  add("  }")
  add("}")
  return table.concat(out, "\n")
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
  for _, rule in ipairs(snat_rules(node.nat)) do cmds[#cmds + 1] = "add rule ip vpnlab nat_postrouting " .. rule end
  return table.concat(cmds, "\n") .. "\n"
end

-- node:set{ udp_timeout = s }: the nft commands that give new udp mappings
-- that lifetime (a ct timeout object cannot be changed in place, so each
-- change adds a new one and points the rule at it; flows already tracked
-- keep the lifetime they started with), and the maps' entries too.
function M.set_command(name, node, opts, serial)
  if type(opts) ~= "table" then return nil, "set takes a table: router:set{ udp_timeout = 5 }" end
  for k in pairs(opts) do
    if k ~= "udp_timeout" then return nil, string.format("set: unknown field '%s' (known: udp_timeout)", tostring(k)) end
  end
  if not node.nat then return nil, string.format("set: node '%s' has no nat", name) end
  if opts.udp_timeout == nil then return "" end
  local probe = { udp_timeout = opts.udp_timeout }
  local err = M.check(probe)
  if err then return nil, "set: " .. err end
  local t = opts.udp_timeout
  local obj = string.format("udp_timeout_%d", serial)
  local cmds = {
    string.format("add ct timeout ip vpnlab %s { protocol udp; l3proto ip; policy = { unreplied : %d, replied : %d }; }",
                  obj, t, t),
    "add chain ip vpnlab nat_timeout { type filter hook prerouting priority mangle; policy accept; }",
    "flush chain ip vpnlab nat_timeout",
    string.format('add rule ip vpnlab nat_timeout meta l4proto udp ct timeout set "%s"', obj),
  }
  node.nat.udp_timeout = t
  return table.concat(cmds, "\n") .. "\n"
end

return M
