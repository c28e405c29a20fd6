-- IKEv2 with EAP-TLS: the client's certificate travels inside EAP (a TLS
-- handshake carried by IKE_AUTH rounds), the gateway authenticates itself
-- with its own certificate by signature (RSA; the client's key is Ed25519). Direct link, userspace ESP
-- (libipsec): it runs on the host.
vpnlab.tags{ "certs", "eap" }
local ca = vpnlab.pki.ca("Lab CA")
-- The other key kinds than the default ECDSA: RSA for the gateway, Ed25519 for the client.
local gw_cert = ca:issue{ id = "vpn.lab", key = "rsa2048", eku = { "server", "ike" } }
local client_cert = ca:issue{ id = "carol@lab", key = "ed25519", eku = { "client" } }

local net = vpnlab.start("direct")
local wire = net.links.net

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, eap = "tls", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  cert = client_cert, ca = ca, eap = "tls", remote_id = "vpn.lab", remote = net.nodes.gateway:addr("net"),
  vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established with EAP-TLS")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")
vpnlab.ok(gw:logged("EAP method EAP_TLS succeeded"), "the gateway: EAP-TLS succeeded")
vpnlab.ok(gw:logged("authentication of 'carol@lab' with EAP successful"),
          "the gateway authenticated carol@lab inside EAP")
vpnlab.ok(client:logged("authentication of 'vpn.lab' with RSA%S* successful"),
          "the client authenticated the gateway by its certificate")
wire:count({ ike = "IKE_AUTH", initiator = true }, { min = 3,
           desc = "net: the TLS handshake takes several IKE_AUTH rounds" })
wire:count({ esp = "udp" }, { min = 6, desc = "net: the pings and replies as ESP in UDP 4500" })
