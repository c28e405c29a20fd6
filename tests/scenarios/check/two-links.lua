-- A check file for a pcapng holding the lan and wan captures of
-- nat-rebind-libipsec as two interfaces (mergecap -I none): one link per
-- interface, named "<stem>:<index>" (or the interface's name).
local lan, wan = vpnlab.link_names[1], vpnlab.link_names[2]
vpnlab.is(#vpnlab.link_names, 2, "two interfaces, two links")
vpnlab.links[lan]:seen{ src = "192.168.1.0/24", desc = "the first link is the lan: the client's own address" }
vpnlab.links[wan]:never{ src = "192.168.1.0/24", desc = "the second is the wan: only the NAT's address" }
vpnlab.seen{ link = wan, icmp = "dest-unreach" }
vpnlab.capture:count({ ike = "IKE_SA_INIT" }, { exactly = 4, desc = "all links: IKE_SA_INIT twice on each" })
