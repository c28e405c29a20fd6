-- Fact 8: an L2TP/IPsec server behind a NAT that forwards udp/500, udp/4500
-- and udp/1701 to it works. ESP (and AH) need no forwarding rule: NAT
-- detection moves IKE to udp/4500 and ESP travels inside udp/4500, so the
-- 4500 forward carries it; the 1701 forward never carries a clear packet,
-- because L2TP crosses the NAT only inside ESP.
vpnlab.requires{ "esp", "l2tp", "ppp" }
vpnlab.tags{ "l2tp", "nat" }

local net = vpnlab.start("server-behind-nat", { nodes = { office = {
  forward = { { proto = "udp", port = 500, to = "gateway" },
              { proto = "udp", port = 4500, to = "gateway" },
              { proto = "udp", port = 1701, to = "gateway" } },
} } })
local wan, lan = net.links.wan, net.links.lan
local outside = net.nodes.office:addr("wan")
local gateway = net.nodes.gateway:addr("lan")
local client_addr = net.nodes.client:addr("wan")

net.nodes.gateway:strongswan{
  version = 1, psk = "l2tp-forwarded", mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local ipsec = net.nodes.client:strongswan{
  version = 1, psk = "l2tp-forwarded", remote = outside, mode = "transport",
  local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]",
}
local lns = net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20",
                                    users = { bob = "forwarded-ppp" } }
local lac = net.nodes.client:l2tp{ remote = outside, user = "bob", password = "forwarded-ppp" }

ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "IKEv1 transport-mode SA to the router's outside address is established")
local sa = ipsec:sas()[1] or {}
vpnlab.ok(sa.nat_remote == true, "the client detects the NAT in front of the server (NAT-D)")
lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "the L2TP session's PPP link is up through the port forward")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.77.0.1" }.status, 0,
          "ping across ppp0 reaches the LNS behind the NAT")
vpnlab.is(#lns:addresses(), 1, "the LNS has the session")

wan:seen{ ike = "MAIN_MODE", dst = outside, dport = 500, desc = "wan: IKE to the router's udp/500" }
lan:seen{ ike = "MAIN_MODE", src = client_addr, dst = gateway, dport = 500,
          desc = "lan: forwarded to the server, the client's own address kept" }
wan:transition({ udp = 500 }, { udp = 4500 })
lan:seen{ esp = "udp", src = client_addr, dst = gateway, dport = 4500,
          desc = "lan: ESP in UDP reaches the server through the 4500 forward" }
net.all:never{ esp = "raw", desc = "no raw ESP anywhere: nothing needs an ESP forward" }
net.all:never{ udp = 1701, desc = "no clear udp/1701 on either side: the 1701 forward is never used" }
lan:seen{ inner = { l2tp = "SCCRQ" }, dst = gateway, desc = "lan: the L2TP SCCRQ reaches the server inside ESP" }
