-- BUILT TO ERROR: loaded by name from tests/scenarios/inputs/segment-file.lua.
-- One link of 1025 members, more than a Linux bridge's 1023 ports.
local nodes, crowd = {}, { net = "10.16.0.0/20" }
for i = 1, 1025 do
  nodes["n" .. i] = {}
  crowd[i] = "n" .. i
end
return {
  nodes = nodes,
  links = {
    crowd = crowd,   -- TOO-MANY
  },
}
