-- The icmp filter by number as well as by name, over a lab's own pings (no
-- IPsec: the echoes are in clear on the link). tests/69-swan.t runs it on
-- the host; every point passes.
local net = vpnlab.start("direct")
local wire = net.links.net
local client, gw = net.nodes.client:addr("net"), net.nodes.gateway:addr("net")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", gw }
vpnlab.is(ping.status, 0, "three pings to the gateway")
wire:count({ icmp = 8, src = client }, { exactly = 3, desc = "icmp = 8: three echo requests" })
wire:count({ icmp = "echo-request", src = client }, { exactly = 3, desc = "icmp = \"echo-request\": the same three" })
wire:count({ icmp = 0, src = gw }, { exactly = 3, desc = "icmp = 0: three echo replies" })
wire:never{ icmp = 3, desc = "icmp = 3: no destination unreachable" }
wire:never{ icmp = 13, desc = "icmp = 13 (a type with no name here): none" }
vpnlab.is(wire:packets{ icmp = 8 } + wire:packets{ icmp = 0 }, wire:packets{ proto = "icmp" },
          "every ICMP packet is an echo request or reply")
