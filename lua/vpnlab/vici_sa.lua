-- vpnlab.vici_sa: strongSwan's descriptions of its SAs, as VICI sends them
-- (list-sas' "list-sa" events and the ike-updown, child-updown, ike-rekey and
-- child-rekey events), turned into the tables the strongSwan driver hands to
-- scenarios: snake_case keys, numbers as numbers, booleans as booleans, lists
-- as arrays, CHILD_SAs in the order charon created them, times in the
-- scenario's seconds (charon's divided by the run's time scale, as every
-- timer the driver writes is multiplied by it). VICI omits a false boolean,
-- an empty list and a timer that is off: those become false, {} and nil.
-- Pure functions; the driver owns the connection.
--
-- An IKE SA: name, uniqueid, state, version, initiator, local_host/_port,
-- remote_host/_port, local_id, remote_id (remote_eap_id, remote_xauth_id when
-- set), spi_i, spi_r (hex, as charon prints them), nat_local, nat_remote,
-- nat_fake, nat_any, encr, encr_keysize, integ, prf, dh, established (seconds
-- since), rekey_time and reauth_time (seconds left), local_vips, remote_vips,
-- children.
-- A CHILD_SA: name, uniqueid, reqid, state, mode, protocol, encap, spi_in,
-- spi_out, encr, encr_keysize, integ, dh (with PFS), esn, bytes_in/_out,
-- packets_in/_out, use_in/_out (seconds since a packet), install_time
-- (seconds since), rekey_time and life_time (seconds left), local_ts, remote_ts.

local M = {}

local function yes(v) return v == "yes" end

-- charon's whole seconds -> the scenario's (nil stays nil; whole stays an integer)
local function secs(v, scale)
  local n = tonumber(v)
  if not n then return nil end
  return math.tointeger(n / scale) or n / scale
end

local function list(v)
  if type(v) ~= "table" then return {} end
  local out = {}
  for i, item in ipairs(v) do out[i] = item end
  return out
end

-- keysize is meaningful for variable-length ciphers only; charon sends it
-- for AES and omits it otherwise.
function M.child(ch, scale)
  scale = scale or 1
  return {
    name = ch.name, uniqueid = tonumber(ch.uniqueid), reqid = tonumber(ch.reqid),
    state = ch.state, mode = ch.mode, protocol = ch.protocol, encap = yes(ch.encap),
    spi_in = ch["spi-in"], spi_out = ch["spi-out"],
    encr = ch["encr-alg"], encr_keysize = tonumber(ch["encr-keysize"]), integ = ch["integ-alg"],
    dh = ch["dh-group"], esn = yes(ch.esn),
    bytes_in = tonumber(ch["bytes-in"]) or 0, bytes_out = tonumber(ch["bytes-out"]) or 0,
    packets_in = tonumber(ch["packets-in"]) or 0, packets_out = tonumber(ch["packets-out"]) or 0,
    use_in = secs(ch["use-in"], scale), use_out = secs(ch["use-out"], scale),
    install_time = secs(ch["install-time"], scale), rekey_time = secs(ch["rekey-time"], scale),
    life_time = secs(ch["life-time"], scale),
    local_ts = list(ch["local-ts"]), remote_ts = list(ch["remote-ts"]),
  }
end

