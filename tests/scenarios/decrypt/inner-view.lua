-- The decrypted view of a kernel IPsec tunnel through a home NAT (vm
-- backend here): vpnlab reads both ends' SAs from XFRM as charon installs
-- them, so the ESP-in-UDP on the WAN shows the ICMP it carries; the keys
-- land in wireshark/esp_sa for tshark (tests/47-decrypt.t opens the pcap).
vpnlab.requires{ "esp" }
local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gateway = net.nodes.gateway:strongswan{ psk = "inner-view", pool = "10.99.0.0/24",
                                              local_ts = "10.1.0.1/32" }
local client = net.nodes.client:strongswan{ psk = "inner-view", remote = net.nodes.gateway:addr("wan"),
                                            vip = true, remote_ts = "10.1.0.1/32",
                                            esp_proposals = "aes256gcm16" }
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
local ping = net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel")

local keys = vpnlab.esp_keys()
vpnlab.is(#keys, 2, "two SAs learned from the kernel (one each way)")
vpnlab.is(keys[1] and keys[1].encr, "aes256gcm16", "the negotiated AES-GCM-256")
local child = client:sas()[1].children[1]
local out_spi = tonumber(child.spi_out, 16)

wan:seen{ esp = "udp", spi = out_spi, inner = { icmp = "echo-request", src = "10.99.0.1", dst = "10.1.0.1" } }
wan:seen{ esp = "udp", inner = { icmp = "echo-reply", src = "10.1.0.1" } }
wan:count({ inner = { icmp = "echo-request" } }, { exactly = 2 })
wan:never{ inner = "undecryptable" }
wan:never{ inner = "no-key" }
gateway:terminate()
