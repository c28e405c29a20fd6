-- A site-to-site tunnel between two gateways protected by AH alone: the
-- hosts' traffic crosses the WAN as IP protocol 51, authenticated but not
-- encrypted, so the inner ICMP stays readable inside the AH packets but
-- never appears as a plain packet. AH exists only in kernel IPsec (the
-- endpoint itself requires it); it cannot cross a NAT, so the path has none.
local net = vpnlab.start("site-to-site")
local wan = net.links.wan

local right = net.nodes.right_gw:strongswan{
  psk = "s2s-secret", id = "right", remote_id = "left",
  local_ts = "10.20.0.0/24", remote_ts = "10.10.0.0/24", ah_proposals = "sha256",
}
local left = net.nodes.left_gw:strongswan{
  psk = "s2s-secret", id = "left", remote_id = "right", remote = net.nodes.right_gw:addr("wan"),
  local_ts = "10.10.0.0/24", remote_ts = "10.20.0.0/24", ah_proposals = "sha256", mobike = false,
}

left:initiate()
vpnlab.ok(left:await("established", 10), "the gateways' tunnel is established")
local ping = net.nodes.left_host:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5",
                                       net.nodes.right_host:addr("right_lan") }
vpnlab.is(ping.status, 0, "the left host reaches the right host through the tunnel")

wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500 }
wan:seen{ ah = true, within = 2 }
wan:count({ proto = "ah" }, { min = 6, desc = "wan: three pings and replies as IP protocol 51" })
wan:never{ proto = "esp" }
wan:never{ udp = 4500 }
net.links.left_lan:never{ proto = "ah" }
wan:never{ proto = "icmp" }
local sa = right:sas()[1]
local child = sa and sa.children[1]
vpnlab.is(child and child.protocol, "AH", "the CHILD_SA's protocol is AH")
