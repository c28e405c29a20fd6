-- IKEv2 through three NAT classes at once (RFC 4787): three road warriors,
-- each behind its own router, reach one gateway. On the wire:
--   eim   endpoint-independent mapping and filtering, ports preserved: IKE
--         leaves the NAT from 500, then 4500, as the client sent them;
--   adm   address-dependent mapping and filtering: neither 500 nor 4500 is
--         kept; each gets a port of its own (from 40000-40999);
--   apdm  address-and-port-dependent mapping and filtering (no port
--         preservation, the strictest class): neither 500 nor 4500 either.
-- Each tunnel comes up and carries a ping. Userspace ESP (libipsec): the
-- point is the NAT, not the kernel's ESP, so it runs on the host.
vpnlab.tags{ "nat" }

local CLASSES = {
  eim = { mapping = "endpoint-independent", filtering = "endpoint-independent" },
  adm = { mapping = "address-dependent", filtering = "address-dependent" },
  apdm = { mapping = "address-and-port-dependent", filtering = "address-and-port-dependent" },
}
local nodes = { gateway = { lo = "10.1.0.1/32" } }
local links = { wan = { "gateway", net = "203.0.113.0/24" } }
local n = 0
for _, name in ipairs({ "eim", "adm", "apdm" }) do
  n = n + 1
  local nat = { outside = "wan", mapping = CLASSES[name].mapping, filtering = CLASSES[name].filtering }
  if name ~= "eim" then nat.port_range = "40000-40999" end   -- a small hash map: quick to load under emulation
  nodes[name] = { kind = "router", nat = nat }
  nodes[name .. "_client"] = {}
  links.wan[#links.wan + 1] = name
  links["lan_" .. name] = { name, name .. "_client", net = string.format("192.168.%d.0/24", n) }
end
local net = vpnlab.start({ nodes = nodes, links = links })
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{ psk = "classes", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
                              dataplane = "libipsec" }
local clients = {}
for _, name in ipairs({ "eim", "adm", "apdm" }) do
  clients[name] = net.nodes[name .. "_client"]:strongswan{ psk = "classes", remote = gw_addr, vip = true,
                                                          remote_ts = "10.1.0.1/32", dataplane = "libipsec",
                                                          id = name .. "-client" }
  clients[name]:initiate()
end

for _, name in ipairs({ "eim", "adm", "apdm" }) do
  local c, router = clients[name], net.nodes[name]
  local out = router:addr("wan")
  vpnlab.ok(c:await("established", 15), name .. ": the tunnel is established")
  vpnlab.is(net.nodes[name .. "_client"]:exec{ "ping", "-c", "2", "-W", "2", "10.1.0.1" }.status, 0,
            name .. ": a ping crosses the tunnel")
  wan:seen{ ike = "IKE_SA_INIT", src = out, dport = 500, desc = name .. ": IKE_SA_INIT leaves the NAT" }
  wan:seen{ esp = "udp", src = out, dport = 4500, desc = name .. ": ESP in UDP leaves the NAT for 4500" }
  if name == "eim" then
    wan:seen{ ike = "IKE_SA_INIT", src = out, sport = 500, desc = "eim: port 500 is preserved" }
    wan:seen{ esp = "udp", src = out, sport = 4500, desc = "eim: port 4500 is preserved" }
  else
    wan:never{ src = out, sport = 500, desc = name .. ": the NAT never sends from port 500" }
    wan:never{ src = out, sport = 4500, desc = name .. ": the NAT never sends from port 4500" }
  end
  -- The NAT's own view (conntrack): the client's 500 and 4500 flows and their outside ports.
  local ports = {}
  for _, m in ipairs(router:mappings()) do
    if m.proto == "udp" and not m.inbound then ports[tonumber(m.inside:match(":(%d+)$"))] = tonumber(m.outside:match(":(%d+)$")) end
  end
  local keep = name == "eim"
  vpnlab.ok(ports[4500] and (ports[4500] == 4500) == keep,
            string.format("%s:mappings(): inside 4500 -> outside %s", name, tostring(ports[4500])))
end
