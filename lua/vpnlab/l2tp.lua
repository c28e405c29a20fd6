-- vpnlab.l2tp: node:l2tp{...} runs xl2tpd (and, per session, pppd) in the node.
--
-- One Lua table decides the role: with `remote` the node is a LAC (client)
-- that dials that LNS; without it, an LNS (server) with a local address, an
-- address pool and users. The driver writes xl2tpd.conf, the pppd options and
-- a private /etc/ppp (options, chap-secrets, pap-secrets) into the node's
-- results folder, and starts xl2tpd with a private /run and that /etc/ppp
-- bound over the host's, so neither the host's ppp options nor its
-- ip-up/ip-down scripts apply (pppd reads its secrets from fixed /etc/ppp
-- paths). Waits are event-driven: xl2tpd's control pipe appearing says it is
-- ready; every line xl2tpd or pppd logs (pppd writes to xl2tpd's output)
-- wakes an await, and the node's PPP interfaces say what is true.
--
--   local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
--                                        users = { alice = "wonderland" } }
--   local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland" }
--   lac:connect(); lac:await("ppp-up", 10); lac:addresses()[1].peer

local core = require("vpnlab.core")
local daemon = require("vpnlab.daemon")

local M = {}

local XL2TPD = "xl2tpd"
local LAC_NAME = "vpnlab"

local FIELDS = {
  remote = "string", user = "string", password = "string", auth = "string",
  local_ip = "string", pool = "string", users = "table", mtu = "number", redial = "boolean",
  require_ipsec = "boolean",
}
local LNS_ONLY = { local_ip = true, pool = true, users = true, require_ipsec = true }
local LAC_ONLY = { user = true, password = true, redial = true }
local AUTHS = { chap = true, pap = true }

local L2tp = {}
L2tp.__index = L2tp

local function fail(node, fmt, ...)
  core.raise(string.format("l2tp on '%s': " .. fmt, node, ...))
end

local IPV4 = "^(%d+)%.(%d+)%.(%d+)%.(%d+)$"

local function ipv4(s)
  local a, b, c, d = tostring(s):match(IPV4)
  if not a then return nil end
  for _, x in ipairs({ a, b, c, d }) do if tonumber(x) > 255 then return nil end end
  return true
end

