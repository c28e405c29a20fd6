-- vpnlab.libreswan: node:libreswan{...} runs a real libreswan pluto in the node,
-- a second IKE implementation next to node:strongswan, so a scenario can ask
-- the interop question by changing one word.
--
-- Debian's libreswan conflicts with the strongSwan packages vpnlab installs,
-- so it is never installed: `vpnlab vm prepare` unpacks the package into the
-- cache (<cache>/libreswan/root, see harness/vm/swanfetch.c) and pluto runs
-- from there with its libraries from the system. From one Lua table the
-- driver writes ipsec.conf and ipsec.secrets into the node's results folder,
-- makes a per-node NSS database (certutil; a certificate and its CA are
-- imported from vpnlab.pki's PKCS#12 export), starts pluto with a private
-- /run (its control socket there), pluto adds the connection itself, and
-- whack says what is true (its last answer is kept in whack-status.txt).
-- Waits are event-driven: every line pluto logs wakes the wait, and
-- `whack --status` decides.
--
--   local gw = net.nodes.gateway:libreswan{ psk = "s3cret", pool = "10.99.0.0/24",
--                                           local_ts = "10.1.0.1/32" }
--   local c  = net.nodes.client:strongswan{ psk = "s3cret", remote = gw_addr,
--                                           vip = true, remote_ts = "10.1.0.1/32" }
--
-- The fields are node:strongswan's where they mean the same thing; a field
-- pluto cannot honour raises at the user's line. Kernel data plane only.
-- One field is pluto's own:
--   virtual_private = "192.168.0.0/16,10.0.0.0/8"   (a gateway, IKEv1)
--     the private networks a client behind a NAT may name as its own address
--     in quick mode (config setup virtual-private=%v4:..., and rightsubnet=
--     vhost:%priv when remote_ts is not given): strongSwan's IKEv1 client
--     without mode config proposes its LAN address. Without this pluto 4.10
--     still answers quick mode but installs its SA for the NAT's outside
--     address ("them: 203.0.113.1", no subnet): the tunnel comes up, and the
--     client's packets arrive (ESP in) and are dropped by the policy check.

local core = require("vpnlab.core")
local daemon = require("vpnlab.daemon")
local pki = require("vpnlab.pki")

local M = {}

local CONN = "vpnlab"
local EXEC = "/usr/libexec/ipsec"   -- inside the unpacked package

local FIELDS = {
  version = "number", psk = "any", id = "string", remote_id = "string", remote = "string",
  pool = "string", vip = "boolean", local_ts = "string", remote_ts = "string",
  keep_alive = "any", encap = "boolean", mode = "string", proposals = "string",
  esp_proposals = "string", retransmit = "table", aggressive = "boolean", dpd = "number",
  mobike = "boolean", fragmentation = "any", dataplane = "string", cert = "table", ca = "table",
  virtual_private = "string",
}

-- node:strongswan fields pluto has no equivalent for, and why.
local UNSUPPORTED = {
  ah_proposals = "AH is not offered by this driver (ESP only)",
  remote_port = "pluto starts IKE on udp/500 (ikeport is not driven here)",
  log = "pluto's debug classes are not strongSwan's log levels",
  eap = "EAP is not driven here (psk or cert)",
  user = "EAP is not driven here (psk or cert)",
  password = "EAP is not driven here (psk or cert)",
  eap_users = "EAP is not driven here (psk or cert)",
  rekey_time = "lifetimes are not driven here (pluto's defaults apply)",
  life_time = "lifetimes are not driven here (pluto's defaults apply)",
  reauth = "lifetimes are not driven here (pluto's defaults apply)",
  on_updown = "pluto's up/down events are not delivered (await and sas() are)",
}

local FRAGMENTATION = { yes = "yes", no = "no", force = "force" }

local Pluto = {}
Pluto.__index = Pluto

local function fail(node, fmt, ...)
  core.raise(string.format("libreswan on '%s': " .. fmt, node, ...))
end

local function check_spec(node, spec)
  for k, v in pairs(spec) do
    if UNSUPPORTED[k] then fail(node, "%s cannot be honoured: %s", tostring(k), UNSUPPORTED[k]) end
    if not FIELDS[k] then
      local names = {}
      for name in pairs(FIELDS) do names[#names + 1] = name end
      table.sort(names)
      fail(node, "unknown field '%s' (known: %s)", tostring(k), table.concat(names, ", "))
    end
    if FIELDS[k] ~= "any" and type(v) ~= FIELDS[k] then
      fail(node, "%s must be a %s, not a %s", k, FIELDS[k], type(v))
    end
  end
  if spec.cert ~= nil and not pki.is_cert(spec.cert) then fail(node, "cert must be a certificate from ca:issue{...}") end
  if spec.ca ~= nil and not pki.is_ca(spec.ca) then fail(node, "ca must be a CA from vpnlab.pki.ca(...)") end
  if spec.cert and spec.psk then fail(node, "give psk or cert, not both") end
  if spec.cert and not spec.ca then fail(node, "cert needs ca = <CA> (the trust anchor for the peer's certificate)") end
  if spec.cert and spec.cert.kind == "ed25519" then
    fail(node, "pluto 4.10 (NSS) does not sign with Ed25519 keys: issue the certificate with key = \"ecdsa256\" or \"rsa2048\"")
  end
  if not spec.psk and not spec.cert then fail(node, "psk = \"...\" or cert = <certificate> is required") end
  if spec.ca and not spec.cert then fail(node, "ca is the trust anchor for cert = <certificate>: give both") end
  if spec.psk ~= nil and type(spec.psk) ~= "string" and type(spec.psk) ~= "table" then
    fail(node, "psk must be a string, not a %s", type(spec.psk))
  end
  if type(spec.psk) == "table" then fail(node, "per-peer secrets (psk = {...}) are not driven here: give one psk string") end
  local v = spec.version or 2
  if v ~= 1 and v ~= 2 then fail(node, "version must be 1 or 2") end
  if spec.mode and spec.mode ~= "tunnel" and spec.mode ~= "transport" then
    fail(node, "mode must be \"tunnel\" or \"transport\"")
  end
  local ka = spec.keep_alive
  if ka ~= nil and ka ~= false and not (type(ka) == "number" and ka >= 0 and ka < 86400) then
    fail(node, "keep_alive must be seconds (0 or false: off), not %s", tostring(ka))
  end
  local fr = spec.fragmentation
  if fr ~= nil and type(fr) ~= "boolean" and not FRAGMENTATION[fr] then
    fail(node, "fragmentation must be true, false, \"yes\", \"no\" or \"force\", not %s", tostring(fr))
  end
  if spec.dataplane and spec.dataplane ~= "kernel" then
    fail(node, "dataplane must be \"kernel\" (pluto has no userspace ESP), not \"%s\"", spec.dataplane)
  end
  if spec.aggressive and v ~= 1 then fail(node, "aggressive = true is IKEv1: give version = 1") end
  if spec.pool and spec.remote then fail(node, "pool is a gateway field (a node without remote)") end
  if spec.vip and not spec.remote then fail(node, "vip is a client field: give remote = \"<gateway>\" too") end
  if spec.virtual_private then
    if spec.remote then fail(node, "virtual_private is a gateway field (a node without remote)") end
    if v ~= 1 then fail(node, "virtual_private is IKEv1 (pluto's vhost:): give version = 1") end
    for cidr in (spec.virtual_private .. ","):gmatch("([^,]*),") do
      if not cidr:match("^%d+%.%d+%.%d+%.%d+/%d+$") then
        fail(node, "virtual_private must be IPv4 CIDRs separated by commas, not \"%s\"", spec.virtual_private)
      end
    end
  end
  if spec.pool and not spec.pool:match("^%d+%.%d+%.%d+%.%d+/%d+$") then
    fail(node, "pool must be an IPv4 CIDR such as \"10.99.0.0/24\", not \"%s\"", spec.pool)
  end
end

-- The cache root as vmcache_root() finds it. In the VM the guest has no
-- environment of its own (HOME is "/"), so root's home comes from passwd.
local function home()
  local h = os.getenv("HOME")
  if h and h ~= "" and h ~= "/" then return h end
  local f = io.open("/etc/passwd", "r")
  if not f then return nil end
  for line in f:lines() do
    local user, dir = line:match("^([^:]*):[^:]*:0:[^:]*:[^:]*:([^:]*):")
    if user then f:close() return dir end
  end
  f:close()
  return nil
end

local function cache_root()
  local c = os.getenv("VPNLAB_CACHE")
  if c and c ~= "" then return c end
  local x = os.getenv("XDG_CACHE_HOME")
  if x and x ~= "" then return x .. "/vpnlab" end
  local h = home()
  return h and (h .. "/.cache/vpnlab") or nil
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- Where pluto and its tools are: <cache>/libreswan/root, checked by its stamp.
function M.root()
  local cache = cache_root()
  local dir = cache and (cache .. "/libreswan") or "<cache>/libreswan"
  if not cache or not exists(dir .. "/stamp") or not exists(dir .. "/root" .. EXEC .. "/pluto") then
    core.raise("libreswan is not in vpnlab's cache (" .. dir .. "): run `vpnlab vm prepare`,"
               .. " which fetches it (apt-get download libreswan; it is never installed)")
  end
  return dir .. "/root"
end

local function write(path, text)
  local f, err = io.open(path, "w")
  if not f then core.raise(err) end
  f:write(text)
  f:close()
end

local function quote(s) return '"' .. s:gsub('"', '\\"') .. '"' end

-- strongSwan's identity forms in libreswan's words: an FQDN takes '@', an IP
-- address, an email (user@host) and a DN (with '=') stay as they are.
local function ident(id)
  if id == "%any" or id:match("^%d+%.%d+%.%d+%.%d+$") or id:find("=") or id:find(":") then
    return id:find("=") and quote(id) or id
  end
  if id:match("^[^@]+@") or id:sub(1, 1) == "@" then return id end
  return "@" .. id
end

-- "10.99.0.0/24" -> "10.99.0.1-10.99.0.254" (pluto's pools are ranges).
local function pool_range(cidr)
  local a, b, c, d, bits = cidr:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$")
  bits = tonumber(bits)
  local ip = ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
  local size = 1 << (32 - bits)
  local first = ip & ~(size - 1)
  local function dotted(x)
    return string.format("%d.%d.%d.%d", (x >> 24) & 255, (x >> 16) & 255, (x >> 8) & 255, x & 255)
  end
  if size <= 2 then return dotted(first) .. "-" .. dotted(first + size - 1) end
  return dotted(first + 1) .. "-" .. dotted(first + size - 2)
end

-- The node's own address toward the peer (initiator: the route's source) or,
-- for a gateway, its address on the first of its links by name.
local function local_addr(node, spec)
  if spec.remote then
    local r = node:exec{ "ip", "-4", "route", "get", spec.remote }
    local src = r.status == 0 and r.output:match("src (%d+%.%d+%.%d+%.%d+)")
    if not src then fail(node.name, "no route to remote %s: %s", spec.remote, r.output) end
    return src
  end
  local links = {}
  for lname, members in pairs(node.net.topology.links) do
    for _, m in ipairs(members) do if m == node.name then links[#links + 1] = lname end end
  end
  table.sort(links)
  if not links[1] then fail(node.name, "the node is on no link") end
  return node:addr(links[1])
end

-- local_ts when it is one address of the node itself (a gateway's inside
-- address), else nil.
local function source_ip(node, spec)
  local ip = spec.local_ts and spec.local_ts:match("^(%d+%.%d+%.%d+%.%d+)/32$")
  if not ip then return nil end
  local r = node:exec{ "ip", "-4", "-o", "addr", "show" }
  if r.status == 0 and r.output:find("inet " .. ip:gsub("%.", "%%.") .. "/", 1) then return ip end
  return nil
end

local function ipsec_conf(spec, left, srcip, nickname, updown, scale)
  local initiator = spec.remote ~= nil
  local v = spec.version or 2
  local rt = spec.retransmit or {}
  local c = {
    "# written by vpnlab for one node; pluto reads it with --config and adds the conn",
    "config setup",
    "  uniqueids=no",
    -- Debian's pluto drops IKEv1 unless told otherwise.
    "  ikev1-policy=accept",
  }
  if spec.virtual_private then c[#c + 1] = "  virtual-private=%v4:" .. spec.virtual_private:gsub(",", ",%%v4:") end
  for _, l in ipairs({
    "conn " .. CONN,
    "  auto=add",
    "  ikev2=" .. (v == 2 and "yes" or "no"),
    "  type=" .. (spec.mode or "tunnel"),
    "  left=" .. left,
    "  leftid=" .. ident(spec.id or (spec.cert and spec.cert.id) or (initiator and "client" or "gateway")),
    "  right=" .. (spec.remote or "%any"),
    "  rightid=" .. ident(spec.remote_id or (initiator and "gateway" or "%any")),
    "  leftupdown=" .. updown,
    "  encapsulation=" .. (spec.encap and "yes" or "auto"),
    -- strongSwan's retransmit: tries * timeout * base^k; pluto's: a first
    -- interval doubling until a total timeout. The same first wait and a
    -- total that covers the same number of tries.
    string.format("  retransmit-interval=%d", math.floor((rt.timeout or 1.0) * scale * 1000 + 0.5)),
    string.format("  retransmit-timeout=%d", math.max(1, math.floor(
      (rt.timeout or 1.0) * scale * ((rt.base or 1.5) ^ ((rt.tries or 3) + 1) - 1) / ((rt.base or 1.5) - 1) + 0.5))),
  }) do c[#c + 1] = l end
  -- A certificate: its key and the CA are in the node's NSS database. pluto
  -- 4.10 must be told the key's kind: its default (rsasig,ecdsa) looks for
  -- an RSA key first and signs nothing a peer accepts with an ECDSA one.
  -- authby covers both ends, so the peer's key must be of the same kind.
  if spec.cert then
    c[#c + 1] = "  authby=" .. (spec.cert.kind == "rsa2048" and "rsasig" or "ecdsa")
    c[#c + 1] = "  leftcert=" .. nickname
    c[#c + 1] = "  leftsendcert=always"
    -- An initiator: the gateway's CA is ours, so pluto asks for its
    -- certificate (CERTREQ), without which strongSwan sends none. Not on a
    -- gateway: there pluto 4.10 then wants the client's certificate to name
    -- its IP address (rightid %any becomes the peer's address).
    if initiator then c[#c + 1] = "  rightca=%same" end
  else
    c[#c + 1] = "  authby=secret"
  end
  if spec.proposals then c[#c + 1] = "  ike=" .. spec.proposals end
  if spec.esp_proposals then c[#c + 1] = "  esp=" .. spec.esp_proposals end
  -- strongSwan's CHILD_SAs use PFS only when esp_proposals name a DH group;
  -- pluto's default is PFS, which an IKEv1 quick mode against strongSwan's
  -- defaults answers with NO_PROPOSAL_CHOSEN. Same meaning, same default.
  local dh = spec.esp_proposals and (spec.esp_proposals:find("modp") or spec.esp_proposals:find("ecp")
                                     or spec.esp_proposals:find("curve") or spec.esp_proposals:find("dh"))
  c[#c + 1] = "  pfs=" .. (dh and "yes" or "no")
  if spec.local_ts then c[#c + 1] = "  leftsubnet=" .. spec.local_ts end
  if spec.remote_ts then
    c[#c + 1] = "  rightsubnet=" .. spec.remote_ts
  elseif spec.virtual_private then
    c[#c + 1] = "  rightsubnet=vhost:%priv"
  end
  if spec.keep_alive == false or spec.keep_alive == 0 then c[#c + 1] = "  nat-keepalive=no" end
  local fr = spec.fragmentation
  if fr ~= nil then c[#c + 1] = "  fragmentation=" .. (fr == true and "yes" or fr == false and "no" or fr) end
  if spec.dpd then
    c[#c + 1] = string.format("  dpddelay=%d", spec.dpd)
    c[#c + 1] = string.format("  dpdtimeout=%d", spec.dpd * 5)
    c[#c + 1] = "  dpdaction=clear"
  end
  if v == 2 then c[#c + 1] = "  mobike=" .. (spec.mobike and "yes" or "no") end
  if v == 1 and spec.aggressive then c[#c + 1] = "  aggressive=yes" end
  -- Mode config / configuration payload: the gateway hands out the pool, the
  -- client asks (pull, as strongSwan's IKEv1 client does).
  -- A gateway's inside address as the source of its routes to the clients:
  -- pluto's updown then routes the peer's subnet (even with no default
  -- route, which otherwise leaves replies unroutable), as charon does.
  if srcip then c[#c + 1] = "  leftsourceip=" .. srcip end
  if spec.pool then
    for _, l in ipairs({ "  rightaddresspool=" .. pool_range(spec.pool), "  leftmodecfgserver=yes",
                         "  rightmodecfgclient=yes", "  modecfgpull=yes" }) do c[#c + 1] = l end
  end
  if spec.vip then
    for _, l in ipairs({ "  leftmodecfgclient=yes", "  rightmodecfgserver=yes", "  modecfgpull=yes" }) do
      c[#c + 1] = l
    end
    -- IKEv2 sends TSi before the lease is known: offer everything and accept
    -- the gateway's narrowing to the leased address (strongSwan's "dynamic").
    if v == 2 then
      if not spec.local_ts then c[#c + 1] = "  leftsubnet=0.0.0.0/0" end
      c[#c + 1] = "  narrowing=yes"
    end
  end
  return table.concat(c, "\n") .. "\n"
end

-- Run one of the package's tools to its end; raise with its output if it fails.
local function tool(self, name, argv, log)
  local p, err = core.spawn(false, { argv = argv, log = self.dir .. "/" .. log })
  if not p then core.raise(err) end
  local status = p:wait(10)
  if status ~= 0 then
    core.raise(string.format("%s failed on '%s' (status %s): %s", name, self.node.name, tostring(status),
                             p:output():gsub("\n", " ")))
  end
  return p:output()
end

-- The CA as a trust anchor (CT: trusted to issue peer certificates) and the
-- node's certificate with its key from the PKCS#12 export; returns the
-- nickname pluto's leftcert names (the one entry NSS holds a key for, u,u,u).
local function import_cert(self, nssdir, cert, ca)
  local db = "sql:" .. nssdir
  tool(self, "certutil -A", { "certutil", "-A", "-d", db, "-n", ca.name, "-t", "CT,,", "-a", "-i", ca.cert },
       "certutil-ca.log")
  tool(self, "pk12util", { "pk12util", "-i", cert.p12, "-d", db, "-W", cert.p12_password }, "pk12util.log")
  local list = tool(self, "certutil -L", { "certutil", "-L", "-d", db }, "certutil-list.log")
  for line in list:gmatch("[^\n]+") do
    local nick = line:match("^(.-)%s+u,u,u%s*$")
    if nick then return nick end
  end
  fail(self.node.name, "pk12util imported no key from %s (see %s/certutil-list.log)", cert.p12, self.dir)
end

local function start(node, spec)
  spec = spec or {}
  check_spec(node.name, spec)
  -- A missing package is an error on every backend, before the data plane's skip.
  local root = M.root()
  core.require("esp")
  local info = core.info()
  local dir = node:dir()
  local rundir = info.rundir .. "/" .. node.name .. "-pluto"
  local nssdir = dir .. "/nss"
  core.mkdir(rundir)
  core.mkdir(nssdir)
  local exec = root .. EXEC
  local self = setmetatable({ node = node, dir = dir, spec = spec, exec = exec,
                              ctl = rundir .. "/pluto.ctl" }, Pluto)
  core.comment(string.format("%s: libreswan pluto from %s (kernel XFRM data plane)", node.name, root))

  local conf, secrets = dir .. "/ipsec.conf", dir .. "/ipsec.secrets"
  self.left = local_addr(node, spec)
  if not exists(nssdir .. "/cert9.db") then
    tool(self, "certutil -N", { "certutil", "-N", "-d", "sql:" .. nssdir, "--empty-password" }, "certutil.log")
  end
  local nickname = spec.cert and import_cert(self, nssdir, spec.cert, spec.ca)
  write(conf, ipsec_conf(spec, self.left, source_ip(node, spec), nickname, EXEC .. "/_updown.xfrm",
                         info.time_scale))
  if spec.psk then
    write(secrets, "# written by vpnlab: one PSK for any pair of identities\n%any %any : PSK "
          .. quote(spec.psk) .. "\n")
  else
    write(secrets, "# written by vpnlab: the private key is in the NSS database (nss/)\n")
  end

  os.remove(self.ctl)   -- a socket left by a pluto that died would look ready
  local ka = spec.keep_alive
  local argv = { exec .. "/pluto", "--nofork", "--stderrlog", "--config", conf, "--secretsfile", secrets,
                 "--nssdir", nssdir, "--rundir", "/run", "--dumpdir", "/run",
                 "--ipsecdir", dir, "--no-dnssec" }
  if type(ka) == "number" and ka > 0 then
    argv[#argv + 1] = "--keep-alive"
    argv[#argv + 1] = tostring(math.max(1, math.floor(ka + 0.5)))
  end
  -- rundir is pluto's /run (its pid file and pluto.ctl, seen here at self.ctl).
  -- pluto runs its helpers (addconn, _updown) from the fixed /usr/libexec/ipsec:
  -- the package's /usr/libexec is bound there for pluto and its children alone.
  local proc, err = core.spawn(node.name, { argv = argv, run_dir = rundir, log = dir .. "/pluto.log",
                                            binds = { { root .. "/usr/libexec", "/usr/libexec" } } })
  if not proc then core.raise(err) end
  self.proc = proc
  if not core.wait_file(self.ctl, 10) or not proc:alive() then
    fail(node.name, "pluto did not open its control socket (see %s/pluto.log)", dir)
  end
  -- pluto adds the auto=add connection of --config itself, then loads the
  -- secrets: that line is its last word of the start.
  self:_wait_log("loading secrets from", 10)
  if not self:logged('"' .. CONN .. '": added IKEv%d connection') then
    local why
    for i = 1, proc:count() do why = why or proc:line(i):match("failed to add connection: (.*)") end
    fail(node.name, "pluto did not add the connection%s (see %s/pluto.log)", why and (": " .. why) or "", dir)
  end
  return self
end

-- Wait until pluto has logged a line containing text (plain), or seconds pass.
function Pluto:_wait_log(text, seconds)
  local deadline = core.now() + seconds
  local i = 1
  while true do
    while i <= self.proc:count() do
      if self.proc:line(i):find(text, 1, true) then return true end
      i = i + 1
    end
    local left = deadline - core.now()
    if left <= 0 or not self.proc:alive() then
      fail(self.node.name, "pluto did not log '%s' (see %s/pluto.log)", text, self.dir)
    end
    self.proc:wait_line(i, left)
  end
end

function Pluto:_whack(...)
  local argv = { self.exec .. "/whack", "--ctlsocket", self.ctl, ... }
  local p, err = core.spawn(false, { argv = argv })
  if not p then core.raise(err) end
  local status = p:wait(10)
  return status, p:output()
end

-- Start the tunnel (returns at once; use await to wait for the outcome).
function Pluto:initiate()
  local status, out = self:_whack("--name", CONN, "--initiate", "--asynchronous")
  if status ~= 0 then fail(self.node.name, "whack --initiate: %s", out:gsub("\n", " ")) end
end

function Pluto:terminate()
  local status, out = self:_whack("--name", CONN, "--terminate")
  if status ~= 0 then fail(self.node.name, "whack --terminate: %s", out:gsub("\n", " ")) end
end

-- pluto's state names, by what they mean in strongSwan's words.
local function ike_state(name)
  if name:find("^STATE_V2_ESTABLISHED_IKE_SA") or name:find("^STATE_MAIN_[IR][34]$")
     or name:find("^STATE_AGGR_[IR][23]$") then
    return "ESTABLISHED"
  end
  return "CONNECTING"
end

local function child_state(name)
  if name:find("^STATE_V2_ESTABLISHED_CHILD_SA") or name:find("^STATE_QUICK_[IR]2$") then
    return "INSTALLED"
  end
  if name:find("CHILD") or name:find("QUICK") then return "INSTALLING" end
  return nil
end

-- The SAs as node:strongswan's sas() shapes them, from `whack --status`:
--   #1: "vpnlab"[1] 203.0.113.1:4500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); ...
--   #2: "vpnlab"[1] 203.0.113.1:4500 STATE_V2_ESTABLISHED_CHILD_SA (...); ...; IKE SA #1; ...
--   #2: "vpnlab"[1] 203.0.113.1 esp.aaaa@203.0.113.1 esp.bbbb@203.0.113.2 tun.0@... Traffic: ...
--   #2: "vpnlab"[1] 203.0.113.1, type=ESP, ..., inBytes=252, outBytes=252, ..., lease=10.99.0.1/32
-- pluto says whether a state is the IKE SA or a child by its name; an
-- IKEv1 IPsec SA names no parent, so it belongs to the newest ISAKMP SA.
-- The keys are node:strongswan's where whack says the same thing (state,
-- ports, SPIs, identities, leased addresses, byte counters, rekey_time in
-- the scenario's seconds); the negotiated algorithms, reqid and packet
-- counters are not in whack's status and stay nil. encap and nat_any are
-- read from the port: 4500 after the float (or with encap = true).
function Pluto:sas()
  local _, text = self:_whack("--status")
  local _, traffic = self:_whack("--trafficstatus")
  text = text .. "\n" .. traffic
  write(self.dir .. "/whack-status.txt", text)
  local v = self.spec.version or 2
  local scale = core.info().time_scale
  local ikes, by_serial, children, ids = {}, {}, {}, {}
  for raw in text:gmatch("[^\n]+") do
    local line = raw:gsub("^%d%d%d ", "")
    -- A connection (instance) line: left[id,...]...right[id,...]; the ids by instance.
    local conn, here, there = line:match('^"' .. CONN .. '"(%S-): .-%[([^,%]]*)[,%]].-%.%.%..-%[([^,%]]*)[,%]]')
    -- strongSwan writes an FQDN identity without libreswan's '@'.
    if conn then ids[conn] = { (here:gsub("^@", "")), (there:gsub("^@", "")) } end
    local serial, inst, port, st = line:match('^#(%d+): "' .. CONN .. '"(.-):(%d+) (STATE_[%w_]+)')
    if serial then
      local peer = inst:match("(%d+%.%d+%.%d+%.%d+)")
      local cs = child_state(st)
      if cs then
        local ch = { serial = tonumber(serial), name = "net", state = cs, mode = (self.spec.mode or "tunnel"):upper(),
                     protocol = "ESP", encap = tonumber(port) == 4500 or self.spec.encap == true,
                     local_ts = { self.spec.local_ts }, remote_ts = { self.spec.remote_ts },
                     parent = tonumber(line:match("IKE SA #(%d+)")), pluto_state = st,
                     bytes_in = 0, bytes_out = 0,
                     rekey_time = tonumber(line:match("REKEY in (%d+)s")) and
                                  tonumber(line:match("REKEY in (%d+)s")) / scale }
        children[#children + 1] = ch
        by_serial[ch.serial] = ch
      else
        local id = ids[inst:match("^(%S*)")] or {}
        local sa = { serial = tonumber(serial), name = CONN, state = ike_state(st), version = v,
                     local_id = id[1], remote_id = id[2],
                     rekey_time = tonumber(line:match("REKEY in (%d+)s")) and
                                  tonumber(line:match("REKEY in (%d+)s")) / scale,
                     remote_host = peer or self.spec.remote, remote_port = tonumber(port),
                     local_host = self.left, local_port = tonumber(port) == 4500 and 4500 or 500,
                     initiator = self.spec.remote ~= nil, nat_any = tonumber(port) == 4500 and not self.spec.encap,
                     nat_local = false, nat_remote = false, nat_fake = self.spec.encap == true,
                     local_vips = {}, remote_vips = {}, children = {}, pluto_state = st }
        ikes[#ikes + 1] = sa
        by_serial[sa.serial] = sa
      end
    end
    local s2 = line:match('^#(%d+): "' .. CONN .. '"')
    local ch = s2 and by_serial[tonumber(s2)]
    if ch and ch.protocol then
      local out_spi, in_spi = line:match("esp[.:](%x+)@%S+ esp[.:](%x+)@")
      if out_spi then ch.spi_out, ch.spi_in = out_spi, in_spi end
      local ib, ob = line:match("inBytes=(%d+), outBytes=(%d+)")
      if ib then ch.bytes_in, ch.bytes_out = tonumber(ib), tonumber(ob) end
      local lease = line:match("lease=(%d+%.%d+%.%d+%.%d+)")
      if lease then ch.lease = lease end
    end
  end
  table.sort(ikes, function(a, b) return a.serial < b.serial end)
  for _, ch in ipairs(children) do
    local parent = ch.parent and by_serial[ch.parent] or ikes[#ikes]
    if parent and parent.children then
      parent.children[#parent.children + 1] = ch
      if ch.lease then
        local vips = self.spec.remote and parent.local_vips or parent.remote_vips
        vips[#vips + 1] = ch.lease
      end
    end
  end
  return ikes
end

function Pluto:state()
  local sas = self:sas()
  return daemon.sa_state(sas), sas
end

-- Wait until the SA reaches state or seconds pass. Every line pluto logs wakes
-- the wait; `whack --status` decides. Returns true/false.
function Pluto:await(state, seconds)
  if not daemon.SA_STATES[state] then
    core.raise("await: unknown state '" .. tostring(state) .. "' (established, ike-established, connecting, down)")
  end
  local deadline = core.now() + (seconds or 10)
  while true do
    if self:state() == state then return true end
    if not self.proc:alive() then return false end
    local left = deadline - core.now()
    if left <= 0 then return false end
    -- pluto logs a transition ("IPsec SA established") a moment before whack
    -- reports the new state, so a wake that found nothing new re-asks after
    -- at most half a second while pluto stays silent.
    self.proc:wait_line(self.proc:count() + 1, math.min(left, 0.5))
  end
end

-- Has this pluto logged a line matching pattern (Lua pattern)?
function Pluto:logged(pattern) return daemon.logged(self.proc, pattern) end

function Pluto:alive() return self.proc:alive() end

function M.attach(Node)
  function Node:libreswan(spec) return start(self, spec) end
end

return M
