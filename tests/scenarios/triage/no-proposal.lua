-- Built for `vpnlab triage`: the peers share no IKE proposal. The client
-- offers only AES-128/SHA-1/MODP-1024, the gateway accepts only
-- AES-256/SHA-256/MODP-2048, so the gateway answers IKE_SA_INIT with a
-- NO_PROPOSAL_CHOSEN notify in the clear and nothing is established. Every
-- assertion describes that failure, so the scenario passes when it happens;
-- tests/64-triage.t then triages its pcaps. Userspace ESP: it runs on the host.
local net = vpnlab.start("home-nat")
local wan = net.links.wan

net.nodes.gateway:strongswan{
  version = 2, psk = "proposal", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
  proposals = "aes256-sha256-modp2048",
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "proposal", dataplane = "libipsec", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", proposals = "aes128-sha1-modp1024",
  retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}

client:initiate()
vpnlab.ok(client:await("down", 4), "no common proposal: the client gives up")
-- The log line may come after the state change: wait for it, woken by each line.
local function await_log(ch, pattern, seconds)
  local deadline = vpnlab.now() + seconds
  while not ch:logged(pattern) do
    local left = deadline - vpnlab.now()
    if left <= 0 then return false end
    ch.proc:wait_line(ch.proc:count() + 1, left)
  end
  return true
end
vpnlab.ok(await_log(client, "received NO_PROPOSAL_CHOSEN", 2), "charon logs the NO_PROPOSAL_CHOSEN notify it received")
wan:seen{ ike = "IKE_SA_INIT", initiator = true, desc = "wan: the client's IKE_SA_INIT crosses" }
wan:seen{ ike = "IKE_SA_INIT", response = true, desc = "wan: the gateway answers it (with the error)" }
wan:never{ ike = "IKE_AUTH", desc = "wan: no IKE_AUTH follows" }
