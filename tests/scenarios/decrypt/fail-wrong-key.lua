-- BUILT TO FAIL: the scenario gives a wrong key for the client's outbound
-- SA (vpnlab.esp_sa wins over what XFRM says). The pings still work (the
-- kernel has the right keys); the decrypted view must call those packets
-- undecryptable and invent nothing. Points 4 and 5 must fail.
vpnlab.requires{ "esp" }
local net = vpnlab.start("home-nat")
local wan = net.links.wan
net.nodes.gateway:strongswan{ psk = "wrong-key", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32" }
local client = net.nodes.client:strongswan{ psk = "wrong-key", remote = net.nodes.gateway:addr("wan"),
                                            vip = true, remote_ts = "10.1.0.1/32",
                                            esp_proposals = "aes128-sha256" }
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local child = client:sas()[1].children[1]
vpnlab.esp_sa{ spi = "0x" .. child.spi_out, encr = "aes128", key = string.rep("00", 16),
               integ = "sha256", auth_key = string.rep("11", 32) }
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "5", "10.1.0.1" }.status, 0,
          "ping through the tunnel")
wan:seen{ esp = "udp", inner = "undecryptable" }
wan:seen{ inner = { icmp = "echo-request" } }       -- fails: the client's packets cannot be read
wan:never{ inner = "undecryptable" }                -- fails: they are undecryptable
wan:seen{ inner = { icmp = "echo-reply" } }         -- the gateway's SA is still the kernel's
