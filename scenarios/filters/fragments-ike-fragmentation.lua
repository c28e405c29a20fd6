-- fragments-dropped.lua's path (a router dropping IP fragments, a 1280-byte
-- WAN MTU, an IKE_AUTH too large for it) with IKEv2 fragmentation (RFC 7383,
-- strongSwan's fragmentation = yes) on both ends: charon splits IKE_AUTH into
-- IKE fragments no larger than 1280 bytes of IP, none of which is an IP
-- fragment, so they pass the router and the tunnel comes up.
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
  fragmentation = true,
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "fragments", dataplane = "libipsec", remote = net.nodes.office:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", esp_proposals = table.concat(proposals, ","), fragmentation = true,
  retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
vpnlab.ok(client:await("established", 4), "the tunnel is established through the fragment-dropping router")
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", "10.1.0.1" }.status, 0, "a ping goes through it")

wan:never{ fragment = true, desc = "wan: not one IP fragment" }
wan:count({ ike = "IKE_AUTH", initiator = true, src = net.nodes.client:addr("wan") }, { min = 2,
          desc = "wan: the client's IKE_AUTH went as two or more IKE fragments" })
lan:count({ ike = "IKE_AUTH", initiator = true }, { min = 2, desc = "lan: all of them reached the gateway" })
