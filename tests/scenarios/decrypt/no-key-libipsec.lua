-- strongSwan's userspace data plane (kernel-libipsec) keeps its keys to
-- itself: nothing in XFRM, so its ESP is "no-key", never guessed. Runs on
-- the host. Point 3 is BUILT TO FAIL: asking for the inner ICMP must fail.
local net = vpnlab.start("home-nat")
local wan = net.links.wan
net.nodes.gateway:strongswan{ psk = "no-key", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
                              dataplane = "libipsec" }
local client = net.nodes.client:strongswan{ psk = "no-key", remote = net.nodes.gateway:addr("wan"),
                                            vip = true, remote_ts = "10.1.0.1/32", dataplane = "libipsec" }
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
net.nodes.client:exec{ "ping", "-c", "1", "-W", "5", "10.1.0.1" }
wan:seen{ esp = "udp", inner = "no-key", within = 2 }
wan:seen{ inner = { icmp = "echo-request" } }      -- fails: no key, no inner view
vpnlab.is(#vpnlab.esp_keys(), 0, "no SA in any node's XFRM")
