-- vpnlab.cgnat: a router's `cgnat` field, a carrier-grade NAT with
-- deterministic port blocks (RFC 7422 style), as its own nftables table.
--
--   cgnat = { outside = "internet", inside = "access",
--             subscribers = "100.64.0.0/10",            -- the inside range (RFC 6598)
--             external = { "198.51.100.10", "198.51.100.11" },   -- the pool, on `outside`
--             ports_per_subscriber = 1000, port_base = 1024,
--             filtering = "address-and-port-dependent",   -- RFC 4787: or "endpoint-independent",
--                                                         -- "address-dependent"
--             mapping = "endpoint-independent" }          -- the only class a cgnat has
--
-- Subscriber i is (inside address - subscribers network). With
-- B = (65536 - port_base) // ports_per_subscriber blocks per address, it
-- leaves from external[i // B + 1] (paired pooling: one outside address for
-- all its flows) and its udp/tcp ports from the block
-- [port_base + (i % B) * size, + size - 1]. Subscribers beyond the pool's
-- capacity (#external * B) get no block: their packets are dropped and
-- counted (`no_block`). A subscriber has at most `ports_per_subscriber`
-- udp/tcp mappings at once: a new flow beyond them is dropped before it is
-- mapped and counted (`quota_drop`, and per subscriber in the set
-- `quota_dropped`); its existing flows keep working. Other protocols (ICMP,
-- ESP) get the subscriber's outside address, without a port block.
--
-- Mapping is endpoint-independent: Linux's own port choice within the
-- subscriber's block (a tracked endpoint gets its mapping again, whatever the
-- remote). Address-dependent and address-and-port-dependent mapping would need
-- a hashed port added to each subscriber's block start at runtime, which
-- nftables cannot express, so they are refused. Filtering is vpnlab/nat.lua's
-- construction (nat.filtering_parts): address-and-port-dependent is conntrack
-- alone; for the other two every source-mapped packet refreshes a dynamic map
-- keyed on its outside address and port (and, address-dependent, the remote
-- address), and a new inbound packet found there is DNATed to its subscriber.
--
-- The whole table is one nft transaction however many subscribers there are:
-- two maps keyed by the subscriber's address (one `snat ... map` rule each),
-- a dynamic set for the per-subscriber flow count (`ct count`), and counters.

local M = {}

M.PORT_BASE = 1024
-- Elements a cgnat's maps may hold (subscribers it enumerates).
M.MAX_SUBSCRIBERS = 65536

-- "a.b.c.d" -> integer, or nil.
function M.parse_addr(s)
  local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  if a > 255 or b > 255 or c > 255 or d > 255 then return nil end
  return ((a * 256 + b) * 256 + c) * 256 + d
end

function M.fmt_addr(n)
  return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

-- "a.b.c.d/len" -> network (integer), len; nil when malformed.
function M.parse_net(s)
  local addr, len = tostring(s):match("^([%d.]+)/(%d+)$")
  local a = addr and M.parse_addr(addr)
  len = tonumber(len)
  if not a or not len or len > 32 then return nil end
  local mask = len == 0 and 0 or (0xffffffff << (32 - len)) & 0xffffffff
  return a & mask, len
end

local function pool_of(cfg)
  local ext = cfg.external
  if type(ext) == "string" then ext = { ext } end
  return ext
end

-- The numbers of a cgnat: its blocks per address, capacity and how many
-- subscribers its maps hold.
local function shape(cfg)
  local size = cfg.ports_per_subscriber
  local base = cfg.port_base or M.PORT_BASE
  local per_addr = (65536 - base) // size
  local net, len = M.parse_net(cfg.subscribers)
  local range = 1 << (32 - len)
  local capacity = #pool_of(cfg) * per_addr
  return { size = size, base = base, per_addr = per_addr, net = net, len = len,
           capacity = capacity, count = math.min(range, capacity) }
end

