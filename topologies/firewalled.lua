-- Road warriors behind a stateful firewall that is not a NAT: it forwards
-- between the office LAN and the WAN, keeps connection state, and lets
-- nothing new in from the WAN. Scenarios add esp = "drop" to model an
-- ESP-unaware box that passes UDP but not IP protocol 50.
--
--   client, client2 --lan-- fw --wan-- gateway
return {
  nodes = {
    client  = { kind = "host" },
    client2 = { kind = "host" },
    fw      = { kind = "router", firewall = { stateful = true, outside = "wan" } },
    gateway = { kind = "host", lo = "10.1.0.1/32" },
  },
  links = {
    lan = { "client", "client2", "fw", net = "192.168.10.0/24" },  -- .1, .2, fw .3
    wan = { "fw", "gateway", net = "198.51.100.0/24" },            -- fw .1, gateway .2
  },
}
