-- A firewall change in the middle of a session: the tunnel is up and carries
-- traffic, then the home router starts dropping udp/4500 (node:block), the
-- tunnel goes dark although both ends still think it is up, and traffic flows
-- again once the rule is removed (node:unblock).
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "firewall" }

local net = vpnlab.start("home-nat")
local home, wan = net.nodes.home, net.links.wan

net.nodes.gateway:strongswan{
  version = 2, psk = "midrun", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "midrun", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32",
}
local function ping()
  return net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.1.0.1" }.status
end

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established")
vpnlab.is(ping(), 0, "traffic flows through the tunnel")

home:block{ proto = "udp", port = 4500 }
local esp_before = wan:packets{ esp = "udp" }
vpnlab.ok(ping() ~= 0, "with udp/4500 blocked, the tunnel carries nothing")
vpnlab.is(wan:packets{ esp = "udp" }, esp_before, "no ESP-in-UDP crossed the WAN while blocked")
vpnlab.is(client:state(), "established", "the client still believes the tunnel is up")

home:unblock{ proto = "udp", port = 4500 }
vpnlab.is(ping(), 0, "after unblocking, traffic flows again")
wan:count({ esp = "udp" }, { min = esp_before + 1, desc = "wan: ESP-in-UDP resumed after the unblock" })
