-- Per-peer pre-shared keys: the gateway holds one secret per client identity
-- (swanctl's secrets section, one ike entry with the id each), and two road
-- warriors behind one home NAT each know only their own. Both tunnels come
-- up; each client pings through its own. Userspace ESP (libipsec): host.
vpnlab.tags{ "psk", "nat" }
local net = vpnlab.start("two-clients-nat")
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  psk = { ["client@lab"] = "first-secret", ["other@lab"] = "second-secret" },
  pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local a = net.nodes.client:strongswan{
  psk = "first-secret", id = "client@lab", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
  dataplane = "libipsec",
}
local b = net.nodes.client2:strongswan{
  psk = "second-secret", id = "other@lab", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32",
  dataplane = "libipsec",
}
a:initiate()
b:initiate()
vpnlab.ok(a:await("established", 10), "client@lab's tunnel is established with its own secret")
vpnlab.ok(b:await("established", 10), "other@lab's tunnel is established with its own secret")
for _, name in ipairs({ "client", "client2" }) do
  vpnlab.is(net.nodes[name]:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "5", "10.1.0.1" }.status, 0,
            name .. ": ping through its own tunnel")
end
vpnlab.ok(gw:logged("authentication of 'client@lab' with pre%-shared key successful"),
          "the gateway authenticated client@lab with its pre-shared key")
vpnlab.ok(gw:logged("authentication of 'other@lab' with pre%-shared key successful"),
          "the gateway authenticated other@lab with its pre-shared key")
local ids = {}
for _, sa in ipairs(gw:sas()) do ids[#ids + 1] = sa.remote_vips[1] or "?" end
vpnlab.is(#ids, 2, "the gateway holds two IKE SAs (" .. table.concat(ids, ", ") .. ")")
net.links.wan:count({ esp = "udp", dport = 4500 }, { min = 4, desc = "wan: both clients' pings as ESP in UDP 4500" })
