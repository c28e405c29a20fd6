local net = vpnlab.start("direct")
net.links.net:seen{ inner = 5 }
