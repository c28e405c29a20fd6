-- BUILT TO FAIL: the client trusts another CA than the one that issued the
-- gateway's certificate. The gateway authenticates the client and answers
-- its IKE_AUTH (with its certificate); the client cannot build a chain to a
-- CA it trusts, refuses the gateway and tells it so in an INFORMATIONAL with
-- AUTHENTICATION_FAILED. IKE_AUTH and that notify are encrypted (SK
-- payloads), so the wire shows only that the exchanges happened: the reason
-- is in the daemons' logs. Points 1 and 2 (the tunnel, the ping) must fail;
-- every other point describes the failure and passes.
local ca = vpnlab.pki.ca("Lab CA")
local other = vpnlab.pki.ca("Other CA")
local gw_cert = ca:issue{ id = "gw.lab" }
local client_cert = ca:issue{ id = "client@lab" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  cert = client_cert, ca = other, remote_id = "gw.lab", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}
client:initiate()
vpnlab.ok(client:await("established", 3), "the tunnel is established")   -- FAIL:tunnel
local ping = net.nodes.client:exec{ "ping", "-c", "1", "-W", "1", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel")                      -- FAIL:ping

-- How it shows: in the logs ...
vpnlab.ok(client:logged("no trusted %S+ public key found for 'gw.lab'"),
          "client log: no trusted public key found for 'gw.lab'")
vpnlab.ok(client:logged("N%(AUTH_FAILED%)"), "client log: it sends AUTHENTICATION_FAILED")
vpnlab.ok(gw:logged("authentication of 'client@lab' with %S+ successful"),
          "gateway log: the client itself was authenticated")
vpnlab.ok(gw:logged("parsed INFORMATIONAL request %d+ %[ N%(AUTH_FAILED%) %]"),
          "gateway log: it received AUTHENTICATION_FAILED in an INFORMATIONAL")
-- ... and on the wire: IKE_AUTH asked and answered, then an INFORMATIONAL; no ESP.
wan:seen{ ike = "IKE_AUTH", initiator = true, dport = 4500 }
wan:seen{ ike = "IKE_AUTH", response = true, sport = 4500 }
wan:seen{ ike = "INFORMATIONAL", initiator = true, dport = 4500,
          desc = "wan: the client's INFORMATIONAL (its encrypted AUTHENTICATION_FAILED)" }
wan:never{ esp = "udp", desc = "wan: no ESP: no CHILD_SA carried traffic" }
vpnlab.is(#gw:sas(), 0, "the gateway holds no SA")
