-- A router that drops IP fragments (before reassembly: nft prerouting at
-- priority -450, below conntrack's defragmentation) on a path with a small
-- MTU. The client offers 32 ESP proposals, which makes its IKE_AUTH larger
-- than the WAN's 1280-byte MTU: with IKEv2 fragmentation off it leaves the
-- client as two IP fragments, both die at the router, and the tunnel never
-- comes up. fragments-ike-fragmentation.lua is the same path with RFC 7383
-- fragmentation on. Userspace ESP on both ends: it runs on the host.
vpnlab.tags{ "firewall", "fragments" }

local net = vpnlab.start("server-behind-nat", {
  nodes = { office = { firewall = { fragments = "drop" } } },
  links = { wan = { mtu = 1280 } },
})
local wan, lan = net.links.wan, net.links.lan

local proposals = {}
for _, esn in ipairs({ "noesn", "esn" }) do
  for _, enc in ipairs({ "aes128", "aes192", "aes256" }) do
    for _, integ in ipairs({ "sha256", "sha384", "sha512", "sha1" }) do
      proposals[#proposals + 1] = enc .. "-" .. integ .. "-" .. esn
    end
  end
end
for _, aead in ipairs({ "aes128gcm16", "aes192gcm16", "aes256gcm16", "aes128gcm12", "aes256gcm12",
                        "aes128gcm8", "aes256gcm8", "chacha20poly1305" }) do
  proposals[#proposals + 1] = aead .. "-noesn"
end

net.nodes.gateway:strongswan{
  version = 2, psk = "fragments", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
  fragmentation = false,
}
-- Short retransmits: 0.5 s, then x1.2, one retry -> gives up after ~1.1 s.
local client = net.nodes.client:strongswan{
  version = 2, psk = "fragments", dataplane = "libipsec", remote = net.nodes.office:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", esp_proposals = table.concat(proposals, ","), fragmentation = false,
  retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("down", 4), "the client gives up: its IKE_AUTH never arrives")
vpnlab.ok(client:logged("giving up after 1 retransmits"), "charon logs that it gave up on retransmits")

wan:seen{ ike = "IKE_SA_INIT", response = true, desc = "IKE_SA_INIT is small and passes" }
lan:seen{ ike = "IKE_SA_INIT", desc = "... forwarded to the gateway" }
wan:count({ fragment = true, src = net.nodes.client:addr("wan") }, { min = 4,
          desc = "wan: IKE_AUTH and its retransmit leave the client as IP fragments (2 each)" })
lan:never{ fragment = true, desc = "lan: no fragment gets past the router" }
lan:never{ ike = "IKE_AUTH", desc = "lan: the gateway never sees IKE_AUTH" }
