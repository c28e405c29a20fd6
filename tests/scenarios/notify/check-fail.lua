-- BUILT TO FAIL (vpnlab check tests/decode/ports-03-wan.pcap check-fail.lua):
-- point 1 asks for a NO_PROPOSAL_CHOSEN the accepted exchange never had
-- (the diagnostic lists the notifies that were there instead); point 2
-- wants none of a notify that is there; point 3 passes.
local wan = vpnlab.links[vpnlab.link_names[1]]
wan:seen{ ike = "IKE_SA_INIT", response = true, notify = "NO_PROPOSAL_CHOSEN" }
wan:never{ notify = "NAT_DETECTION_DESTINATION_IP", response = true }
wan:seen{ notify = 16389, response = false }
