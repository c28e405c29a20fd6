-- IKEv2 with certificates on both sides through a home NAT (userspace ESP,
-- libipsec: the point is certificate authentication across the NAT, so it
-- runs on the host). A lab CA issues the gateway's certificate (a DNS name,
-- with the serverAuth and ipsecIKE usages) and the client's (an email
-- address); each end trusts the CA and proves its identity by signature.
-- IKE floats from 500 to 4500 after NAT detection, and ESP travels in UDP.
vpnlab.tags{ "certs", "nat" }
local ca = vpnlab.pki.ca("Lab CA")
local gw_cert = ca:issue{ id = "gw.lab", eku = { "server", "ike" } }
local client_cert = ca:issue{ id = "client@lab", eku = { "client", "ike" } }

local net = vpnlab.start("home-nat")
local wan, lan = net.links.wan, net.links.lan
local nat_addr = net.nodes.home:addr("wan")

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
}
local client = net.nodes.client:strongswan{
  cert = client_cert, ca = ca, remote_id = "gw.lab", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", dataplane = "libipsec",
}

client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established with certificates on both sides")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")

vpnlab.ok(gw:logged("authentication of 'client@lab' with %S+ successful"),
          "the gateway authenticated client@lab by its certificate's signature")
vpnlab.ok(client:logged("authentication of 'gw.lab' with %S+ successful"),
          "the client authenticated gw.lab by its certificate's signature")
vpnlab.ok(gw:logged('using trusted ca certificate "O=vpnlab, CN=Lab CA"'),
          "the gateway built the chain to the lab CA")

-- IKE starts on 500 and floats to 4500 once the NAT is detected.
wan:seen{ ike = "IKE_SA_INIT", sport = 500, dport = 500, initiator = true }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ ike = "IKE_AUTH", nonesp = true, dport = 4500 }
wan:never{ ike = "IKE_AUTH", udp = 500, desc = "wan: no IKE_AUTH on 500" }
wan:count({ esp = "udp", src = nat_addr }, { min = 3, desc = "wan: the three pings leave the NAT as ESP in UDP 4500" })
wan:never{ esp = "raw" }

local sa = gw:sas()[1]
vpnlab.is(sa and sa.remote_host, nat_addr, "the gateway sees the NAT's outside address")
vpnlab.ok(sa and sa.nat_remote, "the gateway detected the NAT on the client's side")
