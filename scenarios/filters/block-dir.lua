-- node:block{ dir = "in" } mid-run: the direction is relative to the
-- router's outside link, as in a topology's firewall.block. The firewall here
-- forwards everything (stateful off), then blocks udp/9 arriving on the WAN:
-- the same port still leaves, only inbound packets die at the router. After
-- node:unblock with the same rule they pass again. Plain UDP datagrams sent
-- with bash's /dev/udp; no VPN, runs on the host.
--
--   client --lan-- fw --wan-- gateway      (fw's outside is wan)
vpnlab.tags{ "firewall" }

local net = vpnlab.start("firewalled", { nodes = { fw = { firewall = { stateful = false } } } })
local fw, lan, wan = net.nodes.fw, net.links.lan, net.links.wan
local client, gateway = net.nodes.client, net.nodes.gateway
local caddr, gaddr = client:addr("lan"), gateway:addr("wan")

local function send(from, to, n)
  return from:exec{ "bash", "-c", string.format(
    "for i in $(seq %d); do echo x > /dev/udp/%s/9; sleep 0.05; done", n, to) }.status
end

-- Before the block: both directions pass.
vpnlab.is(send(gateway, caddr, 1), 0, "gateway sends udp/9 to the client")
lan:seen{ src = gaddr, dst = caddr, dport = 9, within = 2 }

fw:block{ proto = "udp", port = 9, dir = "in" }
local in_wan, in_lan = wan:packets{ src = gaddr, dport = 9 }, lan:packets{ src = gaddr, dport = 9 }
local out_wan = wan:packets{ src = caddr, dport = 9 }
vpnlab.is(send(gateway, caddr, 3), 0, "gateway sends 3 more inbound")
vpnlab.is(send(client, gaddr, 3), 0, "client sends 3 outbound")
wan:count({ src = caddr, dst = gaddr, dport = 9 }, { min = out_wan + 3, within = 2,
          desc = "wan: the outbound udp/9 still crosses the router" })
wan:count({ src = gaddr, dst = caddr, dport = 9 }, { min = in_wan + 3, within = 2,
          desc = "wan: the inbound udp/9 reached the router" })
vpnlab.is(lan:packets{ src = gaddr, dport = 9 }, in_lan, "lan: no inbound udp/9 got past the block")

fw:unblock{ proto = "udp", port = 9, dir = "in" }
vpnlab.is(send(gateway, caddr, 1), 0, "gateway sends once more")
lan:count({ src = gaddr, dst = caddr, dport = 9 }, { min = in_lan + 1, within = 2,
          desc = "lan: inbound udp/9 passes again after the unblock" })
