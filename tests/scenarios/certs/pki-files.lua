-- The lab PKI's files, for tests/68-pki.t to check with openssl and NSS's
-- tools: a CA, a certificate of each id form (DNS, email, IP) and key kind,
-- and one revoked. No lab is started.
local ca = vpnlab.pki.ca("Lab CA")
local gw = ca:issue{ id = "gw.lab", eku = { "server", "ike" } }
local client = ca:issue{ id = "client@lab", key = "rsa2048", eku = { "client" } }
local ip = ca:issue{ id = "192.0.2.7", key = "ed25519", lifetime = 3600 }
ca:revoke(client)
vpnlab.is(gw.serial, 2, "the first certificate has serial 2 (the CA's is 1)")
vpnlab.is(client.serial, 3, "the second, 3")
vpnlab.is(ip.serial, 4, "the third, 4")
vpnlab.ok(client.revoked and not gw.revoked, "revoke marks only the certificate it was given")
for _, c in ipairs({ gw, client, ip }) do
  vpnlab.ok(c.cert:find(vpnlab.results, 1, true) == 1 and c.key:find(vpnlab.results, 1, true) == 1
            and c.p12:find(vpnlab.results, 1, true) == 1, c.id .. ": its files are in the results folder")
end
vpnlab.ok(ca.crl == ca.dir .. "/ca.crl" and ca.cert == ca.dir .. "/ca.crt", "ca.cert and ca.crl are in the CA's folder")
