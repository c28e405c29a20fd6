#!/bin/bash
# The strongSwan driver's state, lifetimes, rekeying and events, and the
# notify/icmp link filters (issue 12, "swan").
#   - notify = NAME | number over a real run's capture (tests/decode/ports-03-wan.pcap,
#     whose IKE_SA_INIT carries four notifies each way): every form passes
#     (tests/scenarios/notify/check-pass.lua); BUILT TO FAIL: exactly points
#     1 and 2 of check-fail.lua fail, the diagnostic naming the notifies seen
#   - spi and ike_spi as charon prints them (bare hex), with 0x, or numbers
#   - bad input, exit 2: an unknown notify name, numbers out of range for
#     notify and icmp, a notify of the wrong type, SPIs that are not hex
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=69-swan
. "$(dirname "$0")/lib.sh"

dir=tests/scenarios/notify
cap=tests/decode/ports-03-wan.pcap

# --- notify over a capture ------------------------------------------------------------
"$VPNLAB" check "$cap" "$dir/check-pass.lua" >"$tmp/pass.out" 2>"$tmp/pass.err"
is "$?" 0 "check-pass.lua: exit 0" "$(grep -A8 '^not ok' "$tmp/pass.out")" "$(cat "$tmp/pass.err")"
is "$(grep -c '^ok ' "$tmp/pass.out") $(tail -1 "$tmp/pass.out")" "11 1..11" "check-pass.lua: 11 points, all ok"
like "$(grep '^ok 1 ' "$tmp/pass.out")" "notify=NAT_DETECTION_SOURCE_IP" "the point names the notify"

"$VPNLAB" check "$cap" "$dir/check-fail.lua" >"$tmp/fail.out" 2>"$tmp/fail.err"
is "$?" 1 "check-fail.lua: exit 1 (BUILT TO FAIL)"
is "$(grep '^not ok' "$tmp/fail.out" | awk '{ print $3 }' | tr '\n' ' ')" "1 2 " "check-fail.lua: exactly points 1 and 2 fail"
diag1=$(sed -n '/^not ok 1 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag1" "expected: \"link=[^ ]+ ike=IKE_SA_INIT response=true notify=NO_PROPOSAL_CHOSEN\"" \
	"point 1: the filter with the notify's name"
like "$diag1" "ike_notifies: \{NAT_DETECTION_SOURCE_IP: 2, NAT_DETECTION_DESTINATION_IP: 2, IKEV2_FRAGMENTATION_SUPPORTED: 2, SIGNATURE_HASH_ALGORITHMS: 2\}" \
	"point 1: the notifies that were there instead"
diag2=$(sed -n '/^not ok 2 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag2" "first_offending: \"0\.172 .* IKE_SA_INIT v2 R N\(NAT_DETECTION_SOURCE_IP\) N\(NAT_DETECTION_DESTINATION_IP\).*\(frame 4\)\"" \
	"point 2: the response that carried it, its notifies on the line"

# --- bad input: exit 2 ---------------------------------------------------------------
bad_input() {   # bad_input DESC ERE LUA-TEXT: the check file's error matches ERE, exit 2
	printf '%s\n' "$3" >"$tmp/bad.lua"
	"$VPNLAB" check "$cap" "$tmp/bad.lua" >"$tmp/bad.out" 2>"$tmp/bad.err"
	is "$?" 2 "$1: exit 2"
	like "$(cat "$tmp/bad.err")" "$2" "$1: the error says so"
}
bad_input "an unknown notify name" "bad\.lua:1: notify: unknown value 'NO_PROPOSAL' \(NO_PROPOSAL_CHOSEN, .*or a number\)" \
	'vpnlab.seen{ notify = "NO_PROPOSAL" }'
bad_input "a notify number out of range" "bad\.lua:1: notify: 65536 is out of range \(0-65535\)" \
	'vpnlab.seen{ notify = 65536 }'
bad_input "a negative icmp type" "bad\.lua:1: icmp: -1 is out of range \(0-255\)" 'vpnlab.seen{ icmp = -1 }'
bad_input "an icmp type above 255" "bad\.lua:1: icmp: 256 is out of range \(0-255\)" 'vpnlab.seen{ icmp = 256 }'
bad_input "a notify as a table" "bad\.lua:1: notify: unknown value 'table'" 'vpnlab.seen{ notify = {} }'
bad_input "an spi that is not hex" "bad\.lua:1: spi: 'xyz' is not an SPI \(at most 8 hex digits" 'vpnlab.seen{ spi = "xyz" }'
bad_input "an spi of nine digits" "bad\.lua:1: spi: '123456789' is not an SPI" 'vpnlab.seen{ spi = "123456789" }'
bad_input "an spi number above 32 bits" "bad\.lua:1: spi: a number from 0 to 0xffffffff" 'vpnlab.seen{ spi = 0x100000000 }'
bad_input "an ike_spi table" "bad\.lua:1: ike_spi must be a number or a hex string, not a table" 'vpnlab.seen{ ike_spi = {} }'

finish
