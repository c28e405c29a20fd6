-- BUILT TO FAIL (tests/10-failures.t reads its TAP). A mid-run
-- fw:block{ proto = "udp", port = 9, dir = "in" } drops udp/9 arriving on the
-- router's outside link (wan) only. The wrong expectations below assume the
-- rule also stops outbound udp/9 (dir ignored) and that inbound still passes
-- (the block not applied). Point numbers are in the comments. No VPN: plain
-- UDP datagrams through bash's /dev/udp; runs on the host.
local net = vpnlab.start("firewalled", { nodes = { fw = { firewall = { stateful = false } } } })
local fw, lan, wan = net.nodes.fw, net.links.lan, net.links.wan
local client, gateway = net.nodes.client, net.nodes.gateway
local caddr, gaddr = client:addr("lan"), gateway:addr("wan")
local function send(from, to)
  return from:exec{ "bash", "-c", "for i in 1 2 3; do echo x > /dev/udp/" .. to .. "/9; sleep 0.05; done" }.status
end

fw:block{ proto = "udp", port = 9, dir = "in" }
send(client, gaddr)
send(gateway, caddr)
-- 1 ok: the inbound datagrams did reach the router
wan:count({ src = gaddr, dst = caddr, dport = 9 }, { min = 3, within = 2 })
-- 2 not ok (never): outbound udp/9 is not blocked by a dir = "in" rule
wan:never{ src = caddr, dport = 9 }                                          -- FAIL:outbound
-- 3 not ok (seen): inbound udp/9 never gets past the router
lan:seen{ src = gaddr, dport = 9 }                                           -- FAIL:inbound
-- 4 ok: the same fact, stated the right way
lan:never{ src = gaddr, dport = 9 }
