-- vpnlab: the scenario API (the Lua half). The C half (vpnlab.core) offers
-- small building blocks: labs, processes, captures, assertions, VICI. Policy
-- lives here: topology loading and checking, middlebox rules, node and link
-- objects, and the endpoint drivers in vpnlab/*.lua.

local core = require("vpnlab.core")
local topology = require("vpnlab.topology")
local middlebox = require("vpnlab.middlebox")
local points = require("vpnlab.points")

local vpnlab = { core = core }

local info = core.info()
vpnlab.backend = info.backend
vpnlab.results = info.results
-- The scenario's own folder (absolute): vpnlab.read and dofile read below it.
vpnlab.dir = core.realpath(info.scenario):match("^(.*)/[^/]*$") or "/"

-- Files ------------------------------------------------------------------
-- A scenario's only doors to the host's files: it reads its own folder (and
-- the run's results folder), and writes into the results folder.

local sandbox = require("vpnlab.sandbox")

local function under(path, dir)
  return path == dir or path:sub(1, #dir + 1) == dir .. "/"
end

-- The text of a file below the scenario's folder or the results folder, or nil, msg.
local function read_allowed(path)
  local real, err = core.realpath(path)
  if not real then return nil, err end
  if not (under(real, vpnlab.dir) or under(real, core.realpath(info.results))) then
    return nil, path .. ": scenarios read only their own folder (" .. vpnlab.dir
                .. ") and the results folder"
  end
  local f, ferr = io.open(real, "r")
  if not f then return nil, ferr end
  local text = f:read("a")
  f:close()
  return text
end

-- vpnlab.read(path) -> text; path relative to the scenario's folder.
function vpnlab.read(path)
  if type(path) ~= "string" then core.raise("vpnlab.read needs a path") end
  local text, err = read_allowed(sandbox.resolve(vpnlab.dir, path))
  if not text then core.raise(err) end
  return text
end

-- vpnlab.write(name, data) -> path: a file in this scenario's results folder.
function vpnlab.write(name, data)
  if type(name) ~= "string" or name == "" or name:sub(1, 1) == "/" or name:find("%.%.")
     or name:find("[^%w%._/%-]") then
    core.raise("vpnlab.write needs a relative file name of letters, digits, '.', '_', '-' and '/', without '..'")
  end
  if type(data) ~= "string" then core.raise("vpnlab.write(name, data): data must be a string") end
  local dir = info.results
  for part in name:gmatch("([^/]+)/") do
    dir = dir .. "/" .. part
    core.mkdir(dir)
  end
  local path = info.results .. "/" .. name
  local f, err = io.open(path, "w")
  if not f then core.raise(err) end
  f:write(data)
  f:close()
  return path
end

-- Test points of the scenario's own --------------------------------------

-- vpnlab.ok(cond, desc) and vpnlab.is(got, want, desc) (vpnlab/points.lua).
vpnlab.ok = points.ok
vpnlab.is = points.is

-- The kernel features a scenario needs, by name: esp, ah, l2tp, ppp, netem,
-- userns, nftables. Call it at the top: where this kernel lacks one, the
-- scenario stops before its first test point and the runner hands it to
-- the vm backend (or reports it skipped, saying how to run it for real).
function vpnlab.requires(names)
  if type(names) == "string" then names = { names } end
  if type(names) ~= "table" then core.raise("vpnlab.requires takes a list of feature names") end
  core.require(table.unpack(names))
end

-- Tags for choosing what runs (`vpnlab run --tags nat,!slow`): a literal
-- list of names of letters, digits, '_', '.' and '-'. vpnlab reads it from
-- the file's text without running it, so only literal strings count there.
-- The TAP shows "# tags: a, b" at the scenario's end, not here: output now
-- would come before an endpoint's kernel requirement, which must be first.
local tags_declared = {}
function vpnlab.tags(names)
  if type(names) == "string" then names = { names } end
  if type(names) ~= "table" then core.raise("vpnlab.tags takes a list of tag names") end
  for k in pairs(names) do
    if math.type(k) ~= "integer" or k < 1 or k > #names then
      core.raise("vpnlab.tags takes a list of tag names, not a table with key " .. tostring(k))
    end
  end
  for i, name in ipairs(names) do
    if type(name) ~= "string" or not name:match("^[%w_.%-]+$") then
      core.raise(string.format("vpnlab.tags: tag %d (%s) must be a non-empty string of letters, digits, "
                               .. "'_', '.' and '-'", i, type(name) == "string" and "'" .. name .. "'" or type(name)))
    end
    local known = false
    for _, t in ipairs(tags_declared) do known = known or t == name end
    if not known then tags_declared[#tags_declared + 1] = name end
  end
end

local finish_before_tags = vpnlab._finish
function vpnlab._finish()
  if finish_before_tags then finish_before_tags() end
  if #tags_declared > 0 then core.comment("tags: " .. table.concat(tags_declared, ", ")) end
end

function vpnlab.comment(text) core.comment(text) end
function vpnlab.skip(desc, reason) core.skip(desc, reason) end
function vpnlab.now() return core.now() end

-- The decrypted view of ESP. vpnlab reads every kernel SA (with its keys)
-- as the nodes install them; esp_keys() lists what it knows, and
-- esp_sa{spi =, encr =, key =, integ =, auth_key =} gives one it cannot
-- read (strongSwan proposal keywords: aes128 .. aes256gcm16, sha1 .. sha512;
-- keys in hex). A given SA wins over a learned one of the same SPI.
function vpnlab.esp_keys() return core.esp_keys() end
function vpnlab.esp_sa(sa)
  if type(sa) ~= "table" then core.raise("vpnlab.esp_sa takes a table {spi =, encr =, key =, integ =, auth_key =}") end
  core.esp_sa(sa)
end

-- A certificate authority for the lab: vpnlab.pki.ca(name), ca:issue{...}, ca:revoke(c).
vpnlab.pki = require("vpnlab.pki")

-- Links ------------------------------------------------------------------

local Link = {}
Link.__index = Link

local function split_opts(tbl)
  local opts = {}
  for _, k in ipairs({ "within", "desc", "min", "max", "exactly" }) do opts[k] = tbl[k] end
  return opts
end

-- link:seen{field = value, ..., within = s, desc = "..."}
function Link:seen(filter) return core.expect("seen", self.name, filter, split_opts(filter)) end
function Link:never(filter) return core.expect("never", self.name, filter, split_opts(filter)) end
-- link:count(filter, {min =, max =, exactly =, within =, desc =})
function Link:count(filter, opts)
  if type(opts) ~= "table" then core.raise("count(filter, {min=, max=, exactly=}) needs its options table") end
  return core.expect("count", self.name, filter, opts)
end
-- link:transition(from, to [, {within =, desc =}])
function Link:transition(from, to, opts)
  return core.expect("transition", self.name, from, to, opts or {})
end
-- How many packets match so far (for scenario logic, not a test point).
function Link:packets(filter)
  local f = { link = self.name }
  for k, v in pairs(filter or {}) do f[k] = v end
  return core.packets(f)
end
function Link:pcap() return self.name and core.lab_pcap(self.name) or info.results end

-- link:down() / link:up(): the cable is cut, then restored. Every member's
-- interface drops all it would send (an nftables netdev egress chain: ARP
-- too, and before the capture taps), so nothing crosses in either direction
-- and the pcap shows the silence. The interfaces stay up, as when a fault is
-- past the first hop: daemons see lost packets, not a carrier loss.
local function members(link)
  local spec = link.net and link.net.topology.links[link.name]
  if not spec then core.raise("down()/up() need a link of the lab, not net.all") end
  local list = {}
  for _, node in ipairs(spec) do list[#list + 1] = node end
  return list
end

local function down_table(link)
  return "vpnlab_down_" .. link.name:gsub("[^%w_]", "_")
end

function Link:down()
  local nodes = members(self)
  if self.is_down then core.raise("link '" .. self.name .. "' is already down") end
  for _, node in ipairs(nodes) do
    local ok, err = core.lab_nft(node, string.format(
      'table netdev %s {\n  chain egress {\n    type filter hook egress device "%s" priority filter; policy drop;\n  }\n}\n',
      down_table(self), self.name))
    if not ok then core.raise(err) end
  end
  self.is_down = true
  core.event("link " .. self.name .. " down")
end

function Link:up()
  local nodes = members(self)
  if not self.is_down then core.raise("link '" .. self.name .. "' is not down") end
  for _, node in ipairs(nodes) do
    local ok, err = core.lab_nft(node, "delete table netdev " .. down_table(self) .. "\n")
    if not ok then core.raise(err) end
  end
  self.is_down = false
  core.event("link " .. self.name .. " up")
end

-- Nodes ------------------------------------------------------------------

local Node = {}
Node.__index = Node

-- node:addr("wan") -> "203.0.113.1"
function Node:addr(link)
  local a = core.lab_addr(self.name, link)
  if not a then core.raise("node '" .. self.name .. "' is not on link '" .. tostring(link) .. "'") end
  return a
end

local function argv_of(spec)
  local argv = {}
  for i, v in ipairs(spec) do argv[i] = tostring(v) end
  if #argv == 0 then core.raise("needs a command: {\"prog\", \"arg\", ...}") end
  return argv
end

-- A per-node folder in the results for configs and logs.
function Node:dir()
  local d = info.results .. "/" .. self.name
  core.mkdir(d)
  return d
end

local exec_count = 0

-- A label made safe for a log file name in the node's folder: anything
-- outside [A-Za-z0-9._-] (a '/' too) becomes '_'; never "", "." or "..".
local function log_label(s)
  local safe = tostring(s):gsub("[^A-Za-z0-9._-]", "_")
  if safe == "" or safe == "." or safe == ".." then safe = "_" .. safe end
  return safe
end

-- node:exec{"ping", "-c", "1", "10.0.0.1", timeout = 10} -> {status =, output =}
-- Logged to exec-NN-<basename of argv[0]>.log.
function Node:exec(spec)
  local argv = argv_of(spec)
  exec_count = exec_count + 1
  local log = string.format("%s/exec-%02d-%s.log", self:dir(), exec_count,
                            log_label(argv[1]:match("[^/]*$")))
  local p, err = core.spawn(self.name, { argv = argv, log = log })
  if not p then core.raise(err) end
  local status = p:wait(spec.timeout or 30)
  if not status then
    p:kill(9)
    p:wait(5)
    return { status = nil, output = p:output(), timed_out = true }
  end
  return { status = status, output = p:output() }
end

-- node:run{"prog", args..., ready = "log pattern", ready_timeout = 10, name = "x"}
-- Any VPN binary a user brings: started in the node, logged, stopped at the end.
-- Logged to <name>.log, name made safe (default: the basename of argv[0]).
function Node:run(spec)
  local argv = argv_of(spec)
  local name = spec.name ~= nil and tostring(spec.name) or argv[1]:match("[^/]*$")
  local log = string.format("%s/%s.log", self:dir(), log_label(name))
  local p, err = core.spawn(self.name, { argv = argv, log = log, env = spec.env })
  if not p then core.raise(err) end
  if spec.ready then
    local i = 1
    while true do
      if not p:wait_line(i, spec.ready_timeout or 10) then
        core.raise(string.format("%s did not log '%s' (see %s)", name, spec.ready, log))
      end
      if p:line(i):find(spec.ready) then break end
      i = i + 1
    end
  end
  return p
end

-- node:nft("add rule ...") applies nft commands in the node.
function Node:nft(commands)
  local ok, err = core.lab_nft(self.name, commands)
  if not ok then core.raise(err) end
end

function Node:sysctl(key, value)
  local ok, err = core.lab_sysctl(self.name, key:gsub("%.", "/"), tostring(value))
  if not ok then core.raise(err) end
end

-- Block or unblock traffic through this router mid-run: node:block{proto="udp", port=4500}.
-- dir = "in" | "out" is relative to the router's outside link, as in the topology.
local function rule_text(rule)
  return string.format("%s%s%s%s", rule.proto or "udp", rule.port and "/" .. rule.port or "",
                       rule.sport and " from port " .. rule.sport or "",
                       rule.dir and " dir " .. tostring(rule.dir) or "")
end

-- The router's topology table, for the outside link a rule's dir needs.
local function block_node(self)
  return self.net.topology.nodes[self.name]
end

function Node:block(rule)
  local ok, cmd = pcall(middlebox.block_command, self.name, rule, "add", block_node(self))
  if not ok then core.raise(cmd) end
  self:nft(cmd)
  core.event(string.format("%s:block %s", self.name, rule_text(rule)))
end
function Node:unblock(rule)
  local out = core.lab_nft(self.name, "list chain inet vpnlab filter_forward", true, true)
  local ok, handle = pcall(function() return out and middlebox.find_handle(out, rule, block_node(self), self.name) end)
  if not ok then core.raise(handle) end
  if not handle then core.raise("no block rule matching that in '" .. self.name .. "'") end
  self:nft(middlebox.unblock_command(handle))
  core.event(string.format("%s:unblock %s", self.name, rule_text(rule)))
end

-- node:remap{ port_range = "40000-40099" }: the router's NAT reboots. Every
-- conntrack entry in its namespace is flushed, so the next packet of each
-- flow is mapped afresh; port_range first moves the masquerade's udp/tcp
-- outside ports to that range (plain masquerade keeps a free source port,
-- so without a new range the outside port usually stays the same).
function Node:remap(opts)
  local cmds, err = require("vpnlab.nat").remap_command(self.name, self.net.topology.nodes[self.name], opts or {})
  if not cmds then core.raise(err) end
  if cmds ~= "" then self:nft(cmds) end
  local flushed, ferr = core.conntrack_flush(self.name)
  if not flushed then core.raise(ferr) end
  core.event(string.format("%s:remap (%d conntrack entries flushed%s)", self.name, flushed,
                           opts and opts.port_range and ", outside ports now " .. opts.port_range or ""))
end

-- router:cgnat_stats() -> { quota_drop =, no_block =, dropped = { [subscriber] = packets } }:
-- new udp/tcp flows a cgnat dropped because the subscriber's port block was
-- full (quota_drop, and per subscriber), and packets of subscribers the
-- pool has no block for (no_block). See vpnlab/cgnat.lua.
function Node:cgnat_stats()
  local cgnat = require("vpnlab.cgnat")
  if not self.net.topology.nodes[self.name].cgnat then core.raise("node '" .. self.name .. "' has no cgnat") end
  local out, err = core.lab_nft(self.name, cgnat.STATS_QUERY, true)
  if not out then core.raise(err) end
  return cgnat.parse_stats(out)
end

-- router:cgnat_block("100.64.0.2") -> { index =, addr =, lo =, hi = }: that
-- subscriber's outside address and port block.
function Node:cgnat_block(addr)
  local cfg = self.net.topology.nodes[self.name].cgnat
  if not cfg then core.raise("node '" .. self.name .. "' has no cgnat") end
  local b, err = require("vpnlab.cgnat").block(cfg, addr)
  if not b then core.raise(err) end
  return b
end

-- router:mappings() -> the NAT's current mappings, read from conntrack
-- (ctnetlink): { {proto = "udp", inside = "10.0.0.2:500", outside =
-- "203.0.113.1:500", remote = "203.0.113.2:500", inbound = false,
-- timeout = 28}, ... }, sorted; inbound ones were let in by the filtering.
local function sorted_mappings(list)
  table.sort(list, function(a, b)
    return string.format("%s %s %s %s", a.proto, a.inside, a.outside, a.remote)
           < string.format("%s %s %s %s", b.proto, b.inside, b.outside, b.remote)
  end)
  return list
end

function Node:mappings()
  local list, err = core.conntrack_mappings(self.name)
  if not list then core.raise(err) end
  return sorted_mappings(list)
end

local set_serial = 0

-- router:set{ udp_timeout = 5 }: new udp mappings of this router's NAT live
-- that long when idle (a TAP comment logs the change with its time).
function Node:set(opts)
  set_serial = set_serial + 1
  local cmds, err = require("vpnlab.nat").set_command(self.name, self.net.topology.nodes[self.name], opts, set_serial)
  if not cmds then core.raise(err) end
  if cmds ~= "" then self:nft(cmds) end
  local what = string.format("%s:set udp_timeout %s s", self.name, tostring(opts.udp_timeout))
  if core.event then core.event(what) else core.comment(string.format("%s at %.2f s", what, core.now())) end
end

-- The mapping snapshot of every NAT router, written at the scenario's end
-- into <router>/mappings.txt (one mapping a line, as router:mappings()).
local function snapshot_mappings()
  local net = vpnlab.net
  if not net then return end
  local names = {}
  for name, n in pairs(net.topology.nodes) do if n.nat then names[#names + 1] = name end end
  table.sort(names)
  for _, name in ipairs(names) do
    local list = core.conntrack_mappings(name)   -- one dump a router: each walks the kernel's table (~10 ms)
    if list then
      local lines = { "# proto inside -> outside, remote, seconds left (at " ..
                      string.format("%.2f s)", core.now()) }
      for _, m in ipairs(sorted_mappings(list)) do
        lines[#lines + 1] = string.format("%s %s -> %s remote %s %s%ds", m.proto, m.inside, m.outside,
                                          m.remote, m.inbound and "(inbound) " or "", m.timeout)
      end
      vpnlab.write(name .. "/mappings.txt", table.concat(lines, "\n") .. "\n")
    end
  end
end

local finish_before = vpnlab._finish
function vpnlab._finish()
  if finish_before then finish_before() end
  snapshot_mappings()
end

-- Starting a lab -----------------------------------------------------------

local started = false

-- vpnlab.topology("home-nat") -> the table, to inspect or change before start
function vpnlab.topology(name)
  return topology.load(name)
end

-- vpnlab.start("home-nat" | table [, overrides]) -> net
function vpnlab.start(topo, overrides)
  if started then core.raise("vpnlab.start: a scenario starts one lab") end
  local where = core.where()
  local t
  if type(topo) == "string" then
    t = topology.load(topo)
  elseif type(topo) == "table" then
    t = topo
    if not rawget(t, "__source") then t.__source = { where = where } end
  else
    core.raise("vpnlab.start needs a topology name or table")
  end
  if overrides ~= nil then
    if type(overrides) ~= "table" then core.raise("overrides must be a table") end
    t = topology.override(t, overrides, where)
  end
  topology.validate(t)
  local spec = topology.normalize(t)
  -- Link impairments are netem qdiscs: ask before building anything.
  for _, l in pairs(spec.links or {}) do
    if l.netem then core.require("netem") break end
  end
  local ok, err, at = core.lab_start(spec)
  if not ok then error(topology.where_for(t, at) .. err, 0) end
  started = true

  local net = { nodes = {}, links = {}, topology = t }
  for name in pairs(t.nodes) do net.nodes[name] = setmetatable({ name = name, net = net }, Node) end
  for name in pairs(t.links) do net.links[name] = setmetatable({ name = name, net = net }, Link) end
  net.all = setmetatable({ name = nil }, Link)
  net.routes = core.lab_routes()

  -- Middleboxes: NAT, firewall, loopback addresses, sysctls.
  for name, n in pairs(t.nodes) do
    local rules = middlebox.ruleset(name, n)
    if rules then
      local rok, rerr = core.lab_nft(name, rules)
      if not rok then error(topology.where_for(t, { node = name }) .. rerr, 0) end
    end
    local lo = n.lo
    if type(lo) == "string" then lo = { lo } end
    for _, cidr in ipairs(lo or {}) do
      local aok, aerr = core.lab_addr_add(name, "lo", cidr)
      if not aok then error(topology.where_for(t, { node = name }) .. aerr, 0) end
    end
    for key, value in pairs(n.sysctl or {}) do net.nodes[name]:sysctl(key, value) end
  end
  vpnlab.net = net
  return net
end

-- vpnlab.pause(): under `vpnlab up`, the lab is handed to the user here and
-- held until `vpnlab down` stops the scenario (what follows does not run);
-- a scenario without a pause is held at its end. Under `vpnlab run` it only
-- writes a TAP comment.
function vpnlab.pause() core.pause(false) end

local finish_before_pause = vpnlab._finish
function vpnlab._finish()
  core.pause(true)
  if finish_before_pause then finish_before_pause() end
end

-- Endpoint drivers register themselves on load.
require("vpnlab.strongswan").attach(Node)
require("vpnlab.l2tp").attach(Node)
require("vpnlab.libreswan").attach(Node)

-- The environment the scenario file runs in (see vpnlab/sandbox.lua).
function vpnlab._scenario_env()
  return sandbox.scenario_env(vpnlab, read_allowed)
end

return vpnlab
