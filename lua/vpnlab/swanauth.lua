-- vpnlab.swanauth: how a strongSwan endpoint authenticates (used by
-- vpnlab/strongswan.lua): the fields psk, cert, ca, eap, user, password and
-- eap_users, checked at the user's line, turned into swanctl.conf's local,
-- remote and secrets sections, and the credentials copied into swanctl's
-- folders (x509, x509ca, x509crl, private) in the node's results folder.
--
--   psk = "s3cret"                        one shared secret, any identity
--   psk = { ["client@lab"] = "a", ... }   one secret per peer identity
--   cert = c, ca = ca                     public-key (certificate) authentication;
--                                         the id defaults to the certificate's,
--                                         ca is the trust anchor with its CRL
--   eap = "mschapv2"  gateway: cert = c, eap_users = { alice = "pw" }
--                     client:  user = "alice", password = "pw", ca = ca
--                     (the gateway proves itself by certificate, as the
--                     Windows and macOS native IKEv2 clients expect)
--   eap = "tls"       both: cert = c, ca = ca (the client's certificate in EAP)

local core = require("vpnlab.core")
local pki = require("vpnlab.pki")

local M = {}

M.FIELDS = { psk = "any", cert = "table", ca = "table", eap = "string", user = "string",
             password = "string", eap_users = "table" }

local EAP = { mschapv2 = "eap-mschapv2", tls = "eap-tls" }

local function fail(node, msg) core.raise("strongswan on '" .. node .. "': " .. msg) end

local function check_psk(node, psk)
  if type(psk) == "string" then return end
  if type(psk) ~= "table" then fail(node, "psk must be a string or a table of { [id] = secret }, not a " .. type(psk)) end
  local n = 0
  for id, secret in pairs(psk) do
    if type(id) ~= "string" or not id:match("^[%w.%-_@:]+$") then
      fail(node, "psk: each key must be a peer's identity (letters, digits, . - _ @ :), not " .. tostring(id))
    end
    if type(secret) ~= "string" or secret == "" then fail(node, "psk[\"" .. id .. "\"] must be a non-empty string") end
    n = n + 1
  end
  if n == 0 then fail(node, "psk = {} names no peer") end
end

-- The role this endpoint plays: "psk", "pubkey", "eap-server" or "eap-client".
function M.check(node, spec)
  local initiator = spec.remote ~= nil
  if spec.cert ~= nil and not pki.is_cert(spec.cert) then fail(node, "cert must be a certificate from ca:issue{...}") end
  if spec.ca ~= nil and not pki.is_ca(spec.ca) then fail(node, "ca must be a CA from vpnlab.pki.ca(...)") end
  if spec.psk ~= nil then check_psk(node, spec.psk) end
  if spec.eap == nil then
    for _, k in ipairs({ "user", "password", "eap_users" }) do
      if spec[k] ~= nil then fail(node, k .. " needs eap = \"mschapv2\"") end
    end
    if spec.cert then
      if spec.psk then fail(node, "give psk or cert, not both") end
      if not spec.ca then fail(node, "cert needs ca = <CA> (the trust anchor for the peer's certificate)") end
      return "pubkey"
    end
    if not spec.psk then
      fail(node, "psk = \"...\" (or { [id] = secret, ... }), cert = <certificate> or eap = \"mschapv2\"|\"tls\" is required")
    end
    return "psk"
  end
  if not EAP[spec.eap] then fail(node, "eap must be \"mschapv2\" or \"tls\", not \"" .. spec.eap .. "\"") end
  if (spec.version or 2) ~= 2 then fail(node, "eap needs version = 2 (IKEv2)") end
  if spec.psk then fail(node, "eap replaces psk: give one of them") end
  if not spec.ca then fail(node, "eap needs ca = <CA> (the gateway is authenticated by its certificate)") end
  if spec.eap == "tls" then
    if not spec.cert then fail(node, "eap = \"tls\" needs cert = <certificate> on both ends") end
    if spec.user or spec.password or spec.eap_users then fail(node, "eap = \"tls\" takes no user, password or eap_users") end
    return initiator and "eap-client" or "eap-server"
  end
  if initiator then
    if not (spec.user and spec.password) then fail(node, "eap = \"mschapv2\" on a client needs user and password") end
    if spec.eap_users then fail(node, "eap_users belongs on the gateway, not on a client") end
    return "eap-client"
  end
  if not spec.cert then fail(node, "eap = \"mschapv2\" on a gateway needs cert = <certificate>") end
  if type(spec.eap_users) ~= "table" or next(spec.eap_users) == nil then
    fail(node, "eap = \"mschapv2\" on a gateway needs eap_users = { name = \"password\", ... }")
  end
  for u, pw in pairs(spec.eap_users) do
    if type(u) ~= "string" or type(pw) ~= "string" then fail(node, "eap_users maps names to passwords (strings)") end
  end
  return "eap-server"
end

-- charon's plugins for this authentication (added to the data plane's list).
-- MSCHAPv2 needs MD4: the openssl plugin loads OpenSSL 3's legacy provider
-- for it (charon.plugins.openssl.load_legacy, on by default).
function M.plugins(spec)
  local list = ""
  if spec.cert or spec.ca then list = list .. " pkcs8 revocation constraints" end
  if spec.eap then list = list .. " eap-identity " .. EAP[spec.eap] end
  return list
