-- Fact 12: udp/4500 blocked on a NATed path: IKE_SA_INIT completes on
-- udp/500, IKE_AUTH never crosses.
-- A home router that blocks udp/4500 (a real-world misconfiguration):
-- IKE_SA_INIT completes on udp/500, NAT is detected, the initiator floats to
-- 4500 for IKE_AUTH, and those packets die at the router. The tunnel never
-- comes up and the initiator gives up after its retransmits. Every assertion
-- here describes the failure, so the scenario passes when the failure
-- happens as it should. Kernel data plane: it runs in the VM on a host
-- without kernel ESP.
vpnlab.requires{ "esp" }   -- the kernel data plane (the vm backend on a host without it)
local net = vpnlab.start("home-nat", {
  nodes = { home = { firewall = { block = { { proto = "udp", port = 4500 } } } } },
})
local lan, wan = net.links.lan, net.links.wan

local gw = net.nodes.gateway:strongswan{
  version = 2, psk = "blocked", pool = "10.99.0.0/24", local_ts = "10.1.0.1/32",
}
-- Short retransmits: 0.5 s, then x1.4, two retries -> gives up after ~2.2 s.
local client = net.nodes.client:strongswan{
  version = 2, psk = "blocked", remote = net.nodes.gateway:addr("wan"), vip = true,
  remote_ts = "10.1.0.1/32", retransmit = { tries = 2, timeout = 0.5, base = 1.4 },
}

local started = vpnlab.now()
client:initiate()
vpnlab.ok(client:await("connecting", 2), "the client starts connecting")
vpnlab.ok(client:await("down", 6), "the client gives up")
local gave_up_after = vpnlab.now() - started
vpnlab.ok(gave_up_after < 4.5, string.format("it gives up in bounded time (%.2f s < 4.5 s)", gave_up_after))
vpnlab.ok(client:logged("giving up after 2 retransmits"), "charon logs that it gave up on retransmits")
vpnlab.ok(client:logged("local host is behind NAT"), "the client detected the NAT in IKE_SA_INIT")

-- IKE_SA_INIT completes on 500 ...
wan:seen{ ike = "IKE_SA_INIT", initiator = true, sport = 500, dport = 500 }
wan:seen{ ike = "IKE_SA_INIT", response = true, sport = 500, dport = 500 }
lan:seen{ ike = "IKE_SA_INIT", response = true, dport = 500, desc = "lan: the answer reaches the client" }
-- ... IKE_AUTH moves to 4500 and never crosses.
lan:count({ ike = "IKE_AUTH", dport = 4500, nonesp = true }, { exactly = 3,
          desc = "lan: IKE_AUTH sent on 4500 and retransmitted twice" })
lan:never{ ike = "IKE_AUTH", udp = 500, desc = "lan: IKE_AUTH never tried on 500" }
wan:never{ ike = "IKE_AUTH" }
wan:never{ udp = 4500 }
wan:never{ esp = "udp" }
local gsa = gw:sas()
vpnlab.ok(#gsa == 1 and gsa[1].state == "CONNECTING",
          "the gateway holds one half-open IKE SA: IKE_SA_INIT done, never authenticated")
