-- Two sites joined by their gateways over a routed WAN, no NAT: the classic
-- site-to-site tunnel between two security gateways.
--
--   left_host --left_lan-- left_gw --wan-- right_gw --right_lan-- right_host
return {
  nodes = {
    left_host  = { kind = "host" },
    left_gw    = { kind = "router" },
    right_gw   = { kind = "router" },
    right_host = { kind = "host" },
  },
  links = {
    left_lan  = { "left_host", "left_gw", net = "10.10.0.0/24" },    -- host .1, gateway .2
    wan       = { "left_gw", "right_gw", net = "198.51.100.0/24" },  -- left .1, right .2
    right_lan = { "right_gw", "right_host", net = "10.20.0.0/24" },  -- gateway .1, host .2
  },
}
