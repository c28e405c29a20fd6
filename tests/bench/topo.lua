-- Benchmark scenario: a generated chain or star, brought up, verified with
-- one ping end to end, torn down. tests/bench/run sets the shape and size:
--   BENCH_SHAPE = "chain" | "star" (default chain), BENCH_N = nodes (default 10).
-- Chain: n001 (host) - n002 .. n(N-1) (routers) - nN (host), each adjacent
-- pair on its own /30. Star: router "hub" and N-1 hosts, each on its own /30.
-- A chain longer than ~60 routers needs TTL > 64 both ways: ping -t 255 for
-- the request, net.ipv4.ip_default_ttl = 255 on the end hosts for the reply.
-- The ping time is reported as a comment "bench: verify X ms" for the runner.

local shape = os.getenv("BENCH_SHAPE") or "chain"
local n = math.tointeger(tonumber(os.getenv("BENCH_N") or "10"))
if shape ~= "chain" and shape ~= "star" then error("BENCH_SHAPE must be chain or star", 0) end
if not n or n < 2 or n > 16000 then error("BENCH_N must be an integer 2..16000", 0) end

-- The i-th /30 block in 10.0.0.0/8 (i >= 1), never overlapping another.
local function block(i)
  local base = i * 4
  return string.format("10.%d.%d.%d/30", (base >> 16) & 255, (base >> 8) & 255, base & 255)
end

local function name(i) return string.format("n%03d", i) end

local topo = { nodes = {}, links = {} }
local from, to, far_link
if shape == "chain" then
  for i = 1, n do
    topo.nodes[name(i)] = { kind = (i == 1 or i == n) and "host" or "router" }
  end
  -- ping -t raises only the request's TTL: the reply starts at the far
  -- host's default TTL (64) and dies after 64 routers, so raise that too.
  for _, i in ipairs({ 1, n }) do
    topo.nodes[name(i)].sysctl = { ["net.ipv4.ip_default_ttl"] = 255 }
  end
  for i = 1, n - 1 do
    topo.links["c" .. i] = { name(i), name(i + 1), net = block(i) }
  end
  from, to, far_link = name(1), name(n), "c" .. (n - 1)
else
  topo.nodes.hub = { kind = "router" }
  for i = 1, n - 1 do
    topo.nodes[name(i)] = { kind = "host" }
    topo.links["s" .. i] = { "hub", name(i), net = block(i) }
  end
  from, to, far_link = "hub", name(n - 1), "s" .. (n - 1)
end

local net = vpnlab.start(topo)
local target = net.nodes[to]:addr(far_link)

local t0 = vpnlab.now()
local ping = net.nodes[from]:exec{ "ping", "-c", "1", "-W", "2", "-t", "255", target }
local ms = (vpnlab.now() - t0) * 1e3
vpnlab.comment(string.format("bench: verify %.1f ms", ms))
vpnlab.is(ping.status, 0, string.format("%s %d: ping %s -> %s (%s)", shape, n, from, to, target))
