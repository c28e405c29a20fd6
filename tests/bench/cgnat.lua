-- Benchmark scenario: a carrier-grade NAT with BENCH_SUBSCRIBERS subscribers
-- (default 100), each a CPE (a masquerading home router with one client
-- behind it) on the carrier's 100.64/10 access segment, and a gateway on
-- the internet. tests/bench/run reads the comments:
--   "bench: cgnat install X ms"  the carrier's whole cgnat table (its maps
--                                 hold every subscriber's block) generated and
--                                 loaded again in one nft transaction
--   "bench: verify X ms"          a UDP flow from the first and the last
--                                 subscriber's client, each seen on the
--                                 internet from a port in its block
local n = math.tointeger(tonumber(os.getenv("BENCH_SUBSCRIBERS") or "100"))
if not n or n < 1 or n > 250 then error("BENCH_SUBSCRIBERS must be an integer 1..250", 0) end
local cgnat = require("vpnlab.cgnat")

local function cpe(i) return string.format("cpe%03d", i) end
local function client(i) return string.format("client%03d", i) end

local access = { "carrier", net = "100.64.0.0/24" }           -- carrier .1, cpe i .(i+1)
local topo = {
  nodes = {
    carrier = { kind = "router", cgnat = {
      outside = "internet", inside = "access", subscribers = "100.64.0.0/10",
      external = { "198.51.100.10", "198.51.100.11" }, ports_per_subscriber = 500,
    } },
    gateway = { kind = "host" },
  },
  links = { access = access, internet = { "carrier", "gateway", net = "198.51.100.0/24" } },
}
for i = 1, n do
  topo.nodes[cpe(i)] = { kind = "router", nat = { outside = "access" } }
  topo.nodes[client(i)] = { kind = "host" }
  access[#access + 1] = cpe(i)
  topo.links["lan" .. i] = { cpe(i), client(i), net = string.format("192.168.%d.0/24", i) }
end

local t0 = vpnlab.now()
local net = vpnlab.start(topo)
local started = vpnlab.now() - t0
local carrier = net.nodes.carrier
local cfg = net.topology.nodes.carrier

t0 = vpnlab.now()
carrier:nft("delete table ip vpnlab_cgnat\n" .. cgnat.tables("carrier", cfg) .. "\n")
local install = (vpnlab.now() - t0) * 1e3
local listing = carrier:exec{ "nft", "list", "map", "ip", "vpnlab_cgnat", "ports" }.output
local _, elements = listing:gsub("100%.64%.%d+%.%d+ : ", "")
vpnlab.comment(string.format("bench: cgnat install %.1f ms (%d map elements; whole vpnlab.start %.1f ms)",
                             install, elements, started * 1e3))
vpnlab.ok(elements >= n, string.format("the carrier's port map holds %d subscribers (>= %d)", elements, n))

local gw = net.nodes.gateway:addr("internet")
local internet = net.links.internet
t0 = vpnlab.now()
for k, i in ipairs({ 1, n }) do
  net.nodes[client(i)]:exec{ "bash", "-c", "echo x > /dev/udp/" .. gw .. "/" .. (9000 + k) }
  internet:seen{ dport = 9000 + k, within = 2, desc = "subscriber " .. i .. "'s flow leaves the carrier" }
end
vpnlab.comment(string.format("bench: verify %.1f ms", (vpnlab.now() - t0) * 1e3))
for k, i in ipairs({ 1, n }) do
  local b = carrier:cgnat_block(net.nodes[cpe(i)]:addr("access"))
  local hits = 0
  for p = b.lo, b.hi do hits = hits + internet:packets{ src = b.addr, sport = p, dport = 9000 + k } end
  vpnlab.is(hits, 1, string.format("subscriber %d's flow left from %s, ports %d-%d", i, b.addr, b.lo, b.hi))
end
