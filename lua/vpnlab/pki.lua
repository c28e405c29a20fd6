-- vpnlab.pki: a certificate authority for the lab (vpnlab.pki.ca).
--
--   local ca = vpnlab.pki.ca("Lab CA")                 -- {key =, lifetime =}
--   local gw = ca:issue{ id = "gw.lab", eku = { "server", "ike" } }
--   local c  = ca:issue{ id = "client@lab", key = "rsa2048", lifetime = 86400 }
--   ca:revoke(c)                                       -- ca.crl lists it
--   net.nodes.gateway:strongswan{ cert = gw, ca = ca, ... }
--
-- Everything is written at run time under the scenario's results folder,
-- pki/<ca>/ (the CA's own key stays in memory). A certificate's id is its
-- subjectAltName: an IP address, an email address (with '@') or a DNS name.
-- Keys: "ecdsa256" (the default: fast), "ed25519", or "rsa2048": one RSA key
-- pair per run is shared by the RSA certificates unless distinct = true
-- (generating one costs tens of milliseconds).

local core = require("vpnlab.core")

local M = {}

local YEAR = 365 * 86400
local KEYS = { ecdsa256 = true, rsa2048 = true, ed25519 = true }
local EKU = { server = 1, client = 2, ike = 4 }   -- pki.h's PKI_EKU_*
local ISSUE_FIELDS = { id = true, key = true, lifetime = true, eku = true, distinct = true }
local CA_FIELDS = { key = true, lifetime = true }

local Ca = {}
Ca.__index = Ca
local Cert = {}
Cert.__index = Cert

-- Is v something ca:issue returned? (the drivers ask)
function M.is_cert(v) return getmetatable(v) == Cert end
function M.is_ca(v) return getmetatable(v) == Ca end

local function check_fields(what, spec, known)
  for k in pairs(spec) do
    if not known[k] then
      local names = {}
      for name in pairs(known) do names[#names + 1] = name end
      table.sort(names)
      core.raise(string.format("%s: unknown field '%s' (known: %s)", what, tostring(k), table.concat(names, ", ")))
    end
  end
end

local function check_key(what, key)
  if key ~= nil and not KEYS[key] then
    core.raise(string.format('%s: key must be "ecdsa256", "rsa2048" or "ed25519", not %s', what, tostring(key)))
  end
  return key or "ecdsa256"
end

local function check_lifetime(what, lifetime, default)
  if lifetime == nil then return default end
  if math.type(lifetime) ~= "integer" or lifetime < 1 or lifetime > 100 * YEAR then
    core.raise(string.format("%s: lifetime must be whole seconds (1 .. 100 years), not %s", what, tostring(lifetime)))
  end
  return lifetime
end

local used = {}   -- folder names taken in this run

-- vpnlab.pki.ca(name [, {key =, lifetime =}]) -> a CA
function M.ca(name, opts)
  if type(name) ~= "string" or not name:match("^[%w][%w .%-_]*$") or #name > 64 then
    core.raise("pki.ca(name): name must be letters, digits, spaces, '.', '-', '_' (at most 64), not "
               .. (type(name) == "string" and "'" .. name .. "'" or type(name)))
  end
  opts = opts or {}
  if type(opts) ~= "table" then core.raise("pki.ca(name, {key =, lifetime =}): options must be a table") end
  check_fields("pki.ca", opts, CA_FIELDS)
  local key = check_key("pki.ca", opts.key)
  local lifetime = check_lifetime("pki.ca", opts.lifetime, 10 * YEAR)
  local slug = name:gsub("[^%w.%-_]", "_")
  if used[slug] then core.raise("pki.ca: a CA named '" .. name .. "' already exists in this scenario") end
  used[slug] = true
  local results = core.info().results
  core.mkdir(results .. "/pki")
  local dir = results .. "/pki/" .. slug
  core.mkdir(dir)
  local handle, cert, crl = core.pki_ca(dir, name, key, lifetime)
  return setmetatable({ name = name, cert = cert, crl = crl, dir = dir, handle = handle, issued = {} }, Ca)
end

-- ca:issue{ id =, key =, lifetime =, eku = {"server", "client", "ike"}, distinct = } -> a certificate
function Ca:issue(spec)
  if getmetatable(self) ~= Ca then core.raise("issue: call it as ca:issue{...}") end
  if type(spec) ~= "table" then core.raise("ca:issue{ id = ... }: needs a table") end
  check_fields("ca:issue", spec, ISSUE_FIELDS)
  if type(spec.id) ~= "string" or not spec.id:match("^[%w.%-_@:]+$") then
    core.raise("ca:issue: id must be a name, an email address or an IP address (letters, digits, . - _ @ :), not "
               .. (type(spec.id) == "string" and "'" .. spec.id .. "'" or tostring(spec.id)))
  end
  local key = check_key("ca:issue", spec.key)
  local lifetime = check_lifetime("ca:issue", spec.lifetime, YEAR)
  local mask = 0
  if spec.eku ~= nil then
    if type(spec.eku) ~= "table" then core.raise('ca:issue: eku must be a list of "server", "client", "ike"') end
    for _, u in ipairs(spec.eku) do
      if not EKU[u] then
        core.raise(string.format('ca:issue: eku "%s" is not one of "server", "client", "ike"', tostring(u)))
      end
      mask = mask | EKU[u]
    end
  end
  if spec.distinct ~= nil and type(spec.distinct) ~= "boolean" then core.raise("ca:issue: distinct must be a boolean") end
  local serial, cert, keyfile, p12 = self.handle:issue(spec.id, key, lifetime, mask, spec.distinct or false)
  local c = setmetatable({ id = spec.id, cert = cert, key = keyfile, p12 = p12, p12_password = "vpnlab",
                           serial = serial, kind = key, ca = self }, Cert)
  self.issued[serial] = c
  return c
end

-- ca:revoke(cert): the CA's CRL (ca.crl) lists it from now on. Nodes read the
-- CRL when their daemon starts: revoke before starting them.
function Ca:revoke(c)
  if getmetatable(self) ~= Ca then core.raise("revoke: call it as ca:revoke(cert)") end
  if getmetatable(c) ~= Cert or self.issued[c.serial] ~= c then
    core.raise("ca:revoke(cert): needs a certificate this CA issued")
  end
  self.handle:revoke(c.serial)
  c.revoked = true
end

return M
