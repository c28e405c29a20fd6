-- A CGNAT's three RFC 4787 filtering classes as configured, each measured by
-- an RFC 5780 behaviour-discovery probe through its carrier (see cgnatlab.lua).
-- Then each carrier's live table: the maps its class needs (and only those),
-- holding its subscriber's mapping, and the quota/no-block counters untouched.
local net, carriers = dofile("cgnatlab.lua")()
local want = { ["endpoint-independent"] = { "eif_udp", "eif_tcp" }, ["address-dependent"] = { "adf_udp", "adf_tcp" },
               ["address-and-port-dependent"] = {} }
for i, k in ipairs(carriers) do
  local node = net.nodes[k.name]
  local r = node:exec{ "nft", "list", "table", "ip", "vpnlab_cgnat" }
  local maps = {}
  for m in (r.output or ""):gmatch("map ([%w_]+) {") do
    if m ~= "ports" and m ~= "addrs" then maps[#maps + 1] = m end
  end
  vpnlab.is(table.concat(maps, " "), table.concat(want[k.filtering], " "),
            string.format("%s: the filtering maps of %s", k.name, k.filtering))
  if #want[k.filtering] > 0 then
    local block = node:cgnat_block(net.nodes[k.sub]:addr("acc" .. i))
    local sub = net.nodes[k.sub]:addr("acc" .. i)
    local body = (r.output or ""):match("map " .. want[k.filtering][1] .. " {(.-)}") or ""
    local port = tonumber(body:match(block.addr:gsub("%.", "%%.") .. " %. (%d+)"))
    vpnlab.ok(port and port >= block.lo and port <= block.hi and body:find(sub, 1, true),
              string.format("%s: %s holds %s's mapping from its block (%s:%s)", k.name, want[k.filtering][1], sub,
                            block.addr, tostring(port)))
  end
  local st = node:cgnat_stats()
  vpnlab.ok(st.quota_drop == 0 and st.no_block == 0,
            string.format("%s: no quota drop, no blockless packet (%d, %d)", k.name, st.quota_drop, st.no_block))
end
