-- Rekeying on the wire, strongSwan to strongSwan with the userspace data
-- plane (kernel-libipsec: any kernel, ESP always in UDP 4500). The client's
-- CHILD_SA rekeys after 3 s and its IKE SA after 5 s (rand_time is 0 in a
-- lab, so neither comes early). A ping runs every 0.1 s across the CHILD_SA
-- rekey at 3 s, the IKE rekey at 5 s and the next CHILD_SA rekey at 6 s (on
-- the new IKE SA), and is stopped after it.
--   - CHILD_SA rekey: a CREATE_CHILD_SA request from the client and its
--     response; the new SPIs carry the traffic after it and the old ones stop
--     (a transition on each direction's SPI); the ping loses nothing but, at
--     most, the one echo in flight when it is interrupted.
--   - IKE rekey: another CREATE_CHILD_SA, this one for the IKE SA; the new
--     IKE SPIs take over: the delete at the end is on them, and after the
--     first packet of the new IKE SA none of the old one is seen.
-- Every wait is on charon's events (await("child-rekey"), await("ike-rekey")).
local net = vpnlab.start("direct")
local wire = net.links.net
local gw_addr, client_addr = net.nodes.gateway:addr("net"), net.nodes.client:addr("net")

local gw = net.nodes.gateway:strongswan{
  psk = "rekey", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  psk = "rekey", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", mobike = false,
  dataplane = "libipsec", rekey_time = 3, life_time = 30, ike_rekey_time = 5,
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local sa0 = client:sas()[1]
local child0 = sa0 and sa0.children[1]
vpnlab.ok(child0 and child0.rekey_time and child0.rekey_time <= 3,
          "sas(): the CHILD_SA's rekey is due within 3 s (" .. tostring(child0 and child0.rekey_time) .. " s left)")
vpnlab.ok(sa0 and sa0.rekey_time and sa0.rekey_time <= 5,
          "sas(): the IKE SA's rekey is due within 5 s (" .. tostring(sa0 and sa0.rekey_time) .. " s left)")

-- Pings 0.1 s apart until stopped (a count would be wall-clock time, and
-- the VM's timers run slower).
local ping = net.nodes.client:run{ "ping", "-i", "0.1", "-W", "2", "10.1.0.1", name = "ping-across" }

local rk = client:await("child-rekey", 10)
vpnlab.ok(rk, "the client's CHILD_SA rekeyed (child-rekey event)")
local old, new = rk and rk.old or {}, rk and rk.new or {}
vpnlab.ok(old.spi_in and new.spi_in and old.spi_in ~= new.spi_in and old.spi_out ~= new.spi_out,
          string.format("the rekey replaced both SPIs (in %s -> %s, out %s -> %s)", tostring(old.spi_in),
                        tostring(new.spi_in), tostring(old.spi_out), tostring(new.spi_out)))
vpnlab.is(new.reqid, old.reqid, "the new CHILD_SA keeps the reqid (same policy)")

local ike = client:await("ike-rekey", 10)
vpnlab.ok(ike, "the client's IKE SA rekeyed (ike-rekey event)")
local ike_old, ike_new = ike and ike.old or {}, ike and ike.new or {}
vpnlab.ok(ike_new.spi_i and ike_new.spi_i ~= ike_old.spi_i and ike_new.spi_r ~= ike_old.spi_r,
          string.format("new IKE SPIs (%s_%s -> %s_%s)", tostring(ike_old.spi_i), tostring(ike_old.spi_r),
                        tostring(ike_new.spi_i), tostring(ike_new.spi_r)))

local again = client:await("child-rekey", 10)
vpnlab.ok(again, "the CHILD_SA rekeyed again, on the new IKE SA")
ping:kill(2)   -- SIGINT: ping prints its statistics and ends
local status = ping:wait(10)
local sent, received = ping:output():match("(%d+) packets transmitted, (%d+) received")
sent, received = tonumber(sent), tonumber(received)
vpnlab.is(status, 0, "the ping ran until interrupted")
vpnlab.ok(sent and sent >= 20 and received >= sent - 1,
          string.format("no ping lost across three rekeys (%s sent, %s received; the last may be in flight)",
                        tostring(sent), tostring(received)))

-- After the rekeys the live SAs are the new ones.
local sa = client:sas()[1]
vpnlab.is(sa and sa.spi_i, ike_new.spi_i, "sas(): the IKE SA is the new one")
-- The CHILD_SA rekeys every 3 s: the live one is the last rekey's new one.
local rekeys = client:events("child-rekey")
vpnlab.is(#rekeys, 2, "events(): both CHILD_SA rekeys, in order")
local live = sa and sa.children[#sa.children]
vpnlab.is(live and live.spi_out, rekeys[#rekeys].new.spi_out, "sas(): the CHILD_SA is the last rekey's new one")
local mid = rekeys[2] and rekeys[2].old or {}
-- Inbound counters: kernel-libipsec reports 0 outbound for a CHILD_SA made
-- by a rekey (charon logs "(0 bytes)" for it too), so the replies count.
vpnlab.ok(mid.spi_out == new.spi_out and mid.packets_in > 10 and mid.bytes_in >= 84 * mid.packets_in,
          string.format("the first rekey's CHILD_SA carried the ping's replies until the second (%s packets, %s bytes in)",
                        tostring(mid.packets_in), tostring(mid.bytes_in)))

client:terminate()
vpnlab.ok(client:await("down", 5), "the tunnel is down after terminate")

-- The wire: CREATE_CHILD_SA twice (CHILD, then IKE), both answered.
wire:count({ ike = "CREATE_CHILD_SA", src = client_addr, response = false }, { min = 2,
           desc = "net: the client sent CREATE_CHILD_SA for the CHILD_SA and for the IKE SA" })
wire:count({ ike = "CREATE_CHILD_SA", src = gw_addr, response = true }, { min = 2,
           desc = "net: the gateway answered both" })
-- ESP: each direction moves from the old SPI to the new one, never back.
local function spi(hex) return tonumber(hex or "0", 16) end
wire:transition({ esp = "udp", spi = spi(old.spi_out) }, { esp = "udp", spi = spi(new.spi_out) },
                { desc = "net: client -> gateway ESP moves to the new SPI and the old one stops" })
wire:transition({ esp = "udp", spi = spi(old.spi_in) }, { esp = "udp", spi = spi(new.spi_in) },
                { desc = "net: gateway -> client ESP moves to the new SPI and the old one stops" })
wire:transition({ ike = "CREATE_CHILD_SA", ike_spi = ike_old.spi_i }, { ike_spi = ike_new.spi_i },
                { desc = "net: IKE moves from the old IKE SA to the new one and the old one stops" })
wire:seen{ ike = "INFORMATIONAL", ike_spi = ike_new.spi_i, src = client_addr,
           desc = "net: the final delete goes on the new IKE SA" }
