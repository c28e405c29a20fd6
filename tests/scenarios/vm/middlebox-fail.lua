-- BUILT TO FAIL in the VM (tests/50-vm.t): each new middlebox field must
-- change what crosses the wire, so a scenario claiming otherwise fails at
-- exactly the marked lines. An ESP-unaware stateful firewall (esp = "drop",
-- stateful, outside = wan) with 100 ms of netem delay each way on the WAN.
vpnlab.requires{ "esp" }
local net = vpnlab.start("firewalled", {
  nodes = { fw = { firewall = { esp = "drop" } } },
  links = { wan = { delay = 100 } },
})
local lan, wan = net.links.lan, net.links.wan
local gw_addr, client_addr = net.nodes.gateway:addr("wan"), net.nodes.client:addr("lan")

net.nodes.gateway:strongswan{ psk = "mb", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32" }
local client = net.nodes.client:strongswan{
  psk = "mb", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
}
client:initiate()
vpnlab.ok(client:await("established", 10), "IKE passes the firewall")
net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.1" }

-- esp = "drop": the client's protocol 50 never reaches the WAN.
wan:seen{ esp = "raw", desc = "wan: ESP crossed the firewall" }   -- FAIL:esp-drop

-- stateful with outside = wan: nothing new comes in from the WAN.
net.nodes.gateway:exec{ "ping", "-c", "1", "-W", "2", client_addr }
lan:seen{ proto = "icmp", src = gw_addr, desc = "lan: the gateway's new ping came in" }   -- FAIL:stateful

-- delay = 100: every round trip across the WAN takes at least 200 ms.
local ping = net.nodes.client:exec{ "ping", "-c", "1", "-W", "5", gw_addr }
local rtt = tonumber(ping.output:match("time=([%d.]+) ms"))
vpnlab.ok(rtt and rtt < 50, "the WAN round trip is under 50 ms (" .. tostring(rtt) .. " ms)")   -- FAIL:netem
vpnlab.ok(rtt and rtt >= 200, "the WAN round trip shows netem's 2 x 100 ms")
