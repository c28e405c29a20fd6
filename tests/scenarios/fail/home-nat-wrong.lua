-- BUILT TO FAIL (tests/10-failures.t reads its TAP). A real IKEv2 tunnel
-- through the home NAT, then assertions that contradict what NAT-T does on
-- the wire, next to passing ones so the test can check exactly which points
-- fail. Point numbers are in the comments: keep them in this order.
-- Both ends use the userspace data plane (dataplane = "libipsec"): it runs on the host.
local net = vpnlab.start("home-nat")
local wan = net.links.wan

net.nodes.gateway:strongswan{
  version = 2, psk = "built-to-fail", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "built-to-fail", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", keep_alive = 1,
}
client:initiate()
-- 1 ok
vpnlab.ok(client:await("established", 10), "the tunnel is established")
-- 2 ok: ESP in UDP flows once there is traffic
net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.1" }
wan:seen{ esp = "udp", within = 2 }
-- 3 not ok (seen): behind NAT, ESP is never raw IP protocol 50
wan:seen{ esp = "raw" }                                          -- FAIL:seen
-- 4 not ok (never): NAT-T moves IKE to udp/4500
wan:never{ udp = 4500 }                                          -- FAIL:never
-- 5 not ok (count): the NATed client sends keepalives (waits for the first one)
wan:count({ keepalive = true }, { exactly = 0, within = 5 })      -- FAIL:count
-- 6 not ok (transition): the switch goes 500 -> 4500, never back
wan:transition({ udp = 4500 }, { udp = 500 })                    -- FAIL:transition-backwards
-- 7 not ok (transition): nothing ever uses tcp/443
wan:transition({ tcp = 443 }, { udp = 4500 })                    -- FAIL:transition-never
-- 8 ok: the real switch
wan:transition({ udp = 500 }, { udp = 4500 })
-- 9 not ok (is)
vpnlab.is(#client:sas(), 2, "the client has two IKE SAs")        -- FAIL:is
-- 10 not ok (ok)
vpnlab.ok(not client:alive(), "the client's charon has exited")  -- FAIL:ok
-- 11 ok
wan:never{ esp = "raw" }
