-- A check file (vpnlab check tests/decode/ports-03-wan.pcap check-pass.lua):
-- the notify filter by name and by number, and SPIs in every form, over a
-- real run's capture, whose IKE_SA_INIT request and response carry four
-- notifies each in the clear (NAT_DETECTION_SOURCE_IP,
-- NAT_DETECTION_DESTINATION_IP, IKEV2_FRAGMENTATION_SUPPORTED,
-- SIGNATURE_HASH_ALGORITHMS). Every point passes.
local wan = vpnlab.links[vpnlab.link_names[1]]
wan:seen{ ike = "IKE_SA_INIT", response = true, notify = "NAT_DETECTION_SOURCE_IP" }
wan:count({ notify = 16388 }, { exactly = 2, desc = "notify by number: 16388 in request and response" })
wan:count({ notify = "signature_hash_algorithms" }, { exactly = 2, desc = "notify by name, any case: the fourth kept" })
wan:never{ notify = "NO_PROPOSAL_CHOSEN" }
wan:never{ ike = "IKE_AUTH", notify = "NAT_DETECTION_SOURCE_IP" }
vpnlab.is(wan:packets{ notify = 16430, initiator = true }, 1, "packets(): the initiator's IKEV2_FRAGMENTATION_SUPPORTED")
-- SPIs as charon prints them (bare hex), with 0x, or as numbers; ike_spi: either SPI of the header.
wan:count({ esp = "udp", spi = "c833112a" }, { exactly = 3, desc = "spi as bare hex (VICI's form)" })
wan:count({ spi = "0xC833112A" }, { exactly = 3, desc = "spi as 0x hex, any case" })
wan:count({ spi = 0xc6f6d5bb }, { exactly = 3, desc = "spi as a number" })
wan:count({ ike_spi = "7f1742b0ba9f325a" }, { exactly = 6, desc = "ike_spi: every IKE message of the one IKE SA" })
wan:never{ ike_spi = "0x7f1742b0ba9f325b" }