-- A cgnat table's problems: nil, or the offending field and a message.
-- (Types and unknown fields are vpnlab/topology.lua's.)
function M.check(cfg)
  if cfg.outside == nil then return "cgnat", "needs outside = \"<link>\"" end
  if cfg.subscribers == nil then return "cgnat", "needs subscribers = \"a.b.c.d/len\" (the inside range)" end
  if not M.parse_net(cfg.subscribers) then
    return "subscribers", string.format("subscribers must be \"a.b.c.d/len\", not %q", tostring(cfg.subscribers))
  end
  local pool = pool_of(cfg)
  if pool == nil or type(pool) ~= "table" or #pool == 0 then
    return "external", "needs external = { \"a.b.c.d\", ... } (the outside pool)"
  end
  for _, a in ipairs(pool) do
    if not M.parse_addr(a) then return "external", string.format("external address %q is not a.b.c.d", tostring(a)) end
  end
  local size = cfg.ports_per_subscriber
  if size == nil then return "cgnat", "needs ports_per_subscriber = N" end
  local base = cfg.port_base or M.PORT_BASE
  if math.type(base) ~= "integer" or base < 1 or base > 65535 then
    return "port_base", string.format("port_base must be a whole number 1..65535, not %s", tostring(base))
  end
  if math.type(size) ~= "integer" or size < 1 or size > 65536 - base then
    return "ports_per_subscriber", string.format("ports_per_subscriber must be a whole number 1..%d "
           .. "(65536 - port_base), not %s", 65536 - base, tostring(size))
  end
  if cfg.mapping ~= nil and cfg.mapping ~= "endpoint-independent" then
    return "mapping", string.format('mapping must be "endpoint-independent", not %q: a cgnat maps with Linux\'s own '
           .. "port choice within the subscriber's block; address-dependent and address-and-port-dependent "
           .. "mapping would need a hashed port added to each subscriber's block start, which nftables cannot "
           .. "express", tostring(cfg.mapping))
  end
  if cfg.filtering ~= nil and not require("vpnlab.nat").CLASSES[cfg.filtering] then
    return "filtering", string.format('filtering must be "endpoint-independent", "address-dependent" or '
           .. '"address-and-port-dependent", not %q', tostring(cfg.filtering))
  end
  local s = shape(cfg)
  if s.count > M.MAX_SUBSCRIBERS then
    return "subscribers", string.format("%s with this pool enumerates %d subscribers (at most %d): "
           .. "narrow subscribers or use larger blocks", cfg.subscribers, s.count, M.MAX_SUBSCRIBERS)
  end
  return nil
end

-- The block of subscriber address `addr` (a string): { index =, addr =, lo =, hi = },
-- or nil, why when it has none.
function M.block(cfg, addr)
  local s = shape(cfg)
  local a = M.parse_addr(addr)
  if not a then return nil, string.format("%q is not an address", tostring(addr)) end
  local mask = s.len == 0 and 0 or (0xffffffff << (32 - s.len)) & 0xffffffff
  if a & mask ~= s.net then return nil, string.format("%s is not in subscribers %s", addr, cfg.subscribers) end
  local i = a - s.net
  if i >= s.capacity then
    return nil, string.format("%s is subscriber %d; the pool serves %d", addr, i, s.capacity)
  end
  local lo = s.base + (i % s.per_addr) * s.size
  return { index = i, addr = pool_of(cfg)[i // s.per_addr + 1], lo = lo, hi = lo + s.size - 1 }
end

-- The two maps' elements, `count` subscribers, in address order.
local function elements(cfg, s)
  local ports, addrs = {}, {}
  local pool = pool_of(cfg)
  for i = 0, s.count - 1 do
    local sub = M.fmt_addr(s.net + i)
    local out = pool[i // s.per_addr + 1]
    local lo = s.base + (i % s.per_addr) * s.size
    ports[#ports + 1] = string.format("%s : %s . %d-%d", sub, out, lo, lo + s.size - 1)
    addrs[#addrs + 1] = string.format("%s : %s", sub, out)
  end
  return table.concat(ports, ", "), table.concat(addrs, ", ")
end

-- The pool's addresses go on the outside link (/32: no extra route), so the
-- router answers ARP for them. Done here because the table needs them and
-- this runs once per router when the lab starts; an address the link
-- already carries is fine.
local function add_pool(name, cfg)
  local core = require("vpnlab.core")
  for _, a in ipairs(pool_of(cfg)) do
    local ok, err = core.lab_addr_add(name, cfg.outside, a .. "/32")
    if not ok and not tostring(err):find("[Ee]xists") then
      error(string.format("node '%s': cgnat pool address %s on '%s': %s", name, a, cfg.outside, err), 0)
    end
  end
end

-- The `table ip vpnlab_cgnat` text of a router's cgnat, or nil without one.
function M.tables(name, node)
  local cfg = node.cgnat
  if not cfg then return nil end
  add_pool(name, cfg)
  local s = shape(cfg)
  local ports, addrs = elements(cfg, s)
  local subs = string.format("%s/%d", M.fmt_addr(s.net), s.len)
  local from = cfg.inside and string.format('iifname "%s" ', cfg.inside) or ""
  local out = string.format('oifname "%s" ip saddr %s', cfg.outside, subs)
  -- Filtering (vpnlab/nat.lua's maps, keyed on the translated outside address and port).
  local filt = require("vpnlab.nat").filtering_parts(cfg.filtering, { outside = cfg.outside })
  local lines = {
    "table ip vpnlab_cgnat {",
    "  map ports { type ipv4_addr : interval ipv4_addr . inet_service; flags interval; elements = { " .. ports .. " } }",
    "  map addrs { type ipv4_addr : ipv4_addr; elements = { " .. addrs .. " } }",
    "  set flows { type ipv4_addr; size 65535; flags dynamic; }",
    "  set quota_dropped { type ipv4_addr; size 65535; flags dynamic; counter; }",
    "  counter quota_drop { }",
    "  counter no_block { }",
  }
  for _, line in ipairs(filt.maps) do lines[#lines + 1] = "  " .. line end
  for _, l in ipairs({
    "  chain subscriber_quota {",
    "    type filter hook forward priority filter - 5; policy accept;",
    string.format("    %sip saddr %s meta l4proto { tcp, udp } ct state new add @flows { ip saddr ct count over %d } "
                  .. 'update @quota_dropped { ip saddr } counter name "quota_drop" drop', from, subs, s.size),
    "  }",
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    "    " .. out .. " meta l4proto { tcp, udp } snat ip to ip saddr map @ports",
    "    " .. out .. " snat ip to ip saddr map @addrs",
    "    " .. out .. ' counter name "no_block" drop',
    "  }",
  }) do lines[#lines + 1] = l end
  if #filt.dnat > 0 then
    -- Inbound: a new flow to a mapping the filtering lets through goes to its subscriber.
    lines[#lines + 1] = "  chain prerouting {"
    lines[#lines + 1] = "    type nat hook prerouting priority dstnat; policy accept;"
    for _, rule in ipairs(filt.dnat) do lines[#lines + 1] = "    " .. rule end
    lines[#lines + 1] = "  }"
    -- Outbound: every source-mapped packet refreshes its mapping's entries.
    lines[#lines + 1] = "  chain learn {"
    lines[#lines + 1] = "    type filter hook postrouting priority srcnat + 10; policy accept;"
    for _, rule in ipairs(filt.learn) do lines[#lines + 1] = "    " .. rule end
    lines[#lines + 1] = "  }"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

-- The nft commands whose output parse_stats reads.
M.STATS_QUERY = "list counters table ip vpnlab_cgnat\nlist set ip vpnlab_cgnat quota_dropped"

-- router:cgnat_stats() from the STATS_QUERY listing:
-- { quota_drop =, no_block =, dropped = { [subscriber] = packets } }.
function M.parse_stats(listing)
  local st = { quota_drop = 0, no_block = 0, dropped = {} }
  for cname, body in listing:gmatch("counter ([%w_]+) {(.-)}") do
    st[cname] = tonumber(body:match("packets (%d+)")) or 0
  end
  for addr, packets in listing:gmatch("([%d.]+) counter packets (%d+)") do
    st.dropped[addr] = tonumber(packets)
  end
  return st
end

return M
