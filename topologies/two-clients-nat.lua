-- Two road warriors on one home LAN behind one NAT router, and a VPN gateway
-- on the internet side. Both clients send IKE from 500 and ESP-in-UDP from
-- 4500, and the NAT has one outside address: only one of them can keep
-- those ports, the other gets outside ports of its own (plain masquerade:
-- the first flow to claim a port towards the gateway keeps it).
--
--   client  --\
--              lan -- home (NAT) --wan-- gateway
--   client2 --/
return {
  nodes = {
    client  = { kind = "host" },
    client2 = { kind = "host" },
    home    = { kind = "router", nat = { outside = "wan" } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },   -- an inside address to reach through the tunnels
  },
  links = {
    lan = { "home", "client", "client2", net = "192.168.1.0/24" },   -- home .1, client .2, client2 .3
    wan = { "home", "gateway", net = "203.0.113.0/24" },             -- home .1, gateway .2
  },
}
