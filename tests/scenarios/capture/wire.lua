-- Captures show the wire, each frame once (tests/15-capture.t runs this and
-- then reads the pcaps). "pair" has two members: a veth captured on both
-- ends, each keeping what it sends, into one file. "seg" has three: a bridge
-- captured in every direction. One ping across each must leave exactly its
-- request and its reply; a capture missing a direction or taking a frame
-- twice (on the way out and again on the way in) gets 1 or 4.
local net = vpnlab.start{
  nodes = {
    a = { kind = "host" }, b = { kind = "host" },
    c = { kind = "host" }, d = { kind = "host" }, e = { kind = "host" },
  },
  links = {
    pair = { "a", "b", net = "198.51.100.0/24" },       -- a .1, b .2
    seg  = { "c", "d", "e", net = "203.0.113.0/24" },   -- c .1, d .2, e .3
  },
}
local a, b = net.nodes.a:addr("pair"), net.nodes.b:addr("pair")
local c, d = net.nodes.c:addr("seg"), net.nodes.d:addr("seg")

local ping = net.nodes.a:exec{ "ping", "-c", "1", "-W", "2", b }
vpnlab.is(ping.status, 0, "a pings b across the veth pair")
ping = net.nodes.c:exec{ "ping", "-c", "1", "-W", "2", d }
vpnlab.is(ping.status, 0, "c pings d across the bridged segment")

net.links.pair:count({ proto = "icmp" }, { exactly = 2 })
net.links.pair:count({ proto = "icmp", src = a }, { exactly = 1, desc = "pair: the echo request, once" })
net.links.pair:count({ proto = "icmp", src = b }, { exactly = 1, desc = "pair: the echo reply, once" })
net.links.pair:count({ class = "non-ip" }, { exactly = 2, desc = "pair: the ARP request and reply, once each" })
net.links.seg:count({ proto = "icmp" }, { exactly = 2 })
net.links.seg:count({ proto = "icmp", src = c }, { exactly = 1, desc = "seg: the echo request, once" })
net.links.seg:count({ proto = "icmp", src = d }, { exactly = 1, desc = "seg: the echo reply, once" })
