-- Interop with certificates, the other way round: a libreswan road warrior
-- behind the home NAT and a strongSwan gateway, IKEv2, each end proving
-- itself by a certificate of the lab CA. The float to udp/4500, ESP in UDP
-- and never raw on the WAN, and a ping from the leased address.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
vpnlab.tags{ "interop", "libreswan", "ikev2", "certs" }
local ca = vpnlab.pki.ca("Lab CA")
local gw_cert = ca:issue{ id = "gw.lab", eku = { "server", "ike" } }
local client_cert = ca:issue{ id = "client@lab", eku = { "client", "ike" } }

local net = vpnlab.start("home-nat")
local wan = net.links.wan
local gw_addr = net.nodes.gateway:addr("wan")

local gw = net.nodes.gateway:strongswan{
  cert = gw_cert, ca = ca, pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
local client = net.nodes.client:libreswan{
  cert = client_cert, ca = ca, remote_id = "gw.lab", remote = gw_addr, vip = true,
  remote_ts = "10.1.0.1/32", keep_alive = 1,
}

client:initiate()
vpnlab.ok(client:await("established", 15), "libreswan's tunnel to strongSwan is established with certificates")
vpnlab.ok(gw:await("established", 5), "strongSwan says the tunnel is established too")
local ping = net.nodes.client:exec{ "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1" }
vpnlab.is(ping.status, 0, "ping through the tunnel reaches the gateway's inside address")
vpnlab.ok(gw:logged("authentication of 'client@lab' with %S+ successful"),
          "strongSwan authenticated client@lab by its certificate's signature")
vpnlab.ok(client:logged("authenticated peer .* using peer certificate '@?gw%.lab' issued by CA"),
          "libreswan authenticated gw.lab by its certificate")

wan:seen{ ike = "IKE_SA_INIT", udp = 500 }
wan:seen{ ike = "IKE_AUTH", dport = 4500, nonesp = true }
wan:never{ ike = "IKE_AUTH", udp = 500 }
wan:transition({ udp = 500 }, { udp = 4500 })
wan:seen{ esp = "udp", within = 2 }
wan:never{ esp = "raw" }
