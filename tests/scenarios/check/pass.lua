-- A check file (vpnlab check WAN.pcap pass.lua) for the wan.pcap of
-- scenarios/dataplane/nat-rebind-libipsec.lua: every point passes. It uses
-- each form of the API: a link object, the top-level forms with link =,
-- vpnlab.capture, vpnlab.net (a scenario's lines unchanged), within as the
-- capture's first seconds, packets() for the file's own logic, ok/is.
-- ESP_UDP is the number of ESP-in-UDP packets tshark counts in the file.
local wan = vpnlab.links.wan
wan:seen{ ike = "IKE_SA_INIT", initiator = true, sport = 500, dport = 500 }
wan:seen{ ike = "IKE_SA_INIT", response = true, desc = "wan: the answer comes back on 500" }
wan:transition({ udp = 500 }, { udp = 4500 }, { desc = "wan: 500 first, then 4500 only" })
wan:count({ esp = "udp" }, { exactly = tonumber(os.getenv("ESP_UDP")), desc = "wan: as many ESP-in-UDP as tshark counts" })
vpnlab.seen{ link = "wan", icmp = "dest-unreach", src = "203.0.113.1", desc = "the NAT's port unreachable" }
vpnlab.capture:never{ esp = "raw" }
vpnlab.never{ ike = "IKE_AUTH", udp = 500 }
wan:seen{ ike = "IKE_SA_INIT", within = 1, desc = "IKE_SA_INIT within the capture's first second" }
local net = vpnlab.net
net.links.wan:count({ esp = "udp", sport = 4500, dst = "203.0.113.1" }, { min = 3 })
vpnlab.ok(wan:packets{ icmp = "dest-unreach" } >= 1, "packets() counts for the file's own logic")
vpnlab.is(wan:pcap(), vpnlab.pcap, "link:pcap() is the file")
vpnlab.is(#vpnlab.link_names, 1, "one interface, one link")
