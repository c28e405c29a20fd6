-- An IKEv2 road warrior with EAP-MSCHAPv2 through a home NAT, the way the
-- Windows and macOS native clients connect: the gateway proves itself with a
-- certificate (serverAuth and ipsecIKE usages, its DNS name as SAN), the
-- user with a name and password inside EAP. MSCHAPv2 needs MD4, which
-- OpenSSL 3 keeps in its legacy provider: strongSwan's openssl plugin loads
-- it (load_legacy), so no md4 plugin is needed. Userspace ESP (libipsec):
-- it runs on the host.
vpnlab.tags{ "certs", "eap", "nat" }
local ca = vpnlab.pki.ca("Lab CA")
local gw_cert = ca:issue{ id = "vpn.lab", eku = { "server", "ike" } }

local net = vpnlab.start("home-nat")
local wan = net.links.wan

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, eap = "mschapv2", eap_users = { alice = "wonderland", bob = "builder" },
  pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  eap = "mschapv2", user = "alice", password = "wonderland", ca = ca, remote_id = "vpn.lab",
  remote = net.nodes.gateway:addr("wan"), vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}

client:initiate()
vpnlab.ok(client:await("established", 10), "alice's tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

vpnlab.ok(gw:logged("loaded plugins: .* eap%-identity eap%-mschapv2"), "the gateway's charon loaded eap-mschapv2")
vpnlab.ok(gw:logged("providers loaded by OpenSSL: legacy"),
          "OpenSSL's legacy provider is loaded (MSCHAPv2's MD4, through the openssl plugin)")
vpnlab.ok(client:logged("authentication of 'vpn.lab' with %S+ successful"),
          "the client authenticated the gateway by its certificate")
vpnlab.ok(gw:logged("EAP method EAP_MSCHAPV2 succeeded"), "the gateway: EAP-MSCHAPv2 succeeded")
vpnlab.ok(gw:logged("authentication of 'alice' with EAP successful"), "the gateway authenticated alice with EAP")
local sa = gw:sas()[1]
vpnlab.ok(sa and #sa.remote_vips == 1, "alice got a virtual address from the pool: "
          .. tostring(sa and sa.remote_vips[1]))

wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:transition({ udp = 500 }, { udp = 4500 })
-- IKE_AUTH with EAP takes more than one round: identity, the EAP exchange, the final AUTH.
wan:count({ ike = "IKE_AUTH", initiator = true, dport = 4500 }, { min = 3,
          desc = "wan: IKE_AUTH requests on 4500 carry the EAP rounds (at least three)" })
wan:count({ esp = "udp", dport = 4500 }, { min = 3, desc = "wan: the pings as ESP in UDP 4500" })
wan:never{ esp = "raw" }