end

-- swanctl's own plugins: parsing keys needs more than PSK's pem.
function M.swanctl_plugins(spec)
  if spec.cert or spec.ca then return "pem pkcs1 pkcs8 x509 openssl" end
  return "pem"
end

local function q(s) return '"' .. s:gsub('"', '\\"') .. '"' end

-- The local and remote sections, as lines.
function M.sections(spec, role, local_id, remote_id)
  local cert_file = spec.cert and (spec.cert.serial .. ".crt")
  local L, R = { "    local {" }, { "    remote {" }
  if role == "psk" then
    L[#L + 1] = "      auth = psk"
    R[#R + 1] = "      auth = psk"
  elseif role == "pubkey" or (role == "eap-server") then
    L[#L + 1] = "      auth = pubkey"
    L[#L + 1] = "      certs = " .. cert_file
    R[#R + 1] = "      auth = " .. (role == "pubkey" and "pubkey" or EAP[spec.eap])
    if role == "eap-server" then R[#R + 1] = "      eap_id = %any" end
  else   -- eap-client
    L[#L + 1] = "      auth = " .. EAP[spec.eap]
    if spec.cert then L[#L + 1] = "      certs = " .. cert_file end
    if spec.user then L[#L + 1] = "      eap_id = " .. q(spec.user) end
    R[#R + 1] = "      auth = pubkey"
  end
  L[#L + 1] = "      id = " .. q(local_id)
  R[#R + 1] = "      id = " .. q(remote_id)
  L[#L + 1] = "    }"
  R[#R + 1] = "    }"
  return L, R
end

-- The identities when the spec does not give them: a certificate's id, an EAP
-- user's name, or the PSK driver's defaults.
function M.ids(spec, initiator)
  local local_id = spec.id or (spec.cert and spec.cert.id) or (spec.user and spec.user)
                   or (initiator and "client" or "gateway")
  local remote_id = spec.remote_id
  if not remote_id then
    if spec.cert or spec.ca or type(spec.psk) == "table" or not initiator then remote_id = "%any"
    else remote_id = "gateway" end
  end
  return local_id, remote_id
end

-- The secrets section, as lines.
function M.secrets(spec)
  local s = { "secrets {" }
  if type(spec.psk) == "string" then
    s[#s + 1] = "  ike-vpnlab {\n    secret = " .. q(spec.psk) .. "\n  }"
  elseif type(spec.psk) == "table" then
    local ids = {}
    for id in pairs(spec.psk) do ids[#ids + 1] = id end
    table.sort(ids)
    for i, id in ipairs(ids) do
      s[#s + 1] = string.format("  ike-peer%d {\n    id = %s\n    secret = %s\n  }", i, q(id), q(spec.psk[id]))
    end
  end
  if spec.user then
    s[#s + 1] = string.format("  eap-user {\n    id = %s\n    secret = %s\n  }", q(spec.user), q(spec.password))
  end
  if spec.eap_users then
    local users = {}
    for u in pairs(spec.eap_users) do users[#users + 1] = u end
    table.sort(users)
    for i, u in ipairs(users) do
      s[#s + 1] = string.format("  eap-user%d {\n    id = %s\n    secret = %s\n  }", i, q(u), q(spec.eap_users[u]))
    end
  end
  s[#s + 1] = "}"
  return s
end

local function copy(src, dst, mode)
  local ok, err = core.pki_copy(src, dst, mode)
  if not ok then core.raise(err) end
end

-- The certificate, its key, the trust anchor and its CRL, in swanctl's folders
-- next to the node's swanctl.conf (swanctl --load-all --file reads them there).
function M.install(spec, dir)
  if not (spec.cert or spec.ca) then return end
  local base = dir
  for _, sub in ipairs({ "x509", "x509ca", "x509crl", "private" }) do core.mkdir(base .. "/" .. sub) end
  if spec.cert then
    copy(spec.cert.cert, base .. "/x509/" .. spec.cert.serial .. ".crt", tonumber("644", 8))
    copy(spec.cert.key, base .. "/private/" .. spec.cert.serial .. ".key", tonumber("600", 8))
  end
  if spec.ca then
    copy(spec.ca.cert, base .. "/x509ca/ca.crt", tonumber("644", 8))
    copy(spec.ca.crl, base .. "/x509crl/ca.crl", tonumber("644", 8))
  end
end

return M
