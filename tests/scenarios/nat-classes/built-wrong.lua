-- BUILT TO FAIL (tests/35-nat-classes.t): the nine classes, but three of
-- the NATs have a piece of their construction taken out after the lab is
-- up. The probe must notice exactly those three:
--   r1 (EIM/EIF)   the inbound DNAT from the EIF map removed: filtering measures APDF
--   r5 (ADM/ADF)   the ADF map's DNAT removed: filtering measures APDF
--   r4 (ADM/EIF)   the mapping rules replaced by plain masquerade: mapping measures EIM
dofile("classlab.lua"){ tamper = function(net)
  net.nodes.r1:nft("flush chain ip vpnlab nat_prerouting\n")
  net.nodes.r5:nft("flush chain ip vpnlab nat_prerouting\n")
  net.nodes.r4:nft('flush chain ip vpnlab nat_postrouting\nadd rule ip vpnlab nat_postrouting oifname "wan" masquerade\n')
end }
