-- BUILT TO FAIL (tests/10-failures.t reads its TAP). The carrier-grade NAT
-- does its job: each subscriber (a CPE on the 100.64/10 access network) gets
-- 2 ports, so its third UDP flow is dropped before it is mapped, counted,
-- and no shared-space address ever reaches the internet. The wrong
-- expectations below assume it did not. No daemon: plain UDP flows.
-- Point numbers are in the comments.
local net = vpnlab.start("cgnat", { nodes = { carrier = { cgnat = {
  ports_per_subscriber = 2, subscribers = "100.64.0.0/24" } } } })
local carrier, internet, access = net.nodes.carrier, net.links.internet, net.links.access
local gw = net.nodes.gateway:addr("internet")
local sub = net.nodes.cpe:addr("access")
local function flow(port)
  net.nodes.client:exec{ "bash", "-c", "echo flow > /dev/udp/" .. gw .. "/" .. port }
end
flow(9001)
flow(9002)
-- 1 ok: the first two flows fill the block and leave
internet:seen{ dport = 9001, within = 2 }
-- 2 ok
internet:seen{ dport = 9002, within = 2 }
flow(9003)
-- 3 not ok (seen): the third flow is over the quota and never leaves
internet:seen{ dport = 9003, within = 0.5 }                          -- FAIL:quota
-- 4 not ok (seen): the CGNAT hides the shared address space
internet:seen{ src = "100.64.0.0/10" }                               -- FAIL:cgnat-hides
-- 5 not ok (is): the drop is counted
vpnlab.is(carrier:cgnat_stats().quota_drop, 0, "the carrier dropped nothing")   -- FAIL:counted
-- 6 ok: the third flow did reach the carrier from the subscriber
access:seen{ dport = 9003, src = sub }
