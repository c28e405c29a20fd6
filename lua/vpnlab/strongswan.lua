-- vpnlab.strongswan: node:strongswan{...} runs a real charon in the node.
--
-- From one Lua table it writes strongswan.conf and swanctl.conf into the
-- node's results folder, starts charon with a private /run (its pid file and
-- VICI socket are per node), loads the config with swanctl, and drives it
-- over VICI. State waits are event-driven: every line charon logs wakes the
-- wait, and list-sas says what is true.
--
--   local gw = net.nodes.gateway:strongswan{ psk = "s3cret", pool = "10.99.0.0/24",
--                                            local_ts = "10.1.0.1/32" }
--   local c  = net.nodes.client:strongswan{ psk = "s3cret", remote = gw_addr,
--                                           vip = true, remote_ts = "10.1.0.1/32" }
--   c:initiate(); c:await("established", 5); c:sas()
--
-- Lifetimes (rekey_time, life_time: the CHILD_SA; ike_rekey_time, reauth:
-- the IKE SA; rand_time, 0 unless given) are scenario seconds, scaled like
-- every protocol timer. charon's events (ike-updown, child-updown, ike-rekey,
-- child-rekey) are awaitable (c:await("child-rekey", 10) returns the event),
-- kept in c:events(), and up/down ones go to on_updown = function(event).
--
-- The data plane is the endpoint's declared choice (dataplane = ...):
--   "kernel" (default)  charon installs SAs in the kernel's XFRM. The endpoint
--                       requires the kernel's ESP (and AH for ah_proposals), so
--                       on a host without it the scenario runs in the VM.
--   "libipsec"          strongSwan's userspace ESP (kernel-libipsec, as real
--                       products ship it) on any kernel, the VM's too: tunnel
--                       mode only, ESP always in UDP 4500 (it fakes NAT
--                       detection), and it does not follow a NAT rebinding.

local core = require("vpnlab.core")
local daemon = require("vpnlab.daemon")
local vici_sa = require("vpnlab.vici_sa")
local swanauth = require("vpnlab.swanauth")

local M = {}

local CHARON = "/usr/lib/ipsec/charon"
local CONN, CHILD = "vpnlab", "net"

local FIELDS = {
  version = "number", id = "string", remote_id = "string", remote = "string",
  pool = "string", vip = "boolean", local_ts = "string", remote_ts = "string",
  keep_alive = "any", encap = "boolean", mode = "string", proposals = "string",
  esp_proposals = "string", ah_proposals = "string", retransmit = "table",
  aggressive = "boolean", log = "table", dpd = "number", mobike = "boolean",
  dataplane = "string", remote_port = "number", fragmentation = "any",
  rekey_time = "number", life_time = "number", ike_rekey_time = "number", reauth = "number",
  rand_time = "number", on_updown = "function",
}
for k, t in pairs(swanauth.FIELDS) do FIELDS[k] = t end   -- psk, cert, ca, eap, ...

-- fragmentation: strongSwan's own words, or true/false (yes/no). strongSwan's
-- default is yes (IKEv2 fragmentation, RFC 7383, when both ends announce it).
local FRAGMENTATION = { yes = "yes", no = "no", accept = "accept", force = "force" }

-- What each data plane is called in charon's plugin list and the TAP.
local DATAPLANES = {
  kernel = { name = "kernel", what = "kernel XFRM: ESP in the kernel, in UDP only behind a NAT or with encap" },
  libipsec = { name = "kernel-libipsec", what = "userspace ESP, always UDP-encapsulated" },
}

local Charon = {}
Charon.__index = Charon

