-- The topology's checks of a cgnat's mapping and filtering fields, before
-- anything is built: each error names the topology line (vpnlab.start can
-- be tried again after one), and the accepted values start a lab.
local function start_error(...)
  local ok, err = pcall(vpnlab.start, ...)
  return not ok and tostring(err) or "(started)"
end

local e = start_error("cgnat-adm")
print(e)
vpnlab.ok(e:find("cgnat%-adm%.lua:8: cgnat of 'carrier': mapping must be \"endpoint%-independent\", not "
                 .. "\"address%-dependent\": .*block start.*nftables cannot express"),
          "address-dependent mapping is refused at the topology's mapping line, with the reason")

e = start_error("cgnat", { nodes = { carrier = { cgnat = { mapping = "address-and-port-dependent" } } } })
print(e)
vpnlab.ok(e:find("topologies/cgnat%.lua:%d+: %(with overrides from .*errors%.lua:%d+%) cgnat of 'carrier': mapping must be"),
          "address-and-port-dependent mapping from an override names the topology and the override")

e = start_error("cgnat", { nodes = { carrier = { cgnat = { filtering = "full-cone" } } } })
print(e)
vpnlab.ok(e:find("cgnat of 'carrier': filtering must be \"endpoint%-independent\", \"address%-dependent\" or "
                 .. "\"address%-and%-port%-dependent\", not \"full%-cone\""), "an unknown filtering class is refused")

e = start_error("cgnat", { nodes = { carrier = { cgnat = { filtering = 3 } } } })
print(e)
vpnlab.ok(e:find("filtering must be a string"), "filtering must be a string")

local net = vpnlab.start("cgnat", { nodes = { carrier = { cgnat = {
  mapping = "endpoint-independent", filtering = "address-dependent", subscribers = "100.64.0.0/24" } } } })
vpnlab.ok(net ~= nil, "mapping = \"endpoint-independent\" with filtering = \"address-dependent\" starts the lab")
