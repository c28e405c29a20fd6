-- BUILT TO FAIL: a PFS mismatch that only shows at rekey time. The gateway
-- wants a key exchange in every CHILD_SA (esp_proposals with modp2048); the
-- client offers none. The first CHILD_SA comes with IKE_AUTH, which carries
-- no key exchange, so the tunnel comes up and a ping passes; the client's
-- rekey after 2 s is refused (inside the encrypted CREATE_CHILD_SA), and the
-- CHILD_SA dies at its life_time (5 s). tests/69-swan.t checks that exactly
-- points 2 (the rekey) and 6 (the ping across it) fail.
local net = vpnlab.start("direct")
local wire = net.links.net
local gw_addr, client_addr = net.nodes.gateway:addr("net"), net.nodes.client:addr("net")

net.nodes.gateway:strongswan{
  psk = "pfs", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32", dataplane = "libipsec",
  esp_proposals = "aes128-sha256-modp2048",
}
local client = net.nodes.client:strongswan{
  psk = "pfs", remote = gw_addr, vip = true, remote_ts = "10.1.0.1/32", mobike = false,
  dataplane = "libipsec", esp_proposals = "aes128-sha256", rekey_time = 2, life_time = 5,
}
client:initiate()
vpnlab.ok(client:await("established", 10), "the tunnel is established (IKE_AUTH's CHILD_SA has no key exchange)")
-- -O: ping says "no answer yet" for each echo lost, so the scenario can wait for one.
local ping = net.nodes.client:run{ "ping", "-O", "-i", "0.1", "-W", "1", "10.1.0.1", name = "ping-across" }
vpnlab.ok(client:await("child-rekey", 4), "the CHILD_SA rekeyed (BUILT TO FAIL: the gateway wants PFS)")
local down = client:await("child-down", 6)
vpnlab.ok(down, "the CHILD_SA went down at its life_time instead")
-- Wait (event-driven: each line ping prints wakes it) for two echoes lost,
-- 3 s at most: the point below allows one, the echo in flight at the end.
local i, lost, deadline = 1, 0, vpnlab.now() + 3
while lost < 2 and vpnlab.now() < deadline and ping:wait_line(i, deadline - vpnlab.now()) do
  if ping:line(i):find("no answer yet") then lost = lost + 1 end
  i = i + 1
end
ping:kill(2)
ping:wait(10)
local sent, received = ping:output():match("(%d+) packets transmitted, (%d+) received")
wire:seen{ ike = "CREATE_CHILD_SA", src = client_addr, response = false, desc = "net: the client tried to rekey" }
wire:seen{ ike = "CREATE_CHILD_SA", src = gw_addr, response = true, desc = "net: the gateway answered (a refusal, encrypted)" }
vpnlab.ok(sent and tonumber(received) >= tonumber(sent) - 1,
          string.format("no ping lost across the rekey (BUILT TO FAIL: %s sent, %s received)", tostring(sent),
                        tostring(received)))
vpnlab.ok(client:logged("NO_PROPOSAL_CHOSEN"), "the client's charon logged the refusal")
