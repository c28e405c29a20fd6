-- vpnlab.topology: load, merge and validate declarative topology tables.
--
-- A topology is a plain Lua table (see topologies/*.lua). Validation reports
-- errors as "file:line: message": for a topology file the line is found in
-- the file's text (the table itself carries no line numbers), for a table
-- given in a scenario it is the scenario's line that passed it.

local core = require("vpnlab.core")

local M = {}

local NODE_FIELDS = { kind = "string", nat = "table", firewall = "table", lo = "any",
                      forward = "table", snat = "table", default = "any",
                      sysctl = "table", description = "string", cgnat = "table" }
local LINK_FIELDS = { net = "string", addrs = "table", description = "string",
                      delay = "number", jitter = "number", loss = "number", mtu = "number" }
local NAT_FIELDS = { outside = "string", port_range = "string", mapping = "string", filtering = "string",
                     port_preservation = "boolean", hairpin = "boolean", udp_timeout = "number",
                     pool = "table" }
local FIREWALL_FIELDS = { block = "table", allow = "table", esp = "string", stateful = "boolean",
                          outside = "string", fragments = "string", icmp = "string", block_input = "table" }
local CGNAT_FIELDS = { outside = "string", inside = "string", subscribers = "string", external = "any",
                       ports_per_subscriber = "number", port_base = "number", mapping = "string", filtering = "string" }
local RULE_FIELDS = { proto = "string", port = "number", sport = "number", dir = "string", ipsec = "boolean" }
local FORWARD_FIELDS = { proto = "string", port = "number", to = "string", to_port = "number" }
local SNAT_FIELDS = { to = "string", outside = "string" }
local TOP_FIELDS = { nodes = "table", links = "table", name = "string", description = "string" }

-- Limits of the link fields (topo.h keeps the same ones).
local DELAY_MAX_MS = 60000
local MTU_MIN, MTU_MAX = 68, 65535
-- A link of more than two members is a Linux bridge with a port per member:
-- BR_MAX_PORTS is 1024 and port 0 is reserved, so 1023 ports.
local MEMBERS_MAX = 1023

-- An error with its location, raised as is (level 0: we built the position ourselves).
local function fail(where, fmt, ...)
  error(where .. string.format(fmt, ...), 0)
end

-- Where a key path lives in a source text: the line of each key in turn, each
-- searched from the line of the previous one. Falls back to the last line found.
local function locate(source, path)
  if not source or not source.text then return nil end
  local lines = {}
  for line in (source.text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  local at = 1
  for _, key in ipairs(path) do
    local k = tostring(key):gsub("%p", "%%%0")
    local patterns = { "%f[%w_]" .. k .. "%f[^%w_]%s*=", "[\"']" .. k .. "[\"']" }
    for i = at, #lines do
      local code = lines[i]:gsub("%-%-.*$", "")
      if code:find(patterns[1]) or code:find(patterns[2]) then at = i; break end
    end
  end
  return string.format("%s:%d: ", source.path, at)
end

-- The location prefix for an error about `path` in a topology `t`.
local function where_of(t, path)
  local src = rawget(t, "__source")
  if src and src.overridden then
    -- A scenario override may have introduced the problem: name both places.
    return (locate(src, path) or "") .. "(with overrides from " .. src.override_where .. ") "
  end
  return locate(src, path) or src and src.where or core.where()
end

local function check_type(t, path, value, want)
  if want == "any" then return end
  if type(value) ~= want then
    fail(where_of(t, path), "%s must be a %s, not a %s", table.concat(path, "."), want, type(value))
  end
end

local function check_fields(t, path, tbl, allowed, what)
  for k, v in pairs(tbl) do
    if type(k) ~= "string" or not allowed[k] then
      local names = {}
      for name in pairs(allowed) do names[#names + 1] = name end
      table.sort(names)
      local p = { table.unpack(path) }
      p[#p + 1] = tostring(k)
      fail(where_of(t, p), "unknown field '%s' in %s (known: %s)", tostring(k), what,
           table.concat(names, ", "))
    end
    local p = { table.unpack(path) }
    p[#p + 1] = k
    check_type(t, p, v, allowed[k])
  end
end

local function sorted_keys(tbl)
  local keys = {}
  for k in pairs(tbl) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- A link name that must exist.
local function check_link_name(t, path, what, link)
  if not t.links[link] then fail(where_of(t, path), "%s: '%s' is not a link", what, tostring(link)) end
end

-- forward = { [outside = "<link>",] {proto=, port=, to=, to_port=}, ... } and
-- snat = { to = "a.b.c.d[:low-high]", outside = "<link>" } (vpnlab/forward.lua).
local function validate_forward(t, name, node)
  local fwd = require("vpnlab.forward")
  if node.forward then
    local path = { "nodes", name, "forward" }
    if (node.kind or "host") ~= "router" then fail(where_of(t, path), "node '%s': only a router forwards ports", name) end
    for k, v in pairs(node.forward) do
      if k == "outside" then
        check_type(t, { "nodes", name, "forward", "outside" }, v, "string")
        check_link_name(t, { "nodes", name, "forward", "outside" }, "forward of '" .. name .. "': outside", v)
      elseif math.type(k) ~= "integer" then
        fail(where_of(t, path), "unknown field '%s' in forward of '%s' (known: outside, and a list of entries)",
             tostring(k), name)
      else
        check_type(t, path, v, "table")
        check_fields(t, path, v, FORWARD_FIELDS, "forward entry " .. k .. " of '" .. name .. "'")
        local msg = fwd.check_entry(v)
        if msg then fail(where_of(t, path), "forward entry %d of '%s': %s", k, name, msg) end
        if not t.nodes[v.to] and not fwd.addr_ok(v.to) then
          fail(where_of(t, { "nodes", name, "forward", "to" }),
               "forward entry %d of '%s': to '%s' is neither a node nor an address", k, name, v.to)
        end
      end
    end
    if not fwd.outside_of(node, node.forward) then
      fail(where_of(t, path), "forward of '%s' needs an outside link: forward.outside, nat.outside or firewall.outside", name)
    end
  end
  if node.snat then
    local path = { "nodes", name, "snat" }
    if (node.kind or "host") ~= "router" then fail(where_of(t, path), "node '%s': only a router does snat", name) end
    check_fields(t, path, node.snat, SNAT_FIELDS, "snat of '" .. name .. "'")
    if node.snat.outside then
      check_link_name(t, { "nodes", name, "snat", "outside" }, "snat of '" .. name .. "': outside", node.snat.outside)
    end
    if not node.snat.to then fail(where_of(t, path), "snat of '%s' needs to = \"a.b.c.d[:low-high]\"", name) end
    local addr, err = fwd.parse_snat_to(node.snat.to)
    if not addr then fail(where_of(t, { "nodes", name, "snat", "to" }), "snat of '%s': %s", name, err) end
    if not fwd.outside_of(node, node.snat) then
      fail(where_of(t, path), "snat of '%s' needs an outside link: snat.outside or nat.outside", name)
    end
  end
end

-- default = "<link>" (the default route goes through a router on that link) or
-- false (none). Left out, harness/lab/topo.c decides: a host whose router
-- neighbours, NATs seen from their outside aside, are all on one link gets one.
local function validate_default(t, name, node)
  local d = node.default
  if d == nil or d == false then return end
  local path = { "nodes", name, "default" }
  if type(d) ~= "string" then
    fail(where_of(t, path), "node '%s': default must be a link name or false, not a %s", name, type(d))
  end
  check_link_name(t, path, "default of '" .. name .. "'", d)
end

-- A router's cgnat (vpnlab/cgnat.lua): its links exist, its numbers make
-- blocks, and its pool lies in the outside link's net without taking a
-- member's address.
local function validate_cgnat(t, name, node)
  local cg, path = node.cgnat, { "nodes", name, "cgnat" }
  local cgnat = require("vpnlab.cgnat")
  check_fields(t, path, cg, CGNAT_FIELDS, "cgnat of '" .. name .. "'")
  if node.nat then fail(where_of(t, path), "node '%s' has both nat and cgnat; a router has one NAT", name) end
  if (node.kind or "host") ~= "router" then fail(where_of(t, path), "node '%s': only a router can be a cgnat", name) end
  local key, err = cgnat.check(cg)
  if key then fail(where_of(t, { "nodes", name, key }), "cgnat of '%s': %s", name, err) end
  for _, field in ipairs({ "outside", "inside" }) do
    if cg[field] ~= nil and not t.links[cg[field]] then
      fail(where_of(t, { "nodes", name, field }), "cgnat of '%s': %s '%s' is not a link", name, field, cg[field])
    end
  end
  local link = t.links[cg.outside]
  local net, len = cgnat.parse_net(link.net or "")
  local taken = {}
  for i, member in ipairs(link) do
    local pinned = link.addrs and link.addrs[member]
    if type(pinned) == "table" then   -- several addresses: the cgnat's own may hold its pool
      for _, x in ipairs(pinned) do if member ~= name then taken[x] = member end end
      taken[pinned[1]] = member
    elseif type(pinned) == "string" then taken[pinned] = member
    elseif net then taken[cgnat.fmt_addr(net + i)] = member end
  end
  for _, a in ipairs(type(cg.external) == "string" and { cg.external } or cg.external) do
    local mask = len and (len == 0 and 0 or (0xffffffff << (32 - len)) & 0xffffffff)
    if net and cgnat.parse_addr(a) & mask ~= net then
      fail(where_of(t, { "nodes", name, "external" }), "cgnat of '%s': pool address %s is not in outside link '%s' (%s)",
           name, a, cg.outside, link.net)
    end
    if taken[a] then
      fail(where_of(t, { "nodes", name, "external" }), "cgnat of '%s': pool address %s is %s's address on '%s'",
           name, a, taken[a], cg.outside)
    end
  end
end

local function validate_node(t, name, node)
  local path = { "nodes", name }
  if type(node) ~= "table" then fail(where_of(t, path), "node '%s' must be a table", name) end
  check_fields(t, path, node, NODE_FIELDS, "node '" .. name .. "'")
  local kind = node.kind or "host"
  if kind ~= "host" and kind ~= "router" then
    fail(where_of(t, { "nodes", name, "kind" }), "node '%s': kind must be \"host\" or \"router\", not \"%s\"",
         name, kind)
  end
  if node.nat then
    check_fields(t, { "nodes", name, "nat" }, node.nat, NAT_FIELDS, "nat of '" .. name .. "'")
    if not node.nat.outside then fail(where_of(t, { "nodes", name, "nat" }), "nat of '%s' needs outside = \"<link>\"", name) end
    if not t.links[node.nat.outside] then
      fail(where_of(t, { "nodes", name, "outside" }), "nat of '%s': outside '%s' is not a link", name, node.nat.outside)
    end
    local nerr = require("vpnlab.nat").check(node.nat)
    if nerr then
      local key = nerr:match("^(%w+)") or "nat"
      if not NAT_FIELDS[key] then key = "nat" end
      fail(where_of(t, { "nodes", name, key }), "nat of '%s': %s", name, nerr)
    end
    -- Pool addresses are the router's own on its outside link (addrs = { router = {...} }).
    for _, a in ipairs(node.nat.pool or {}) do
      local own = (t.links[node.nat.outside].addrs or {})[name]
      local found = own == a
      for _, x in ipairs(type(own) == "table" and own or {}) do found = found or x == a end
      if not found then
        fail(where_of(t, { "nodes", name, "pool" }), "nat of '%s': pool address %s must be one of its addresses "
             .. "on '%s' (addrs = { %s = { ... } })", name, a, node.nat.outside, name)
      end
    end
  end
  if node.cgnat then validate_cgnat(t, name, node) end
  if node.firewall then
    check_fields(t, { "nodes", name, "firewall" }, node.firewall, FIREWALL_FIELDS, "firewall of '" .. name .. "'")
    local esp = node.firewall.esp
    if esp ~= nil and esp ~= "pass" and esp ~= "drop" then
      fail(where_of(t, { "nodes", name, "firewall", "esp" }),
           "firewall of '%s': esp must be \"pass\" or \"drop\", not \"%s\"", name, esp)
    end
    local outside = node.firewall.outside
    if outside ~= nil and not t.links[outside] then
      fail(where_of(t, { "nodes", name, "firewall", "outside" }),
           "firewall of '%s': outside '%s' is not a link", name, outside)
    end
    for _, list in ipairs({ "block", "allow", "block_input" }) do
      for i, rule in ipairs(node.firewall[list] or {}) do
        check_type(t, { "nodes", name, list }, rule, "table")
        check_fields(t, { "nodes", name, list }, rule, RULE_FIELDS, list .. " rule " .. i .. " of '" .. name .. "'")
        if rule.dir ~= nil and rule.dir ~= "in" and rule.dir ~= "out" then
          fail(where_of(t, { "nodes", name, list, "dir" }), "%s rule %d of '%s': dir must be \"in\" or \"out\", not \"%s\"",
               list, i, name, rule.dir)
        end
        if rule.dir ~= nil and not (outside or node.nat) then
          fail(where_of(t, { "nodes", name, list, "dir" }), "%s rule %d of '%s': dir needs an outside link "
               .. "(firewall.outside or a nat)", list, i, name)
        end
      end
    end
    for _, f in ipairs({ { "fragments", "pass", "drop" }, { "icmp", "pass", "drop", "echo-only" } }) do
      local v = node.firewall[f[1]]
      local okv = v == nil
      for j = 2, #f do okv = okv or v == f[j] end
      if not okv then
        fail(where_of(t, { "nodes", name, "firewall", f[1] }), "firewall of '%s': %s must be \"%s\", not \"%s\"",
             name, f[1], table.concat(f, "\" or \"", 2), v)
      end
    end
  end
  validate_forward(t, name, node)
  validate_default(t, name, node)
end

-- A number field of a link within lo..hi (NaN fails every comparison).
local function check_range(t, name, key, v, lo, hi, unit)
  if v ~= nil and not (v >= lo and v <= hi) then
    fail(where_of(t, { "links", name, key }), "link '%s': %s must be %s..%s%s, not %s",
         name, key, lo, hi, unit, tostring(v))
  end
end

-- delay/jitter (ms), loss (%), mtu: netem runs on every member's egress, so
-- each direction crosses one netem (delay = 50 gives an RTT of ~100 ms).
local function validate_impairments(t, name, link)
  check_range(t, name, "delay", link.delay, 0, DELAY_MAX_MS, " ms")
  check_range(t, name, "jitter", link.jitter, 0, DELAY_MAX_MS, " ms")
  if link.jitter ~= nil and link.delay == nil then
    fail(where_of(t, { "links", name, "jitter" }), "link '%s': jitter needs a delay to vary", name)
  end
  check_range(t, name, "loss", link.loss, 0, 100, " (percent)")
  check_range(t, name, "mtu", link.mtu, MTU_MIN, MTU_MAX, "")
  if link.mtu ~= nil and math.type(link.mtu) ~= "integer" and link.mtu % 1 ~= 0 then
    fail(where_of(t, { "links", name, "mtu" }), "link '%s': mtu must be a whole number, not %s",
         name, tostring(link.mtu))
  end
end

-- addrs = { node = "a.b.c.d" } or { node = { "a.b.c.d", "a.b.c.e", ... } }: several
-- addresses of one node on the link (the first is its address there).
local function validate_addrs(t, name, link)
  for node, a in pairs(link.addrs or {}) do
    local p = { "links", name, "addrs", tostring(node) }
    local list = type(a) == "table" and a or { a }
    if type(a) == "table" and (#a == 0 or #a > 8) then
      fail(where_of(t, p), "link '%s': addrs.%s must list 1 to 8 addresses", name, tostring(node))
    end
    for _, v in pairs(list) do
      if type(v) ~= "string" then
        fail(where_of(t, p), "link '%s': addrs.%s must be an address or a list of addresses, not a %s",
             name, tostring(node), type(v))
      end
    end
  end
end

local function validate_link(t, name, link)
  local path = { "links", name }
  if type(link) ~= "table" then fail(where_of(t, path), "link '%s' must be a table", name) end
  local members = 0
  for k, v in pairs(link) do
    if math.type(k) == "integer" then
      if type(v) ~= "string" then fail(where_of(t, path), "link '%s': member %d must be a node name", name, k) end
      if not t.nodes[v] then fail(where_of(t, { "links", name, v }), "link '%s' names unknown node '%s'", name, v) end
      members = members + 1
    end
  end
  if members > MEMBERS_MAX then
    fail(where_of(t, path), "link '%s' has %d members; a link takes at most %d "
         .. "(the Linux bridge joining them has %d ports)", name, members, MEMBERS_MAX, MEMBERS_MAX)
  end
  local named = {}
  for k, v in pairs(link) do if math.type(k) ~= "integer" then named[k] = v end end
  check_fields(t, path, named, LINK_FIELDS, "link '" .. name .. "'")
  if not link.net then fail(where_of(t, path), "link '%s' needs net = \"a.b.c.d/len\"", name) end
  validate_addrs(t, name, link)
  validate_impairments(t, name, link)
end

-- Check a whole topology; raise "file:line: message" on the first problem.
function M.validate(t)
  if type(t) ~= "table" then error(core.where() .. "a topology must be a table", 0) end
  local fields = {}
  for k, v in pairs(t) do if k ~= "__source" then fields[k] = v end end
  check_fields(t, {}, fields, TOP_FIELDS, "the topology")
  if not t.nodes or not t.links then fail(where_of(t, {}), "a topology needs nodes = {...} and links = {...}") end
  for _, name in ipairs(sorted_keys(t.nodes)) do validate_node(t, name, t.nodes[name]) end
  for _, name in ipairs(sorted_keys(t.links)) do validate_link(t, name, t.links[name]) end
end

-- Deep-merge overrides into a copy of base: tables with string keys merge,
-- anything else (including member lists) replaces.
local function merge(base, over)
  local out = {}
  for k, v in pairs(base) do out[k] = v end
  for k, v in pairs(over) do
    if type(v) == "table" and type(out[k]) == "table" and #v == 0 and next(v) ~= nil then
      out[k] = merge(out[k], v)
    else
      out[k] = v
    end
  end
  return out
end

-- Find a topology by name: next to the scenario, then the project's topologies/.
local function find(name, scenario_dir)
  if name:find("/") or name:match("%.lua$") then return name end
  local info = core.info()
  for _, dir in ipairs({ scenario_dir .. "/topologies", scenario_dir .. "/../topologies",
                         scenario_dir .. "/../../topologies", info.srcdir .. "/topologies" }) do
    local path = dir .. "/" .. name .. ".lua"
    local f = io.open(path, "r")
    if f then f:close(); return path end
  end
  return nil
end

-- Load a topology file into a table that remembers its source for error lines.
function M.load(name)
  local scenario_dir = core.info().scenario:match("^(.*)/[^/]*$") or "."
  local path = find(name, scenario_dir)
  if not path then error(core.where() .. "no topology named '" .. name .. "' (looked next to the scenario and in topologies/)", 0) end
  local f, err = io.open(path, "r")
  if not f then error(core.where() .. err, 0) end
  local text = f:read("a")
  f:close()
  local chunk, perr = load(text, "@" .. path, "t", require("vpnlab.sandbox").topology_env())
  if not chunk then error(perr, 0) end   -- already "file:line: ..."
  local ok, t = pcall(chunk)
  if not ok then error(t, 0) end
  if type(t) ~= "table" then error(path .. ":1: a topology file must return a table", 0) end
  t.__source = { path = path, text = text, where = path .. ":1: " }
  return t
end

-- Apply a scenario's overrides, remembering where they were given.
function M.override(t, over, where)
  local src = t.__source
  local merged = merge(t, over)
  if src then
    merged.__source = { path = src.path, text = src.text, where = src.where,
                        overridden = true, override_where = where:gsub(": $", "") }
  end
  return merged
end

-- The normalized form core.lab_start takes: ordered arrays, members as {node, addr}.
-- Nodes keep their firewall table (block, esp, stateful); links keep delay,
-- jitter, loss and mtu, and say netem = true when any impairment is set.
function M.normalize(t)
  local spec = { nodes = {}, links = {} }
  for _, name in ipairs(sorted_keys(t.nodes)) do
    local n = t.nodes[name]
    spec.nodes[#spec.nodes + 1] = { name = name, kind = n.kind or "host",
                                    nat_outside = n.nat and n.nat.outside or n.cgnat and n.cgnat.outside, firewall = n.firewall,
                                    default = n.default }
  end
  for _, name in ipairs(sorted_keys(t.links)) do
    local l = t.links[name]
    local members = {}
    for _, node in ipairs(l) do
      local a = l.addrs and l.addrs[node]
      if type(a) == "table" then   -- several addresses: the first is the node's address on the link
        members[#members + 1] = { node = node, addr = a[1], extra = { table.unpack(a, 2) } }
      else
        members[#members + 1] = { node = node, addr = a }
      end
    end
    spec.links[#spec.links + 1] = {
      name = name, net = l.net, members = members,
      delay = l.delay, jitter = l.jitter, loss = l.loss, mtu = l.mtu,
      netem = l.delay ~= nil or l.jitter ~= nil or l.loss ~= nil,
    }
  end
  return spec
end

-- Where to blame a model error (overlap, too small) that C found for a link or node.
function M.where_for(t, info)
  if info and info.link then return where_of(t, { "links", info.link }) end
  if info and info.node then return where_of(t, { "nodes", info.node }) end
  return where_of(t, {})
end

return M
