-- BUILT TO FAIL (tests/36-cgnat-classes.t): the three carriers, but k1's
-- inbound DNAT from its endpoint-independent filtering map is removed after
-- the lab is up (the map is still learnt). The probe must notice exactly that:
-- k1's filtering measures address-and-port-dependent; every other point passes.
dofile("cgnatlab.lua"){ tamper = function(net)
  net.nodes.k1:nft("flush chain ip vpnlab_cgnat prerouting\n")
end }
