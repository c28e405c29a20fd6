-- vpnlab.check: the API a check file runs with (`vpnlab check FILE.pcap
-- ASSERTIONS.lua`). The same wire assertions as a scenario's (seen, never,
-- count, transition, with the same filters, desc and diagnostics), over a
-- capture someone brought instead of a lab: there is no network to build,
-- no daemon to start and nothing to wait for, so everything that would
-- touch a lab is an error saying so. The packets are already decoded into
-- the run's timeline by cli/check.c before the file runs.
--
--   vpnlab.links.wan        the link of wan.pcap (a file with several
--                           interfaces has one link each: "stem:ifname")
--   vpnlab.capture          every link of the file at once (filters may
--                           say link = "name"); vpnlab.seen{...} etc. are
--                           its methods
--   vpnlab.net              { links = vpnlab.links, all = vpnlab.capture }:
--                           a scenario's `net.links.wan:seen{...}` lines
--                           work unchanged after `local net = vpnlab.net`
--
-- `within = s` means the capture's first s seconds (a scenario waits up to
-- s seconds; a capture is already whole).

local core = require("vpnlab.core")
local sandbox = require("vpnlab.sandbox")
local points = require("vpnlab.points")

local M = {}

local NO_LAB = "check runs no lab: vpnlab check only reads the capture "
  .. "(assertions, vpnlab.ok/is/comment/skip and vpnlab.read are available)"

local Link = {}
Link.__index = Link

local function split_opts(tbl)
  local opts = {}
  for _, k in ipairs({ "within", "desc", "min", "max", "exactly" }) do opts[k] = tbl[k] end
  return opts
end

local function filter_of(f)
  if type(f) ~= "table" then core.raise("a packet filter must be a table {field = value, ...}") end
  return f
end

function Link:seen(f) return core.expect("seen", self.name, filter_of(f), split_opts(f)) end
function Link:never(f) return core.expect("never", self.name, filter_of(f), split_opts(f)) end
function Link:count(f, opts)
  if type(opts) ~= "table" then core.raise("count(filter, {min=, max=, exactly=}) needs its options table") end
  return core.expect("count", self.name, filter_of(f), opts)
end
function Link:transition(from, to, opts)
  return core.expect("transition", self.name, filter_of(from), filter_of(to), opts or {})
end
function Link:packets(f)
  local all = { link = self.name }
  for k, v in pairs(f or {}) do all[k] = v end
  return core.packets(all)
end
function Link:pcap() return self.file end
-- What a lab's link can do and a capture's cannot.
function Link:down() core.raise(NO_LAB) end
Link.up = Link.down

local function under(path, dir)
  return path == dir or path:sub(1, #dir + 1) == dir .. "/"
end

-- The check file's API: pcap is the capture's path, names its links in order.
local function api(check_path, pcap, names)
  local dir = (core.realpath(check_path) or check_path):match("^(.*)/[^/]*$") or "/"
  local vpnlab = { pcap = pcap, dir = dir, links = {}, link_names = {} }

  local function read_allowed(path)
    local real, err = core.realpath(path)
    if not real then return nil, err end
    if not under(real, dir) then return nil, path .. ": a check file reads only its own folder (" .. dir .. ")" end
    local f, ferr = io.open(real, "r")
    if not f then return nil, ferr end
    local text = f:read("a")
    f:close()
    return text
  end

  for i, name in ipairs(names) do
    vpnlab.links[name] = setmetatable({ name = name, file = pcap }, Link)
    vpnlab.link_names[i] = name
  end
  vpnlab.capture = setmetatable({ name = nil, file = pcap }, Link)
  -- Nodes (and their daemons) belong to a lab: asking for one says so.
  local nodes = setmetatable({}, { __index = function(_, name)
    core.raise(string.format("node '%s': %s", tostring(name), NO_LAB))
  end })
  vpnlab.net = { links = vpnlab.links, all = vpnlab.capture, nodes = nodes }
  setmetatable(vpnlab.links, { __index = function(_, name)
    core.raise(string.format("no link '%s' in %s (its links: %s)", tostring(name), pcap,
                             table.concat(names, ", ")))
  end })
  for _, kind in ipairs({ "seen", "never", "count", "transition", "packets" }) do
    vpnlab[kind] = function(...) return vpnlab.capture[kind](vpnlab.capture, ...) end
  end

  vpnlab.ok = points.ok
  vpnlab.is = points.is
  function vpnlab.comment(text) core.comment(text) end
  function vpnlab.skip(desc, reason) core.skip(desc, reason) end
  function vpnlab.read(path)
    if type(path) ~= "string" then core.raise("vpnlab.read needs a path") end
    local text, err = read_allowed(sandbox.resolve(dir, path))
    if not text then core.raise(err) end
    return text
  end
  -- Declarations a scenario may carry are harmless here.
  function vpnlab.tags() end

  -- Anything else (vpnlab.start, topology, requires, esp_sa, write, now, ...) needs a lab.
  setmetatable(vpnlab, { __index = function(_, key)
    core.raise(string.format("vpnlab.%s: %s", tostring(key), NO_LAB))
  end })
  return vpnlab, read_allowed
end

-- The error with the user's file:line in front when it carries none.
local function located(msg)
  if type(msg) ~= "string" then
    local mt = getmetatable(msg)
    msg = (mt and mt.__tostring) and tostring(msg) or ("error object is a " .. type(msg) .. " value")
  end
  if not msg:match("^[^\n]-:%d+:") then msg = core.where() .. msg end
  return msg
end

-- Run the check file; returns true, or false and the error with file:line.
function M.run(check_path, pcap, names)
  local vpnlab, read_allowed = api(check_path, pcap, names)
  local env = sandbox.scenario_env(vpnlab, read_allowed)
  -- require("vpnlab") would bring the scenario API, whose start builds a lab.
  env.require = function() error("require: " .. NO_LAB, 2) end
  local f, ferr = io.open(check_path, "r")
  if not f then return false, ferr end
  local text = f:read("a")
  f:close()
  local chunk, lerr = load(text, "@" .. check_path, "t", env)
  if not chunk then return false, lerr end
  local ok, err = xpcall(chunk, located)
  if not ok then return false, err end
  return true
end

return M
