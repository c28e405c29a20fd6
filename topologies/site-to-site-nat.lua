-- A hub site and two branch sites, each joined to the hub by its gateway:
-- the left branch across a plain routed WAN (no NAT), the NATed branch from
-- behind an ISP's NAT router. One lab shows a site-to-site tunnel with and
-- without a NAT on the path side by side.
--
--   left_host --left_lan-- left_gw --wan-------------------------\
--                                                                right_gw --right_lan-- right_host
--   branch_host --branch_lan-- branch_gw --isp-- nat --nat_wan--/
--
-- The hub (right_gw) sees the NATed branch only as the NAT's outside
-- address, 203.0.113.1, and has no route into its inside.
return {
  description = "a hub gateway with one branch across a plain WAN and one behind a NAT",
  nodes = {
    left_host   = { kind = "host" },
    left_gw     = { kind = "router" },
    right_gw    = { kind = "router", description = "the hub: the responder for both branches" },
    right_host  = { kind = "host" },
    branch_host = { kind = "host" },
    branch_gw   = { kind = "router" },
    nat         = { kind = "router", nat = { outside = "nat_wan" }, description = "the branch's ISP router" },
  },
  links = {
    left_lan   = { "left_host", "left_gw", net = "10.10.0.0/24" },       -- host .1, gateway .2
    wan        = { "left_gw", "right_gw", net = "198.51.100.0/24" },     -- left .1, right .2
    right_lan  = { "right_gw", "right_host", net = "10.20.0.0/24" },     -- gateway .1, host .2
    branch_lan = { "branch_host", "branch_gw", net = "10.30.0.0/24" },   -- host .1, gateway .2
    isp        = { "nat", "branch_gw", net = "192.168.50.0/24" },        -- nat .1, branch gateway .2
    nat_wan    = { "nat", "right_gw", net = "203.0.113.0/24" },          -- nat .1, right .2
  },
}