-- Children in creation order (uniqueid): the section keys ("net-3") are
-- hashed by Lua, and a rekey leaves two of the same name for a moment.
local function children(sections, scale)
  local out = {}
  for _, ch in pairs(sections or {}) do
    if type(ch) == "table" then out[#out + 1] = M.child(ch, scale) end
  end
  table.sort(out, function(a, b) return (a.uniqueid or 0) < (b.uniqueid or 0) end)
  return out
end

function M.ike(name, sa, scale)
  scale = scale or 1
  return {
    name = name, uniqueid = tonumber(sa.uniqueid), state = sa.state, version = tonumber(sa.version),
    local_host = sa["local-host"], local_port = tonumber(sa["local-port"]),
    remote_host = sa["remote-host"], remote_port = tonumber(sa["remote-port"]),
    local_id = sa["local-id"], remote_id = sa["remote-id"],
    remote_eap_id = sa["remote-eap-id"], remote_xauth_id = sa["remote-xauth-id"],
    initiator = yes(sa.initiator), nat_local = yes(sa["nat-local"]),
    nat_remote = yes(sa["nat-remote"]), nat_fake = yes(sa["nat-fake"]), nat_any = yes(sa["nat-any"]),
    spi_i = sa["initiator-spi"], spi_r = sa["responder-spi"],
    encr = sa["encr-alg"], encr_keysize = tonumber(sa["encr-keysize"]), integ = sa["integ-alg"],
    prf = sa["prf-alg"], dh = sa["dh-group"],
    established = secs(sa.established, scale), rekey_time = secs(sa["rekey-time"], scale),
    reauth_time = secs(sa["reauth-time"], scale),
    local_vips = list(sa["local-vips"]), remote_vips = list(sa["remote-vips"]),
    children = children(sa["child-sas"], scale),
  }
end

-- list-sas' streamed events -> IKE SAs, in creation order.
function M.list(events, scale)
  local out = {}
  for _, ev in ipairs(events or {}) do
    for name, sa in pairs(ev) do
      if type(sa) == "table" then out[#out + 1] = M.ike(name, sa, scale) end
    end
  end
  table.sort(out, function(a, b) return (a.uniqueid or 0) < (b.uniqueid or 0) end)
  return out
end

-- The one IKE SA an event body describes (charon sends one per event), with its name.
local function the_ike(body)
  for name, sa in pairs(body) do
    if type(sa) == "table" then return name, sa end
  end
end

-- An event from charon -> { kind, up, ike, child, sa, child_sa, old, new }:
--   ike-updown    kind "ike-up" | "ike-down", up, ike, sa
--   child-updown  kind "child-up" | "child-down", up, ike, child, sa, child_sa
--   ike-rekey     kind "ike-rekey", ike, old, new (IKE SAs: spi_i/spi_r tell them apart)
--   child-rekey   kind "child-rekey", ike, child, sa, old, new (CHILD_SAs: spi_in/spi_out)
-- nil for an event of another name or one without an SA.
function M.event(name, body, scale)
  if type(body) ~= "table" then return nil end
  local ike, sa = the_ike(body)
  if not ike then return nil end
  if name == "ike-updown" or name == "child-updown" then
    local up = yes(body.up)
    local ev = { up = up, ike = ike, sa = M.ike(ike, sa, scale) }
    if name == "ike-updown" then
      ev.kind = up and "ike-up" or "ike-down"
      return ev
    end
    ev.kind = up and "child-up" or "child-down"
    ev.child_sa = ev.sa.children[1]
    ev.child = ev.child_sa and ev.child_sa.name
    return ev
  elseif name == "ike-rekey" then
    return { kind = "ike-rekey", ike = ike, old = M.ike(ike, sa.old or {}, scale),
             new = M.ike(ike, sa.new or {}, scale) }
  elseif name == "child-rekey" then
    local ev = { kind = "child-rekey", ike = ike }
    local plain = {}
    for k, v in pairs(sa) do if k ~= "child-sas" then plain[k] = v end end
    ev.sa = M.ike(ike, plain, scale)
    for _, pair in pairs(sa["child-sas"] or {}) do
      if type(pair) == "table" and pair.old and pair.new then
        ev.old, ev.new = M.child(pair.old, scale), M.child(pair.new, scale)
        ev.child = ev.new.name or ev.old.name
        break
      end
    end
    return ev
  end
  return nil
end

-- The event names the driver registers for, and the kinds await() knows.
M.REGISTER = { "ike-updown", "child-updown", "ike-rekey", "child-rekey" }
M.KINDS = {
  ["ike-up"] = true, ["ike-down"] = true, ["child-up"] = true, ["child-down"] = true,
  ["ike-rekey"] = true, ["child-rekey"] = true,
}

return M
