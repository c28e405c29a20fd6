-- Fact 6: AH (IP protocol 51) protects a site-to-site tunnel without a NAT;
-- AH cannot pass a NAT. A hub gateway and two branch gateways, all
-- configured with AH alone (topologies/site-to-site-nat.lua):
--   * the left branch reaches the hub across a plain routed WAN: the hosts'
--     traffic crosses as protocol 51, authenticated but not encrypted, so
--     the inner ICMP stays readable inside the AH packets but never appears
--     as a plain packet;
--   * the NATed branch sits behind its ISP's NAT. UDP encapsulation (NAT-T,
--     RFC 3948) exists for ESP only: the NAT rewrites the branch's source
--     address, NAT detection moves IKE to 4500, and the hub's kernel refuses
--     an AH SA in UDP (charon: "unable to add SAD entry"), so the IKE SA comes
--     up with no CHILD_SA and not one AH packet crosses the NAT;
--   * why: the same AH tunnel forced with manual keys (ip xfrm, what IKE
--     refused). AH's integrity check covers the outer IP addresses, the NAT
--     rewrites the source, and the hub drops every packet (XfrmInStateProtoError),
--     even keyed for the NAT's address as the source it sees.
-- AH exists only in kernel IPsec (the endpoints require it): it runs in the VM
-- on a host without kernel AH.
vpnlab.requires{ "esp", "ah" }   -- the endpoints' AH and the manual AH SAs
local net = vpnlab.start("site-to-site-nat")
local wan, isp, nat_wan, right_lan = net.links.wan, net.links.isp, net.links.nat_wan, net.links.right_lan
local branch_addr, nat_addr = net.nodes.branch_gw:addr("isp"), net.nodes.nat:addr("nat_wan")
local hub_addr = net.nodes.right_gw:addr("nat_wan")

-- The hub answers both branches: remote_ts is narrowed to each branch's LAN.
local hub = net.nodes.right_gw:strongswan{
  psk = "s2s-secret", id = "right",
  local_ts = "10.20.0.0/24", remote_ts = "10.0.0.0/8", ah_proposals = "sha256",
}
local left = net.nodes.left_gw:strongswan{
  psk = "s2s-secret", id = "left", remote_id = "right", remote = net.nodes.right_gw:addr("wan"),
  local_ts = "10.10.0.0/24", remote_ts = "10.20.0.0/24", ah_proposals = "sha256", mobike = false,
}
local branch = net.nodes.branch_gw:strongswan{
  psk = "s2s-secret", id = "branch", remote_id = "right", remote = hub_addr,
  local_ts = "10.30.0.0/24", remote_ts = "10.20.0.0/24", ah_proposals = "sha256",
}

left:initiate()
branch:initiate()

-- Without a NAT: AH works.
vpnlab.ok(left:await("established", 10), "left: the gateways' AH tunnel is established")
local ping = net.nodes.left_host:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5",
                                       net.nodes.right_host:addr("right_lan") }
vpnlab.is(ping.status, 0, "left: the left host reaches the right host through the tunnel")

wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500 }
wan:seen{ ah = true, within = 2 }
wan:count({ proto = "ah" }, { min = 6, desc = "wan: three pings and replies as IP protocol 51" })
wan:never{ proto = "esp" }
wan:never{ udp = 4500 }
net.links.left_lan:never{ proto = "ah" }
wan:never{ proto = "icmp", desc = "wan: no ping crossed outside the tunnel" }
local left_child
for _, sa in ipairs(hub:sas()) do
  if sa.remote_host == net.nodes.left_gw:addr("wan") then left_child = sa.children[1] end
end
vpnlab.is(left_child and left_child.protocol, "AH", "left: the hub's CHILD_SA is AH")

-- Through a NAT: AH cannot pass.
vpnlab.ok(branch:await("ike-established", 10), "branch: IKE itself crosses the NAT (the IKE SA is established)")
isp:seen{ ike = "IKE_SA_INIT", src = branch_addr, sport = 500, desc = "isp: the branch sends IKE from its own address" }
nat_wan:seen{ ike = "IKE_SA_INIT", src = nat_addr, sport = 500,
              desc = "nat_wan: it arrives from the NAT's address: the NAT rewrote the source AH would sign" }
