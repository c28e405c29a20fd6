-- Shared by three.lua and built-wrong.lua: three carriers on one internet
-- segment, one per RFC 4787 filtering class (cgnat = { filtering = X }), each
-- with one subscriber host (no CPE) in 100.64.0.0/10 on its access link, and
-- a STUN server with two addresses; every subscriber runs the RFC 5780 probe
-- (../nat-classes/stun5780.py) at once. Per carrier the test points are: the
-- measured filtering is the configured one, the measured mapping is
-- endpoint-independent (a cgnat's only class), and the mapped port lies in
-- the subscriber's port block (carrier:cgnat_block).
--   run{ tamper = function(net, carriers) ... end }   change the carriers before the probes
return function(opts)
  local A1, A2 = "198.51.100.200", "198.51.100.201"
  local tool = vpnlab.dir .. "/../nat-classes/stun5780.py"
  -- Different block shapes, so "in the block" is not one range by luck.
  local carriers = {
    { name = "k1", sub = "s1", filtering = "endpoint-independent", external = "198.51.100.11",
      ports_per_subscriber = 1000, port_base = 1024 },
    { name = "k2", sub = "s2", filtering = "address-dependent", external = "198.51.100.12",
      ports_per_subscriber = 500, port_base = 20000 },
    { name = "k3", sub = "s3", filtering = "address-and-port-dependent", external = "198.51.100.13",
      ports_per_subscriber = 64, port_base = 1024 },
  }
  local nodes, links = { server = {} }, {}
  local internet = { "server", net = "198.51.100.0/24", addrs = { server = { A1, A2 } } }
  for i, k in ipairs(carriers) do
    local acc = "acc" .. i
    nodes[k.name] = { kind = "router", cgnat = {
      outside = "internet", inside = acc, subscribers = string.format("100.64.%d.0/24", i),
      external = { k.external }, ports_per_subscriber = k.ports_per_subscriber, port_base = k.port_base,
      filtering = k.filtering, mapping = "endpoint-independent" } }
    nodes[k.sub] = {}
    internet[#internet + 1] = k.name
    links[acc] = { k.name, k.sub, net = string.format("100.64.%d.0/24", i) }   -- carrier .1, subscriber .2
  end
  links.internet = internet
  local net = vpnlab.start({ nodes = nodes, links = links })
  if opts and opts.tamper then opts.tamper(net, carriers) end

  net.nodes.server:run{ "python3", "-u", tool, "serve", A1, A2, ready = "^ready", name = "stun-server" }
  local probes = {}
  for i, k in ipairs(carriers) do
    probes[i] = net.nodes[k.sub]:run{ "python3", "-u", tool, "probe", A1, name = "probe" }
  end
  for i, k in ipairs(carriers) do
    local sub = net.nodes[k.sub]:addr("acc" .. i)
    local block = net.nodes[k.name]:cgnat_block(sub)
    local status = probes[i]:wait(20)
    local out = probes[i]:output() or ""
    vpnlab.is(status, 0, string.format("probe behind %s ran to its end", k.name))
    vpnlab.is(out:match("filtering: (%S+)"), k.filtering, string.format("%s: filtering %s", k.name, k.filtering))
    vpnlab.is(out:match("mapping: (%S+)"), "endpoint-independent", string.format("%s: mapping endpoint-independent", k.name))
    local addr, port = out:match("test I: local port %d+ mapped to ([%d.]+):(%d+)")
    port = tonumber(port)
    vpnlab.ok(addr == block.addr and port and port >= block.lo and port <= block.hi,
              string.format("%s: subscriber %s leaves from its block %s:%d-%d (mapped to %s:%s)",
                            k.name, sub, block.addr, block.lo, block.hi, tostring(addr), tostring(port)))
  end
  return net, carriers
end
