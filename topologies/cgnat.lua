-- Two subscribers of a carrier, each behind its own home router (CPE), and a
-- VPN gateway on the internet. Each client is behind two NATs: its CPE
-- masquerades the home LAN onto the carrier's access network, whose
-- addresses are in 100.64.0.0/10 (RFC 6598 shared address space); the
-- carrier's CGNAT maps each CPE to one pool address and a deterministic
-- block of 1000 ports (vpnlab/cgnat.lua). The gateway sees only pool
-- addresses.
--
--   client  --lan--  cpe  --\
--                             access -- carrier (CGNAT) --internet-- gateway
--   client2 --lan2-- cpe2 --/
--
-- Subscriber index = CPE address - 100.64.0.0: cpe (100.64.0.2) is 2 and
-- leaves from 198.51.100.10 ports 3024-4023; cpe2 (100.64.0.3) is 3, ports
-- 4024-5023. 64 blocks fit an address, so subscribers 64..127 would use
-- 198.51.100.11.
return {
  nodes = {
    client  = { kind = "host" },
    client2 = { kind = "host" },
    cpe     = { kind = "router", nat = { outside = "access" } },
    cpe2    = { kind = "router", nat = { outside = "access" } },
    carrier = { kind = "router", cgnat = {
      outside = "internet", inside = "access", subscribers = "100.64.0.0/10",
      external = { "198.51.100.10", "198.51.100.11" },
      ports_per_subscriber = 1000, port_base = 1024,
    } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },   -- an inside address to reach through the tunnel
  },
  links = {
    lan      = { "cpe", "client", net = "192.168.1.0/24" },             -- cpe .1, client .2
    lan2     = { "cpe2", "client2", net = "192.168.2.0/24" },           -- cpe2 .1, client2 .2
    access   = { "carrier", "cpe", "cpe2", net = "100.64.0.0/24" },    -- carrier .1, cpe .2, cpe2 .3
    internet = { "carrier", "gateway", net = "198.51.100.0/24" },      -- carrier .1, gateway .2; pool .10, .11
  },
}