nat_wan:transition({ udp = 500 }, { udp = 4500 }, { desc = "nat_wan: NAT detected, IKE moves to 4500" })
nat_wan:seen{ ike = "IKE_AUTH", response = true, sport = 4500,
              desc = "nat_wan: the hub answers IKE_AUTH (refusing the CHILD_SA)" }
vpnlab.ok(hub:logged("unable to add SAD entry"), "hub: the kernel refuses an AH SA in UDP (no NAT-T for AH)")
vpnlab.ok(branch:logged("received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built"),
          "branch: charon is told NO_PROPOSAL_CHOSEN, no CHILD_SA")
local bsa = branch:sas()[1]
vpnlab.ok(bsa and bsa.nat_local, "branch: the IKE SA knows it is behind a NAT")
vpnlab.is(bsa and #bsa.children, 0, "branch: the IKE SA has no CHILD_SA")
isp:never{ proto = "ah", desc = "isp: not one AH packet from the NATed branch" }
nat_wan:never{ proto = "ah", desc = "nat_wan: not one AH packet through the NAT" }
nat_wan:never{ proto = "esp", desc = "nat_wan: and no ESP either (only AH was configured)" }

-- Why: force AH through the NAT with manual keys. The branch signs with its
-- own address as the source; the hub is keyed for the NAT's address (the
-- source it sees), the best AH could hope for.
local KEY = "0x" .. string.rep("4e41542d", 8)
local function xfrm(node, args)
  local argv = { "ip", "xfrm" }
  for word in args:gmatch("%S+") do argv[#argv + 1] = word end
  local r = net.nodes[node]:exec(argv)
  if r.status ~= 0 then error(node .. ": ip xfrm " .. args .. ": " .. r.output) end
end
local function sa(src, dst)
  return string.format("state add src %s dst %s proto ah spi 0x00005151 reqid 51 mode tunnel "
                       .. "auth-trunc hmac(sha256) %s 128", src, dst, KEY)
end
local function policy(dir, src, dst)
  return string.format("policy add src 10.30.0.0/24 dst 10.20.0.0/24 dir %s "
                       .. "tmpl src %s dst %s proto ah reqid 51 mode tunnel", dir, src, dst)
end
xfrm("branch_gw", sa(branch_addr, hub_addr))
xfrm("branch_gw", policy("out", branch_addr, hub_addr))
xfrm("right_gw", sa(nat_addr, hub_addr))
xfrm("right_gw", policy("in", nat_addr, hub_addr))
xfrm("right_gw", policy("fwd", nat_addr, hub_addr))
local function proto_errors()
  local stat = net.nodes.right_gw:exec{ "cat", "/proc/net/xfrm_stat" }.output
  return tonumber(stat:match("XfrmInStateProtoError%s+(%d+)") or "-1")
end
local errors_before = proto_errors()
local forced = net.nodes.branch_host:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2",
                                           net.nodes.right_host:addr("right_lan") }
vpnlab.ok(forced.status ~= 0, "forced AH: the branch host's pings get no answer")
isp:count({ ah = true, src = branch_addr, spi = 0x5151 }, { min = 3,
          desc = "isp: AH leaves the branch gateway with its own address as the source" })
nat_wan:count({ ah = true, src = nat_addr, spi = 0x5151 }, { min = 3,
              desc = "nat_wan: the NAT rewrote that source, which AH's integrity check covers" })
right_lan:never{ src = "10.30.0.0/24", desc = "right_lan: the hub delivered none of them" }
nat_wan:never{ ah = true, src = hub_addr, desc = "nat_wan: and nothing came back" }
local errors = proto_errors() - errors_before
vpnlab.ok(errors >= 3, string.format("hub: %d AH packets failed the integrity check (XfrmInStateProtoError)", errors))
