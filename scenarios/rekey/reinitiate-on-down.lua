-- A scenario that acts when the tunnel drops, as a product's updown hook
-- would: the client's on_updown handler re-initiates when its CHILD_SA goes
-- down. The gateway ends the tunnel (its DELETE for the IKE SA); the client's
-- charon does not come back by itself (no close_action), so a second
-- IKE_SA_INIT on the wire is the handler's doing. Userspace data plane
-- (kernel-libipsec), so any kernel runs it. Also: what sas() says about the
-- SA (identities, the negotiated algorithms, reqid, counters), and await on
-- an event that never comes returning false at its deadline.
local net = vpnlab.start("direct")
local wire = net.links.net
local gw_addr, client_addr = net.nodes.gateway:addr("net"), net.nodes.client:addr("net")

local gw = net.nodes.gateway:strongswan{
  psk = "updown", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
  id = "gw.lab", proposals = "aes192-sha256-modp3072", esp_proposals = "aes256-sha256", reauth = 5400,
}
local seen = {}
local client
client = net.nodes.client:strongswan{
  psk = "updown", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", mobike = false,
  dataplane = "libipsec", id = "road@lab", remote_id = "gw.lab",
  proposals = "aes192-sha256-modp3072", esp_proposals = "aes256-sha256",
  ike_rekey_time = 7200, rekey_time = 1800,
  on_updown = function(event)
    seen[#seen + 1] = event.kind
    if event.child and not event.up then client:initiate() end   -- the tunnel dropped: bring it back
  end,
}

client:initiate()
local up1 = client:await("child-up", 10)
vpnlab.ok(up1, "child-up: the CHILD_SA is installed")
vpnlab.is(up1 and up1.child, "net", "the event names the CHILD_SA")
vpnlab.is(up1 and up1.ike, "vpnlab", "the event names the IKE SA's connection")

-- What the SA is, as sas() says it.
local sa = client:sas()[1] or {}
local child = sa.children and sa.children[1] or {}
vpnlab.is(sa.local_id .. " " .. sa.remote_id, "road@lab gw.lab", "sas(): both identities")
vpnlab.is(string.format("%s-%s %s %s %s", sa.encr, sa.encr_keysize, sa.integ, sa.prf, sa.dh),
          "AES_CBC-192 HMAC_SHA2_256_128 PRF_HMAC_SHA2_256 MODP_3072", "sas(): the IKE SA's algorithms")
vpnlab.is(string.format("%s-%s %s %s %s", child.encr, child.encr_keysize, child.integ, child.protocol, child.mode),
          "AES_CBC-256 HMAC_SHA2_256_128 ESP TUNNEL", "sas(): the CHILD_SA's algorithms, protocol and mode")
vpnlab.ok(math.type(child.reqid) == "integer" and child.reqid > 0, "sas(): a reqid (" .. tostring(child.reqid) .. ")")
-- Timers left, in the scenario's seconds (the VM's are scaled both ways):
-- life_time is rekey_time + 10% when not given.
local function near(v, want) return v and v <= want and v > want - 10 end
vpnlab.ok(near(sa.rekey_time, 7200) and near(child.rekey_time, 1800) and near(child.life_time, 1980),
          string.format("sas(): timers left (IKE rekey %s s of 7200; CHILD rekey %s s of 1800, life %s s of 1980)",
                        tostring(sa.rekey_time), tostring(child.rekey_time), tostring(child.life_time)))
local gw_sa = gw:sas()[1] or {}
vpnlab.is(gw_sa.local_id .. " " .. gw_sa.remote_id, "gw.lab road@lab", "the gateway's sas(): the identities the other way")
vpnlab.ok(near(gw_sa.reauth_time, 5400), "the gateway's sas(): its reauthentication is due in "
          .. tostring(gw_sa.reauth_time) .. " s of 5400")

local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the first tunnel")
sa = client:sas()[1] or {}
child = sa.children and sa.children[1] or {}
vpnlab.ok(child.packets_out >= 3 and child.packets_in >= 3 and child.bytes_out >= 3 * 84,
          string.format("sas(): counters (%d packets out, %d in, %d bytes out)", child.packets_out or -1,
                        child.packets_in or -1, child.bytes_out or -1))
local first = sa

-- Nothing rekeys here: await on that event gives up at its deadline.
local t0 = vpnlab.now()
vpnlab.is(client:await("child-rekey", 1), false, "await(\"child-rekey\", 1) with no rekey due: false")
vpnlab.ok(vpnlab.now() - t0 >= 1, "... after its second")

-- The gateway drops the tunnel; the handler brings it back.
gw:terminate()
local down = client:await("child-down", 10)
vpnlab.ok(down and down.up == false, "child-down: the client saw its CHILD_SA go")
local up2 = client:await("child-up", 10)
vpnlab.ok(up2, "child-up again: on_updown re-initiated")
vpnlab.ok(table.concat(seen, " "):find("child%-up.*child%-down.*child%-up"),
          "on_updown saw up, down, up (" .. table.concat(seen, " ") .. ")")
local second = client:sas()[1] or {}
vpnlab.ok(second.spi_i and second.spi_i ~= first.spi_i, "a new IKE SA (" .. tostring(second.spi_i) .. ")")
ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the re-established tunnel")

-- The wire: the gateway's DELETE on the first IKE SA, then the client's new IKE_SA_INIT.
wire:seen{ ike = "INFORMATIONAL", ike_spi = first.spi_i, src = gw_addr, response = false,
           desc = "net: the gateway's DELETE request on the first IKE SA" }
wire:count({ ike = "IKE_SA_INIT", src = client_addr, response = false }, { exactly = 2,
           desc = "net: two IKE_SA_INIT requests from the client: the start, and the handler's" })
wire:seen{ ike = "IKE_SA_INIT", ike_spi = second.spi_i, src = client_addr, response = false,
           desc = "net: the second IKE_SA_INIT starts the new IKE SA" }
