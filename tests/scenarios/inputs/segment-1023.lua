-- tests/22-inputs.t: the largest link there is, 1023 members on one Linux
-- bridge (1023 ports: BR_MAX_PORTS 1024, port 0 reserved). It must build.
-- (No ping: past ~1000 members one broadcast overflows the kernel's receive
-- backlog, net.core.netdev_max_backlog, and some members miss the ARP.)
local nodes, big = {}, { net = "10.8.0.0/21" }
for i = 1, 1023 do
  local name = string.format("n%04d", i)
  nodes[name] = {}
  big[i] = name
end
local net = vpnlab.start{ nodes = nodes, links = { big = big } }
vpnlab.is(net.nodes.n0001:addr("big"), "10.8.0.1", "the first member has its address")
vpnlab.is(net.nodes.n1023:addr("big"), "10.8.3.255", "the 1023rd member has its address")
