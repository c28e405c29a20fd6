-- BUILT TO FAIL in the VM (tests/50-vm.t): a direct tunnel with the kernel's
-- ESP puts IP protocol 50 on the wire, and this scenario claims it never
-- does. The failing point must come back through the vm backend with its
-- diagnostic, and the pcap it names must hold the ESP packets.
vpnlab.requires{ "esp" }
local net = vpnlab.start("direct")
net.nodes.gateway:strongswan{ psk = "fail", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32" }
local client = net.nodes.client:strongswan{
  psk = "fail", remote = net.nodes.gateway:addr("net"), vip = true, remote_ts = "10.1.0.1/32",
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "5", "10.1.0.1" }
net.links.net:never{ proto = "esp" }   -- FAIL:never-esp
