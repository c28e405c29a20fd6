-- BUILT TO ERROR: loaded by name from tests/scenarios/errors/topology-file.lua.
-- The lan overlaps the wan: the error must point at a line of THIS file.
return {
  nodes = {
    client  = { kind = "host" },
    home    = { kind = "router", nat = { outside = "wan" } },
    gateway = { kind = "host" },
  },
  links = {
    wan = { "home", "gateway", net = "10.0.0.0/8" },    -- OVERLAP
    lan = { "home", "client", net = "10.1.2.0/24" },    -- OVERLAP
  },
}
