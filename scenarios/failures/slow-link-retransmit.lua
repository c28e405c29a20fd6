-- IKE over a slow link (netem: 1.5 s each way, a 3 s round trip) with a
-- retransmission timeout shorter than the round trip: the initiator
-- retransmits IKE_SA_INIT before the first response arrives, the responder
-- answers the duplicate from its cache, and the exchange still completes.
-- (netem's delay needs the kernel feature, so this runs in the VM here.)
vpnlab.requires{ "esp", "netem" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "slow" }

local net = vpnlab.start("direct", { links = { net = { delay = 1500 } } })
local wire = net.links.net

net.nodes.gateway:strongswan{
  psk = "slow-secret", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
  retransmit = { tries = 4, timeout = 0.5, base = 1.5 },
}
local client = net.nodes.client:strongswan{
  psk = "slow-secret", remote = net.nodes.gateway:addr("net"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 4, timeout = 0.5, base = 1.5 },
}

client:initiate()
vpnlab.ok(client:await("established", 30), "the tunnel comes up despite the slow link")
wire:count({ ike = "IKE_SA_INIT", initiator = true, response = false }, { min = 2,
  desc = "net: IKE_SA_INIT was retransmitted before the first response arrived" })
wire:count({ ike = "IKE_SA_INIT", response = true }, { min = 2,
  desc = "net: the responder answered the retransmission too" })
vpnlab.ok(client:logged("retransmit 1 of request"), "the client logged its retransmission")

local ping = net.nodes.client:exec{ "ping", "-c", "1", "-W", "10", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel works over the slow link")
local rtt = tonumber(ping.output:match("time=([%d.]+) ms"))
vpnlab.ok(rtt and rtt >= 3000, "the round trip shows the link's 3 s of delay (" .. tostring(rtt) .. " ms)")
