-- Shared by nine.lua and built-wrong.lua: nine routers on one WAN segment,
-- one per RFC 4787 class (mapping x filtering), each with a client behind
-- it, and a STUN server with two addresses; every client runs the RFC 5780
-- probe (stun5780.py) at once and each measured class is a test point.
--   run{ tamper = function(net, combos) ... end }   change the NATs before the probes
return function(opts)
  local CLASSES = { "endpoint-independent", "address-dependent", "address-and-port-dependent" }
  local A1, A2 = "198.51.100.200", "198.51.100.201"
  local tool = vpnlab.dir .. "/stun5780.py"

  local nodes, links = { server = {} }, {}
  local wan = { "server", net = "198.51.100.0/24", addrs = { server = { A1, A2 } } }
  local combos = {}
  for _, m in ipairs(CLASSES) do
    for _, f in ipairs(CLASSES) do
      local i = #combos + 1
      local r, c = "r" .. i, "c" .. i
      combos[i] = { router = r, client = c, mapping = m, filtering = f }
      nodes[r] = { kind = "router", nat = { outside = "wan", mapping = m, filtering = f } }
      nodes[c] = {}
      wan[#wan + 1] = r
      links["lan" .. i] = { r, c, net = string.format("10.0.%d.0/24", i) }
    end
  end
  links.wan = wan
  local net = vpnlab.start({ nodes = nodes, links = links })
  if opts and opts.tamper then opts.tamper(net, combos) end

  net.nodes.server:run{ "python3", "-u", tool, "serve", A1, A2, ready = "^ready", name = "stun-server" }
  local probes = {}
  for i, c in ipairs(combos) do
    probes[i] = net.nodes[c.client]:run{ "python3", "-u", tool, "probe", A1, name = "probe" }
  end
  for i, c in ipairs(combos) do
    local status = probes[i]:wait(20)
    local out = probes[i]:output() or ""
    vpnlab.is(status, 0, string.format("probe behind %s ran to its end", c.router))
    vpnlab.is(out:match("mapping: (%S+)"), c.mapping, string.format("%s: mapping %s", c.router, c.mapping))
    vpnlab.is(out:match("filtering: (%S+)"), c.filtering,
              string.format("%s: filtering %s (with %s mapping)", c.router, c.filtering, c.mapping))
  end
  return net, combos
end