local function check_spec(node, spec)
  for k, v in pairs(spec) do
    if not FIELDS[k] then
      local names = {}
      for name in pairs(FIELDS) do names[#names + 1] = name end
      table.sort(names)
      core.raise(string.format("strongswan on '%s': unknown field '%s' (known: %s)", node, tostring(k),
                               table.concat(names, ", ")))
    end
    if FIELDS[k] ~= "any" and type(v) ~= FIELDS[k] then
      core.raise(string.format("strongswan on '%s': %s must be a %s, not a %s", node, k, FIELDS[k], type(v)))
    end
  end
  local v = spec.version or 2
  if v ~= 1 and v ~= 2 then core.raise("strongswan on '" .. node .. "': version must be 1 or 2") end
  if spec.mode and spec.mode ~= "tunnel" and spec.mode ~= "transport" then
    core.raise("strongswan on '" .. node .. "': mode must be \"tunnel\" or \"transport\"")
  end
  local ka = spec.keep_alive
  if ka ~= nil and ka ~= false and not (type(ka) == "number" and ka >= 0 and ka < 86400) then
    core.raise(string.format("strongswan on '%s': keep_alive must be seconds (0 or false: off), not %s",
                             node, tostring(ka)))
  end
  local rp = spec.remote_port
  if rp ~= nil and not (math.type(rp) == "integer" and rp >= 1 and rp <= 65535) then
    core.raise(string.format("strongswan on '%s': remote_port must be a port number, not %s", node, tostring(rp)))
  end
  local fr = spec.fragmentation
  if fr ~= nil and type(fr) ~= "boolean" and not FRAGMENTATION[fr] then
    core.raise(string.format("strongswan on '%s': fragmentation must be true, false, \"yes\", \"no\", "
                             .. "\"accept\" or \"force\", not %s", node, tostring(fr)))
  end
  -- Lifetimes, in the scenario's seconds: 0 turns rekeying (or reauthentication) off.
  for _, k in ipairs({ "rekey_time", "life_time", "ike_rekey_time", "reauth", "rand_time" }) do
    local t = spec[k]
    if t ~= nil and not (t >= 0 and t < 86400 * 365) then
      core.raise(string.format("strongswan on '%s': %s must be seconds (0 or more), not %s", node, k, tostring(t)))
    end
  end
  if spec.life_time and spec.life_time > 0 and (spec.rekey_time or 3600) >= spec.life_time then
    core.raise(string.format("strongswan on '%s': life_time (%s s) must be longer than rekey_time (%s s):"
                             .. " the CHILD_SA would expire before its rekey", node, tostring(spec.life_time),
                             tostring(spec.rekey_time or 3600)))
  end
  local dp = spec.dataplane or "kernel"
  if not DATAPLANES[dp] then
    core.raise(string.format("strongswan on '%s': dataplane must be \"kernel\" or \"libipsec\", not \"%s\"",
                             node, dp))
  end
  -- What kernel-libipsec cannot do, said at the user's line rather than by charon.
  if dp == "libipsec" and spec.mode == "transport" then
    core.raise("strongswan on '" .. node .. "': dataplane = \"libipsec\" does tunnel mode only;"
               .. " mode = \"transport\" needs dataplane = \"kernel\"")
  end
  if dp == "libipsec" and spec.ah_proposals then
    core.raise("strongswan on '" .. node .. "': dataplane = \"libipsec\" does ESP only;"
               .. " ah_proposals needs dataplane = \"kernel\"")
  end
end

-- Plugins: the data plane decides whether charon does ESP itself (kernel-libipsec,
-- loaded before kernel-netlink) or hands it to the kernel's XFRM.
local function plugins(dataplane, spec)
  local list = "random nonce openssl aes sha1 sha2 hmac kdf gmp curve25519 pem pkcs1 x509 pubkey"
    .. swanauth.plugins(spec)
  if dataplane == "kernel-libipsec" then list = list .. " kernel-libipsec" end
  return list .. " kernel-netlink socket-default vici attr updown"
end

local function keep_alive_line(ka)
  if ka == false or ka == 0 then return "  keep_alive = 0s" end
  return string.format("  keep_alive = %ds", math.max(1, math.floor((ka or 20) + 0.5)))
end

local function strongswan_conf(spec, dataplane, scale)
  local rt = spec.retransmit or {}
  local log = spec.log or {}
  local lines = {
    "# written by vpnlab for one node; charon reads it through STRONGSWAN_CONF",
    "charon {",
    "  load_modular = no",
    "  load = " .. plugins(dataplane, spec),
    -- NAT-T keepalives: 0 (or false) turns them off, as charon reads keep_alive = 0s;
    -- other values round to whole seconds, at least 1.
    keep_alive_line(spec.keep_alive),
    string.format("  retransmit_tries = %d", rt.tries or 3),
    string.format("  retransmit_timeout = %.2f", (rt.timeout or 1.0) * scale),
    string.format("  retransmit_base = %.2f", rt.base or 1.5),
    "  install_routes = yes",
    "  filelog {",
    "    stderr {",
    "      time_format = %H:%M:%S",
    "      time_add_ms = yes",
    "      ike_name = yes",
    string.format("      default = %d", log.default or 1),
    string.format("      ike = %d", log.ike or 1),
    string.format("      net = %d", log.net or 1),
    string.format("      cfg = %d", log.cfg or 1),
    "    }",
    "  }",
    "  syslog {",
    "    daemon {",
    "      default = -1",
    "    }",
    "  }",
    "}",
    "# swanctl needs no plugins for PSK configurations (a short list saves ~7 ms a call);",
    "# certificates and keys need their parsers",
    "swanctl {",
    "  load = " .. swanauth.swanctl_plugins(spec),
    "}",
  }
  return table.concat(lines, "\n") .. "\n"
end

-- A lifetime for swanctl.conf: the scenario's seconds times the run's time
-- scale (the VM's protocol timers run slower), whole seconds (swanctl reads
-- no fractions); a non-zero one stays at least 1 s.
local function duration(seconds, scale)
  if seconds == 0 then return "0s" end
  return string.format("%ds", math.max(1, math.floor(seconds * scale + 0.5)))
end

local function swanctl_conf(spec, role, scale)
  local initiator = spec.remote ~= nil
  local v = spec.version or 2
  local local_id, remote_id = swanauth.ids(spec, initiator)
  local c = {
    "connections {",
    "  " .. CONN .. " {",
    string.format("    version = %d", v),
    "    remote_addrs = " .. (spec.remote or "%any"),
    "    proposals = " .. (spec.proposals or "default"),
    "    encap = " .. (spec.encap and "yes" or "no"),
  }
  -- remote_port = 4500 starts IKE on 4500 instead of 500: from the local 4500
  -- too, so charon puts the non-ESP marker in front (RFC 3948), as after a float.
  if spec.remote_port then
    c[#c + 1] = string.format("    remote_port = %d", spec.remote_port)
    if spec.remote_port == 4500 then c[#c + 1] = "    local_port = 4500" end
  end
  -- IKEv2 fragmentation (RFC 7383) and IKEv1's proprietary one: strongSwan's default is yes.
  local fr = spec.fragmentation
  if fr ~= nil then
    c[#c + 1] = "    fragmentation = " .. (fr == true and "yes" or fr == false and "no" or fr)
  end
  if spec.dpd then c[#c + 1] = string.format("    dpd_delay = %ds", spec.dpd) end
  -- IKE rekeying and reauthentication; rand_time 0 unless asked, so a lab's
  -- rekey happens when the scenario says, not up to 10% earlier at random.
  -- over_time (the hard end if a rekey never completes) is charon's 10%, but
  -- at least 1 s: charon's integer 10% of a lab's 5 s is 0, which ends the
  -- IKE SA the moment its rekey starts.
  if spec.ike_rekey_time then c[#c + 1] = "    rekey_time = " .. duration(spec.ike_rekey_time, scale) end
  if spec.reauth then c[#c + 1] = "    reauth_time = " .. duration(spec.reauth, scale) end
  local ike_time = math.max(spec.ike_rekey_time or 0, spec.reauth or 0)
  if ike_time > 0 then c[#c + 1] = "    over_time = " .. duration(math.max(1, ike_time / 10), scale) end
  c[#c + 1] = "    rand_time = " .. duration(spec.rand_time or 0, scale)
  -- MOBIKE (IKEv2, on by default) moves IKE to udp/4500 after IKE_SA_INIT even
  -- without a NAT (RFC 4555); mobike = false keeps a NAT-free exchange on 500.
  if spec.mobike == false and v == 2 then c[#c + 1] = "    mobike = no" end
  if v == 1 then c[#c + 1] = "    aggressive = " .. (spec.aggressive and "yes" or "no") end
  if spec.vip then c[#c + 1] = "    vips = 0.0.0.0" end
  if spec.pool then c[#c + 1] = "    pools = pool" end
  local child = {
    "      " .. CHILD .. " {",
    "        mode = " .. (spec.mode or "tunnel"),
    "        local_ts = " .. (spec.local_ts or "dynamic"),
    "        remote_ts = " .. (spec.remote_ts or "dynamic"),
    "        rand_time = " .. duration(spec.rand_time or 0, scale),
  }
  if spec.rekey_time then child[#child + 1] = "        rekey_time = " .. duration(spec.rekey_time, scale) end
  -- Without a life_time, charon's default is 110% of rekey_time, which its
  -- integer seconds make equal to a short rekey_time: at least 1 s more here.
  local life = spec.life_time
  if not life and spec.rekey_time and spec.rekey_time > 0 then
    life = spec.rekey_time + math.max(1, spec.rekey_time / 10)
  end
  if life then child[#child + 1] = "        life_time = " .. duration(life, scale) end
  if spec.ah_proposals then
    child[#child + 1] = "        ah_proposals = " .. spec.ah_proposals
  else
    child[#child + 1] = "        esp_proposals = " .. (spec.esp_proposals or "default")
  end
  child[#child + 1] = "      }"
  local local_sec, remote_sec = swanauth.sections(spec, role, local_id, remote_id)
  for _, l in ipairs(local_sec) do c[#c + 1] = l end
  for _, l in ipairs(remote_sec) do c[#c + 1] = l end
  for _, l in ipairs({
    "    children {", table.concat(child, "\n"), "    }",
    "  }",
    "}",
  }) do c[#c + 1] = l end
  if spec.pool then
    for _, l in ipairs({ "pools {", "  pool {", "    addrs = " .. spec.pool, "  }", "}" }) do c[#c + 1] = l end
  end
  for _, l in ipairs(swanauth.secrets(spec)) do c[#c + 1] = l end
  return table.concat(c, "\n") .. "\n"
end

-- kernel-libipsec opens /dev/net/tun. A minimal boot (the VM's) creates no
-- static device nodes, so there the node appears only once the tun module is
-- loaded: load it with the kernel's own modprobe helper.
local TUN = "/dev/net/tun"

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local function ensure_tun(dir)
  if exists(TUN) then return end
  local f = io.open("/proc/sys/kernel/modprobe", "r")
  local modprobe = f and f:read("l") or "modprobe"
  if f then f:close() end
  local log = dir .. "/modprobe-tun.log"
  local p = core.spawn(false, { argv = { modprobe, "tun" }, log = log })
  if p then p:wait(10) end
  if not exists(TUN) then
    core.raise("dataplane = \"libipsec\" needs " .. TUN .. ", and this kernel has none (loading tun: see " .. log .. ")")
  end
end

local function write(path, text)
  local f, err = io.open(path, "w")
  if not f then core.raise(err) end
  f:write(text)
  f:close()
end

-- Start charon in node and load its config. Returns the handle.
local function start(node, spec)
  spec = spec or {}
  check_spec(node.name, spec)
  local role = swanauth.check(node.name, spec)
  -- What this endpoint needs from the kernel: the kernel data plane needs its
  -- ESP (and AH for AH proposals); the userspace one needs neither.
  local dataplane = DATAPLANES[spec.dataplane or "kernel"]
  if dataplane.name == "kernel" then
    if spec.ah_proposals then core.require("esp", "ah") else core.require("esp") end
  end
  core.comment(string.format("%s: strongSwan data plane %s (%s)", node.name, dataplane.name, dataplane.what))
  local info = core.info()
  local dir = node:dir()
  local rundir = info.rundir .. "/" .. node.name .. "-charon"
  core.mkdir(rundir)
  if dataplane.name == "kernel-libipsec" then ensure_tun(dir) end
  local conf, swanctl = dir .. "/strongswan.conf", dir .. "/swanctl.conf"
  write(conf, strongswan_conf(spec, dataplane.name, info.time_scale))
  write(swanctl, swanctl_conf(spec, role, info.time_scale))
  swanauth.install(spec, dir)

  local sock = rundir .. "/charon.vici"
  os.remove(sock)   -- a socket left by a charon that died would look ready
  local proc, err = core.spawn(node.name, {
    argv = { CHARON }, env = { "STRONGSWAN_CONF=" .. conf }, run_dir = rundir,
    log = dir .. "/charon.log",
  })
  if not proc then
    core.raise(err .. " (install strongswan-charon: `make deps`)")
  end
  if not core.wait_file(sock, 10) or not proc:alive() then
    core.raise(string.format("charon on '%s' did not open its control socket (see %s/charon.log)",
                             node.name, dir))
  end
  local self = setmetatable({ node = node, proc = proc, sock = sock, dir = dir, spec = spec,
                              conf = conf, line = 0, dataplane = dataplane.name,
                              on_updown = spec.on_updown, log = {}, handlers = {},
                              time_scale = info.time_scale }, Charon)
  self.vici = self:_connect()
  self.event_conn = self:_connect()
  local ok, lerr = self.event_conn:listen(vici_sa.REGISTER)
  if not ok then core.raise(lerr) end
  self:_load(conf, swanctl)
  return self
end

-- The socket exists a moment before charon accepts on it. Every wait here
-- counts in the scenario's own seconds (core.now(), and each core wait,
-- scales by the run's time scale itself).
function Charon:_connect()
  local deadline = core.now() + 5
  while true do
    local conn, err = core.vici_connect(self.sock)
    if conn then return conn end
    if core.now() > deadline then core.raise("charon on '" .. self.node.name .. "': " .. err) end
    self.proc:wait_line(self.proc:count() + 1, 0.05)
  end
end

function Charon:_load(conf, swanctl)
  local p, err = core.spawn(false, {
    argv = { "swanctl", "--load-all", "--noprompt", "--file", swanctl, "--uri", "unix://" .. self.sock },
    env = { "STRONGSWAN_CONF=" .. conf }, log = self.dir .. "/swanctl-load.log",
  })
  if not p then core.raise(err .. " (install strongswan-swanctl: `make deps`)") end
  local status = p:wait(10)
  if status ~= 0 then
    core.raise(string.format("swanctl --load-all failed on '%s' (status %s): %s", self.node.name,
                             tostring(status), p:output():gsub("\n", " ")))
  end
end

-- Start the tunnel (returns at once; use await to wait for the outcome).
function Charon:initiate()
  local reply, err = self.vici:request("initiate", { child = CHILD, timeout = -1 })
  if not reply then core.raise(err) end
  if reply.success ~= "yes" then core.raise("initiate: " .. tostring(reply.errmsg)) end
end

function Charon:terminate()
  local reply, err = self.vici:request("terminate", { ike = CONN, timeout = -1 })
  if not reply then core.raise(err) end
end

-- The IKE SAs as friendly tables (vici_sa.lua lists the keys). Events
-- that arrived meanwhile are handled first, so on_updown has seen them.
function Charon:sas()
  self:_pump(0)
  local _, events = self.vici:request("list-sas", {}, 10, "list-sa")
  return vici_sa.list(events, self.time_scale)
end

-- The state the wait compares: "established" (IKE up with an installed child),
-- "ike-established", "connecting", or "down" (no SA).
function Charon:state()
  local sas = self:sas()
  return daemon.sa_state(sas), sas
end

-- Events from charon, in arrival order: each is logged (events()) and an
-- up/down one goes to on_updown. Lua runs one thing at a time, so the
-- handler runs inside this endpoint's next call (await, sas, events); a
-- handler that waits itself only queues what arrives meanwhile for the
-- outer call. Waits up to seconds for the first event; returns how many came.
function Charon:_pump(seconds)
  local got = 0
  local name, body = self.event_conn:next_event(seconds or 0)
  while name do
    local ev = vici_sa.event(name, body, self.time_scale)
    if ev then
      ev.t = core.now()
      self.log[#self.log + 1] = ev
      if ev.up ~= nil then self.handlers[#self.handlers + 1] = ev end
      got = got + 1
    end
    name, body = self.event_conn:next_event(0)
  end
  if not self.dispatching then
    self.dispatching = true
    while #self.handlers > 0 do
      local ev = table.remove(self.handlers, 1)
      if self.on_updown then
        local ok, err = pcall(self.on_updown, ev)
        if not ok then self.dispatching = false; error(err, 0) end
      end
    end
    self.dispatching = false
  end
  return got
end

-- Every event so far (of one kind: "child-rekey", ...), oldest first.
function Charon:events(kind)
  if kind ~= nil and not vici_sa.KINDS[kind] then
    core.raise("events: unknown kind '" .. tostring(kind) .. "' (child-up, child-down, ike-up, ike-down, "
               .. "child-rekey, ike-rekey)")
  end
  self:_pump(0)
  local out = {}
  for _, ev in ipairs(self.log) do
    if kind == nil or ev.kind == kind then out[#out + 1] = ev end
  end
  return out
end

-- Wait for the next event of a kind: one this endpoint had not read from
-- charon when called (what it read before, during any call of it, is in
-- events()). Returns the event, or false at the deadline or when charon is gone.
function Charon:_await_event(kind, seconds)
  local deadline = core.now() + (seconds or 10)
  local from = #self.log
  self:_pump(0)
  while true do
    for i = from + 1, #self.log do
      if self.log[i].kind == kind then return self.log[i] end
    end
    from = #self.log
    local left = deadline - core.now()
    if left <= 0 or not self.proc:alive() then return false end
    if self:_pump(left) == 0 and core.now() < deadline then
      return false   -- charon closed the event connection: it is going away
    end
  end
end

-- Wait until the SA reaches state ("established", "down", ...) or seconds pass.
-- Every line charon logs wakes the wait; VICI list-sas decides. Returns true/false.
-- An event kind ("child-up", "child-down", "child-rekey", "ike-rekey", "ike-up",
-- "ike-down") waits for the next such event instead and returns it.
function Charon:await(state, seconds)
  if vici_sa.KINDS[state] then return self:_await_event(state, seconds) end
  if not daemon.SA_STATES[state] then
    core.raise("await: unknown state '" .. tostring(state) .. "' (established, ike-established, connecting, down;"
               .. " or an event: child-up, child-down, child-rekey, ike-rekey, ike-up, ike-down)")
  end
  local deadline = core.now() + (seconds or 10)
  while true do
    local now_state = self:state()
    if now_state == state then return true end
    if not self.proc:alive() then return false end
    local left = deadline - core.now()
    if left <= 0 then return false end
    -- Sleep until charon says anything (a log line) or an event arrives.
    if self.proc:wait_line(self.proc:count() + 1, left) then self:_pump(0) end
  end
end

-- Has this charon logged a line matching pattern (Lua pattern)?
function Charon:logged(pattern) return daemon.logged(self.proc, pattern) end

function Charon:alive() return self.proc:alive() end

-- Endpoint drivers attach themselves as node methods: node:strongswan{...}.
function M.attach(Node)
  function Node:strongswan(spec) return start(self, spec) end
end

return M
