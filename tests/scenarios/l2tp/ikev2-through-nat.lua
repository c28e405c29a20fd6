-- L2TP/IPsec with IKEv2 (tests/45-l2tp.t): the same remote access as
-- scenarios/ports/07 (IKEv1) with an IKEv2 transport-mode SA for udp/1701:
-- IKE_SA_INIT on 500, IKE_AUTH on 4500 after NAT detection, L2TP and PPP
-- only inside ESP in UDP.
vpnlab.requires{ "esp", "l2tp", "ppp" }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

net.nodes.gateway:strongswan{ version = 2, psk = "l2tp-v2", mode = "transport",
                              local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
local ipsec = net.nodes.client:strongswan{ version = 2, psk = "l2tp-v2", remote = gw_addr, mode = "transport",
                                           local_ts = "dynamic[udp/1701]", remote_ts = "dynamic[udp/1701]" }
net.nodes.gateway:l2tp{ local_ip = "10.77.0.1", pool = "10.77.0.10-10.77.0.20", users = { alice = "wonderland" } }
local lac = net.nodes.client:l2tp{ remote = gw_addr, user = "alice", password = "wonderland" }

ipsec:initiate()
vpnlab.ok(ipsec:await("established", 15), "IKEv2 transport-mode SA for udp/1701 is established")
local child = ((ipsec:sas()[1] or {}).children or {})[1] or {}
vpnlab.is(child.mode, "TRANSPORT", "the CHILD_SA is in transport mode")
lac:connect()
vpnlab.ok(lac:await("ppp-up", 20), "PPP is up")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.77.0.1" }.status, 0, "ping across ppp0")
wan:seen{ ike = "IKE_SA_INIT", udp = 500 }
wan:seen{ ike = "IKE_AUTH", udp = 4500, nonesp = true }
wan:never{ udp = 1701 }
wan:never{ esp = "raw" }
wan:seen{ esp = "udp", inner = { l2tp = "ICCN" } }
wan:seen{ esp = "udp", inner = { ppp = "IPCP" } }
