-- BUILT TO FAIL (tests/10-failures.t): a NAT built with address-dependent
-- mapping and endpoint-independent filtering, measured by the RFC 5780
-- probe (tests/scenarios/nat-classes/stun5780.py). The scenario claims
-- address-dependent filtering: exactly that point must fail, with the
-- measured class as `got`.
local A1, A2 = "198.51.100.200", "198.51.100.201"
local tool = vpnlab.dir .. "/../nat-classes/stun5780.py"
local net = vpnlab.start({
  nodes = { server = {}, client = {},
            nat = { kind = "router", nat = { outside = "wan", mapping = "address-dependent",
                                             filtering = "endpoint-independent" } } },
  links = { wan = { "nat", "server", net = "198.51.100.0/24", addrs = { server = { A1, A2 } } },
            lan = { "client", "nat", net = "10.0.0.0/24" } },
})
net.nodes.server:run{ "python3", "-u", tool, "serve", A1, A2, ready = "^ready", name = "stun-server" }
local probe = net.nodes.client:exec{ "python3", "-u", tool, "probe", A1, timeout = 20 }
vpnlab.is(probe.status, 0, "the probe ran to its end")
vpnlab.is(probe.output:match("mapping: (%S+)"), "address-dependent", "mapping address-dependent")
vpnlab.is(probe.output:match("filtering: (%S+)"), "address-dependent", "filtering address-dependent") -- FAIL:class
local outside = {}
for _, m in ipairs(net.nodes.nat:mappings()) do outside[m.outside] = true end
vpnlab.ok(next(outside) ~= nil, "nat:mappings() lists the probe's mappings")