local function check_spec(node, spec)
  for k, v in pairs(spec) do
    if not FIELDS[k] then
      local names = {}
      for name in pairs(FIELDS) do names[#names + 1] = name end
      table.sort(names)
      fail(node, "unknown field '%s' (known: %s)", tostring(k), table.concat(names, ", "))
    end
    if type(v) ~= FIELDS[k] then
      fail(node, "%s must be a %s, not a %s", k, FIELDS[k], type(v))
    end
  end
  local lac = spec.remote ~= nil
  for k in pairs(spec) do
    if lac and LNS_ONLY[k] then fail(node, "%s is an LNS field (a LAC, with remote, has user and password)", k) end
    if not lac and LAC_ONLY[k] then fail(node, "%s is a LAC field: give remote = \"<LNS address>\" too", k) end
  end
  if spec.auth and not AUTHS[spec.auth] then
    fail(node, "auth must be \"chap\" or \"pap\", not \"%s\"", spec.auth)
  end
  if spec.mtu and not (math.type(spec.mtu) == "integer" and spec.mtu >= 576 and spec.mtu <= 1500) then
    fail(node, "mtu must be a whole number 576..1500, not %s", tostring(spec.mtu))
  end
  if lac then
    if not ipv4(spec.remote) then fail(node, "remote must be the LNS's IPv4 address, not \"%s\"", spec.remote) end
    if not spec.user or not spec.password then fail(node, "a LAC needs user = \"...\" and password = \"...\"") end
    return
  end
  if not spec.local_ip or not ipv4(spec.local_ip) then
    fail(node, "an LNS needs local_ip = \"<its PPP address>\" (or give remote = \"<LNS address>\" for a LAC)")
  end
  local lo, hi = tostring(spec.pool or ""):match("^%s*([%d.]+)%s*%-%s*([%d.]+)%s*$")
  if not lo or not ipv4(lo) or not ipv4(hi) then
    fail(node, "an LNS needs pool = \"first-last\" (two IPv4 addresses), not %s",
         spec.pool and ("\"" .. spec.pool .. "\"") or "nothing")
  end
  if not spec.users or next(spec.users) == nil then
    fail(node, "an LNS needs users = { name = \"password\", ... }")
  end
  for name, pw in pairs(spec.users) do
    if type(name) ~= "string" or type(pw) ~= "string" then
      fail(node, "users must map names to passwords (strings): { alice = \"secret\" }")
    end
  end
end

local function write(path, text)
  local f, err = io.open(path, "w")
  if not f then core.raise(err) end
  f:write(text)
  f:close()
end

local function lines(t) return table.concat(t, "\n") .. "\n" end

-- A secrets line for pppd: "client" "server" "secret" "addresses".
local function quoted(s) return '"' .. s:gsub('[\\"]', "\\%0") .. '"' end

-- xl2tpd keeps paths in 80-byte buffers: its files are named by their short
-- path in the private /run (copies for the reader are in the results folder).
local function xl2tpd_conf(spec, lac)
  local auth = spec.auth or "chap"
  local t = {
    "; written by vpnlab for one node",
    "[global]",
    "port = 1701",
    "access control = no",
    "auth file = /run/l2tp-secrets",
  }
  if lac then
    for _, l in ipairs({
      "[lac " .. LAC_NAME .. "]",
      "lns = " .. spec.remote,
      "name = " .. spec.user,
      "require authentication = no",
      "ppp debug = yes",
      "pppoptfile = /run/options.xl2tpd",
      "length bit = yes",
      "autodial = no",
      "redial = " .. (spec.redial and "yes" or "no"),
    }) do t[#t + 1] = l end
  else
    for _, l in ipairs({
      "[lns default]",
      "ip range = " .. spec.pool:gsub("%s", ""),
      "local ip = " .. spec.local_ip,
      "require authentication = yes",
      auth == "chap" and "require chap = yes" or "require pap = yes",
      auth == "chap" and "refuse pap = yes" or "refuse chap = yes",
      "name = vpnlab-lns",
      "ppp debug = yes",
      "pppoptfile = /run/options.xl2tpd",
      "length bit = yes",
    }) do t[#t + 1] = l end
  end
  return lines(t)
end

-- pppd's options for each session xl2tpd starts. No defaultroute, no
-- scripts: the host's /etc/ppp is hidden and the scripts are /bin/true.
local function ppp_options(spec, lac)
  local mtu = spec.mtu or 1280
  local t = {
    "# written by vpnlab: pppd's options for every L2TP session of this node",
    "debug",
    -- pppd's log goes to its stderr, xl2tpd's: one log, and every line wakes an await.
    "logfd 2",
    "noipv6",
    "ip-up-script /bin/true",
    "ip-down-script /bin/true",
    "noccp",
    "nodefaultroute",
    "noproxyarp",
    "mtu " .. mtu,
    "mru " .. mtu,
    "lcp-echo-interval 0",
  }
  local auth = spec.auth or "chap"
  if lac then
    t[#t + 1] = "noauth"
    t[#t + 1] = "user " .. quoted(spec.user)
    t[#t + 1] = "password " .. quoted(spec.password)
    t[#t + 1] = "ipcp-accept-local"
    t[#t + 1] = "ipcp-accept-remote"
    t[#t + 1] = auth == "chap" and "refuse-pap" or "refuse-chap"
  else
    t[#t + 1] = "auth"
    t[#t + 1] = auth == "chap" and "require-chap" or "require-pap"
  end
  for _, l in ipairs({ "refuse-mschap", "refuse-mschap-v2", "refuse-eap" }) do t[#t + 1] = l end
  return lines(t)
end

-- The private /etc/ppp: an empty options file (the host's has `auth`, `lock`,
-- `crtscts`...) and the LNS's users as CHAP and PAP secrets.
local function etc_ppp(spec, etc)
  core.mkdir(etc)
  write(etc .. "/options", "# vpnlab: the host's /etc/ppp/options does not apply to this node\n")
  local s = { "# client server secret addresses (written by vpnlab)" }
  local names = {}
  for name in pairs(spec.users or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    s[#s + 1] = string.format("%s * %s *", quoted(name), quoted(spec.users[name]))
  end
  write(etc .. "/chap-secrets", lines(s))
  write(etc .. "/pap-secrets", lines(s))
  -- pppd warns about secrets others can read.
  local p = core.spawn(false, { argv = { "chmod", "600", etc .. "/chap-secrets", etc .. "/pap-secrets" } })
  if p then p:wait(5) end
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- pppd does not load ppp_generic itself and waits ~33 s for /dev/ppp without
-- it; the kernel's L2TP-over-PPP socket (l2tp_ppp) is loaded with it. The
-- kernel's own modprobe helper does it (the VM points it at a working one).
local function ensure_ppp(dir)
  if exists("/dev/ppp") then return end
  local f = io.open("/proc/sys/kernel/modprobe", "r")
  local modprobe = f and f:read("l") or "modprobe"
  if f then f:close() end
  local log = dir .. "/modprobe-ppp.log"
  local p = core.spawn(false, { argv = { modprobe, "-a", "ppp_generic", "l2tp_ppp" }, log = log })
  if p then p:wait(10) end
  if not exists("/dev/ppp") then
    core.raise("l2tp needs /dev/ppp, and this kernel has none (loading ppp_generic: see " .. log .. ")")
  end
end

-- require_ipsec: the LNS takes L2TP only from inside IPsec. An nftables input
-- rule in the node drops udp/1701 that did not arrive under an IPsec policy
-- (`meta ipsec missing`), as firewall.block_input with ipsec = false does.
local REQUIRE_IPSEC = [[
table inet vpnlab_l2tp {
  chain input {
    type filter hook input priority filter; policy accept;
    udp dport 1701 meta ipsec missing counter drop comment "l2tp require_ipsec"
  }
}
]]

local function start(node, spec)
  if type(spec) ~= "table" then core.raise("l2tp on '" .. node.name .. "': give a table: node:l2tp{ ... }") end
  check_spec(node.name, spec)
  if spec.require_ipsec then core.require("esp", "l2tp", "ppp") else core.require("l2tp", "ppp") end
  local lac = spec.remote ~= nil
  local dir = node:dir()
  local rundir = core.info().rundir .. "/" .. node.name .. "-xl2tpd"
  core.mkdir(rundir)
  core.mkdir(rundir .. "/xl2tpd")
  ensure_ppp(dir)
  local etc = dir .. "/etc-ppp"
  etc_ppp(spec, etc)
  local files = {
    ["xl2tpd.conf"] = xl2tpd_conf(spec, lac),
    ["options.xl2tpd"] = ppp_options(spec, lac),
    ["l2tp-secrets"] = "# no L2TP tunnel secrets (tunnel authentication off)\n",
  }
  for name, text in pairs(files) do
    write(rundir .. "/" .. name, text)
    write(dir .. "/" .. name, text)
  end

  if spec.require_ipsec then node:nft(REQUIRE_IPSEC) end

  local control = rundir .. "/xl2tpd/l2tp-control"
  os.remove(control)   -- a pipe left by an xl2tpd that died would look ready
  local proc, err = core.spawn(node.name, {
    argv = { XL2TPD, "-D", "-c", "/run/xl2tpd.conf", "-s", "/run/l2tp-secrets", "-p", "/run/xl2tpd.pid",
             "-C", "/run/xl2tpd/l2tp-control" },
    run_dir = rundir, binds = { { etc, "/etc/ppp" } }, log = dir .. "/xl2tpd.log",
  })
  if not proc then core.raise(err .. " (install xl2tpd and ppp: `make deps`)") end
  if not core.wait_file(control, 10) or not proc:alive() then
    core.raise(string.format("xl2tpd on '%s' did not open its control pipe (see %s/xl2tpd.log)", node.name, dir))
  end
  core.comment(string.format("%s: xl2tpd as %s (%s auth%s)", node.name,
                             lac and ("LAC to " .. spec.remote) or ("LNS, PPP " .. spec.local_ip .. ", pool " .. spec.pool),
                             spec.auth or "chap", spec.require_ipsec and ", L2TP only inside IPsec" or ""))
  return setmetatable({ node = node, proc = proc, dir = dir, spec = spec, lac = lac, control = control,
                        role = lac and "lac" or "lns" }, L2tp)
end

-- Write one command to xl2tpd's control pipe (through a short-lived writer:
-- opening a FIFO blocks until the reader has it open, and the runner must not).
function L2tp:_control(cmd)
  if not self.proc:alive() then core.raise("xl2tpd on '" .. self.node.name .. "' is not running (see its log)") end
  local p, err = core.spawn(false, {
    argv = { "sh", "-c", 'printf "%s\\n" "$1" > "$0"', self.control, cmd },
    log = self.dir .. "/control.log",
  })
  if not p then core.raise(err) end
  local status = p:wait(5)
  if status ~= 0 then
    if status == nil then p:kill(9) end   -- blocked on a pipe nobody reads
    core.raise("xl2tpd on '" .. self.node.name .. "': its control pipe took no command (see its log)")
  end
end

-- LAC: dial the LNS (returns at once; await("ppp-up") waits for the outcome).
function L2tp:connect()
  if not self.lac then core.raise("connect: '" .. self.node.name .. "' is an LNS; the LAC connects") end
  self.mark = self.proc:count()
  self:_control("c " .. LAC_NAME)
end

-- LAC: hang up (the tunnel and its session close; await("down") waits).
function L2tp:hangup()
  if not self.lac then core.raise("hangup: '" .. self.node.name .. "' is an LNS; the LAC hangs up") end
  self:_control("d " .. LAC_NAME)
end

-- The node's PPP interfaces: { { ifname =, local =, peer = }, ... } by name;
-- the list's own local, peer and ifname are the first's (a LAC has one).
function L2tp:addresses()
  local r = self.node:exec{ "ip", "-o", "-4", "addr", "show", "type", "ppp" }
  local out = {}
  for line in (r.output or ""):gmatch("[^\n]+") do
    local ifname, loc, peer = line:match("^%d+:%s+(%S+)%s+inet%s+([%d.]+)%s+peer%s+([%d.]+)")
    if ifname then out[#out + 1] = { ifname = ifname, ["local"] = loc, peer = peer } end
  end
  table.sort(out, function(a, b) return a.ifname < b.ifname end)
  if out[1] then out["local"], out.peer, out.ifname = out[1]["local"], out[1].peer, out[1].ifname end
  return out
end

local STATES = { ["ppp-up"] = true, down = true }

-- Lines that mean a session changed: pppd's IPCP result and its end, xl2tpd's
-- view of calls and tunnels.
local CHANGES = { "IP address", "pppd exited", "Connection terminated", "closed to", "Call established",
                  "authentication failed", "Authentication failed" }
-- Lines after connect() that end a LAC's session attempt: its pppd gave up
-- (authentication, LCP) or xl2tpd closed the call or the tunnel.
local ENDS = { "authentication failed", "Connection terminated", "pppd exited", "closed to" }

local function any(line, list)
  for _, p in ipairs(list) do if line:find(p, 1, true) then return true end end
  return false
end

-- Wait until "ppp-up" (a PPP interface with both addresses) or "down" (none),
-- or seconds pass. Every line xl2tpd or pppd writes wakes the wait; the PPP
-- interfaces decide. On a LAC, a session attempt that ends after connect()
-- (pppd failed to authenticate, the call or tunnel closed) ends a wait for
-- "ppp-up" at once, with false.
function L2tp:await(state, seconds)
  if not STATES[state] then
    core.raise("await: unknown state '" .. tostring(state) .. "' (ppp-up, down)")
  end
  local deadline = core.now() + (seconds or 10)
  local seen = self.proc:count()
  local function holds()
    return (state == "ppp-up") == (#self:addresses() > 0)
  end
  if holds() then return true end
  while true do
    if not self.proc:alive() then return state == "down" end
    local left = deadline - core.now()
    if left <= 0 then return false end
    -- Lines that came while the last check ran count too: wait for the first unread one.
    if self.proc:wait_line(seen + 1, left) then
      local relevant, ended = false, false
      for i = seen + 1, self.proc:count() do
        local l = self.proc:line(i)
        relevant = relevant or any(l, CHANGES)
        ended = ended or (self.lac and self.mark ~= nil and i > self.mark and any(l, ENDS))
      end
      seen = self.proc:count()
      if relevant and holds() then return true end
      if ended and state == "ppp-up" then return false end
    end
  end
end

-- Has xl2tpd (or a pppd it started) logged a line matching pattern (Lua pattern)?
function L2tp:logged(pattern) return daemon.logged(self.proc, pattern) end

function L2tp:alive() return self.proc:alive() end

function M.attach(Node)
  function Node:l2tp(spec) return start(self, spec) end
end

return M
