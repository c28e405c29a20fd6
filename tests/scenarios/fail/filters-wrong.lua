-- BUILT TO FAIL (tests/10-failures.t reads its TAP). The firewall does its
-- job: it drops IP fragments before reassembly and forwards only IKE
-- (an allow list, default drop). The client's LAN has a 1280-byte MTU and its
-- IKE_AUTH, with 32 ESP proposals and IKEv2 fragmentation off, is larger, so
-- it leaves as IP fragments that die at the firewall; a plain ping is not on
-- the allow list. The wrong expectations below assume neither filter acts.
-- Point numbers are in the comments. Userspace ESP: runs on the host.
local net = vpnlab.start("firewalled", {
  nodes = { fw = { firewall = { fragments = "drop",
                                allow = { { proto = "udp", port = 500, dir = "out" },
                                          { proto = "udp", port = 4500, dir = "out" } } } } },
  links = { lan = { mtu = 1280 } },
})
local lan, wan = net.links.lan, net.links.wan
local gw = net.nodes.gateway:addr("wan")

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
  version = 2, psk = "filters", dataplane = "libipsec", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
  fragmentation = false,
}
local client = net.nodes.client:strongswan{
  version = 2, psk = "filters", dataplane = "libipsec", remote = gw, vip = true, remote_ts = "10.1.0.1/32",
  esp_proposals = table.concat(proposals, ","), fragmentation = false,
  retransmit = { tries = 1, timeout = 0.5, base = 1.2 },
}
client:initiate()
-- 1 ok: IKE_SA_INIT is small, allowed out, and its reply passes
lan:seen{ ike = "IKE_SA_INIT", response = true, within = 2 }
-- 2 not ok (ok): IKE_AUTH's fragments die at the firewall
vpnlab.ok(client:await("established", 2), "the tunnel is established")     -- FAIL:fragments-tunnel
-- 3 ok: the client did send fragments
lan:seen{ fragment = true }
-- 4 not ok (seen): not one fragment crosses the firewall
wan:seen{ fragment = true }                                                 -- FAIL:fragments-wan
-- 5 not ok (is): a plain ping is not on the allow list
vpnlab.is(net.nodes.client:exec{ "ping", "-c", "1", "-W", "1", gw }.status, 0, "a plain ping passes")   -- FAIL:allow-ping
-- 6 not ok (seen): so no ICMP crosses
wan:seen{ proto = "icmp" }                                                  -- FAIL:allow-wan
-- 7 ok: the same fact, stated the right way
wan:never{ proto = "icmp" }
