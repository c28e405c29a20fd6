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
#   - host backend, userspace data plane (kernel-libipsec):
#     scenarios/rekey/child-and-ike-rekey.lua and reinitiate-on-down.lua pass
#     whole; the lifetimes reach swanctl.conf (rand_time 0, over_time and
#     life_time never rounded onto the rekey); BUILT TO FAIL:
#     tests/scenarios/notify/proposal-mismatch.lua fails exactly points 2 and
#     4, point 4 naming the NO_PROPOSAL_CHOSEN that was sent instead
#   - BUILT TO FAIL: tests/scenarios/rekey/pfs-mismatch.lua (the gateway wants
#     PFS, the client offers none: up, then the rekey is refused and the
#     CHILD_SA expires): exactly points 2 and 6 fail
#   - tests/scenarios/notify/icmp-numbers.lua: icmp = 8 / 0 / 3 / 13 over a
#     lab's own pings, the same counts as the names
#   - bad scenario input, exit 2 with the file:line: lifetimes that are not
#     seconds or expire before their rekey, on_updown not a function, await
#     and events on an unknown kind, an error inside on_updown
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

# --- rekeying and events on the host (kernel-libipsec) ---------------------------------
scen() {   # scen NAME FILE: run FILE on the host backend, leaving $tmp/NAME.out, $rc, $dir
	"$VPNLAB" run --backend host --results "$tmp/res-$1" "$2" >"$tmp/$1.out" 2>"$tmp/$1.err"
	rc=$?
	dir=$(sed -n 's/^# results: //p' "$tmp/$1.out")
}
points() {   # points NAME: "passed failed" of the subtest
	echo "$(grep -c '^    ok ' "$tmp/$1.out") $(grep -c '^    not ok ' "$tmp/$1.out")"
}

scen rekey scenarios/rekey/child-and-ike-rekey.lua
is "$rc $(points rekey)" "0 22 0" "child-and-ike-rekey: exit 0, 22 points pass" "$(grep -A6 '^    not ok' "$tmp/rekey.out")"
like "$(grep '^    ok .* no ping lost' "$tmp/rekey.out")" "\(([0-9]+) sent, ([0-9]+) received" "the ping's count is in the point"
conf=$(cat "$dir/client/swanctl.conf" 2>/dev/null)
like "$conf" "rekey_time = 5s" "client swanctl.conf: the IKE SA's rekey_time"
like "$conf" "over_time = 1s" "client swanctl.conf: over_time 1 s, not charon's integer 10% (0) of 5 s"
like "$conf" "rekey_time = 3s" "client swanctl.conf: the CHILD_SA's rekey_time"
like "$conf" "life_time = 30s" "client swanctl.conf: the CHILD_SA's life_time"
is "$(grep -c 'rand_time = 0s' "$dir/client/swanctl.conf" 2>/dev/null)" 2 "client swanctl.conf: rand_time 0 for the IKE SA and the CHILD_SA"
is "$(grep -c '> CHILD_SA net{[0-9]*} established' "$dir/client/charon.log" 2>/dev/null)" 1 \
	"charon.log: one CHILD_SA from IKE_AUTH (a rekey's are 'inbound/outbound CHILD_SA ... established')"
is "$(grep -c 'generating CREATE_CHILD_SA request' "$dir/client/charon.log" 2>/dev/null)" 3 \
	"charon.log: three CREATE_CHILD_SA requests from the client (CHILD, IKE, CHILD)"

scen updown scenarios/rekey/reinitiate-on-down.lua
is "$rc $(points updown)" "0 22 0" "reinitiate-on-down: exit 0, 22 points pass" "$(grep -A6 '^    not ok' "$tmp/updown.out")"
is "$(grep -E -o '(reauth_time|over_time) = [0-9]+s' "$dir/gateway/swanctl.conf" 2>/dev/null | tr '\n' ' ')" \
	"reauth_time = 5400s over_time = 540s " "gateway swanctl.conf: reauth 5400 s, over_time its 10%"
is "$(grep -c 'initiating IKE_SA vpnlab' "$dir/client/charon.log" 2>/dev/null)" 2 \
	"charon.log: the client initiated twice (the second from on_updown)"

scen mismatch tests/scenarios/notify/proposal-mismatch.lua
is "$rc" 1 "proposal-mismatch: exit 1 (BUILT TO FAIL)"
is "$(grep '^    not ok' "$tmp/mismatch.out" | awk '{ print $3 }' | tr '\n' ' ')" "2 4 " "proposal-mismatch: exactly points 2 and 4 fail"
is "$(points mismatch)" "3 2" "proposal-mismatch: the other three pass (NO_PROPOSAL_CHOSEN seen, no IKE_AUTH, charon's log)"
diag4=$(sed -n '/^    not ok 4 /,/^      \.\.\./p' "$tmp/mismatch.out")
like "$diag4" "ike_notifies: \{.*NO_PROPOSAL_CHOSEN: 1\}" "point 4: NO_PROPOSAL_CHOSEN is among the notifies seen instead"
like "$diag4" "last_packet: \"[0-9.]+ net [0-9.]+:500 > [0-9.]+:500 ike IKE_SA_INIT v2 R N\(NO_PROPOSAL_CHOSEN\)" \
	"point 4: the gateway's answer, its one notify on the line"

scen pfs tests/scenarios/rekey/pfs-mismatch.lua
is "$rc" 1 "pfs-mismatch: exit 1 (BUILT TO FAIL)"
is "$(grep '^    not ok' "$tmp/pfs.out" | awk '{ print $3 }' | tr '\n' ' ')" "2 6 " \
	"pfs-mismatch: exactly points 2 (the rekey) and 6 (no ping lost) fail"
is "$(points pfs)" "5 2" "pfs-mismatch: the others pass (up, the expiry's child-down, CREATE_CHILD_SA both ways, the log)"
like "$(grep '^    not ok 6 ' "$tmp/pfs.out")" "\(BUILT TO FAIL: ([0-9]+) sent, ([0-9]+) received\)" "pfs-mismatch point 6: the ping's counts"
like "$(cat "$dir/client/charon.log" 2>/dev/null)" "CHILD_SA rekeying failed, trying again" "pfs-mismatch: charon's log says the rekey failed"

scen icmp tests/scenarios/notify/icmp-numbers.lua
is "$rc $(points icmp)" "0 7 0" "icmp-numbers: exit 0, icmp by number and by name agree (7 points)" \
	"$(grep -A6 '^    not ok' "$tmp/icmp.out")"
like "$(grep '^    ok 2 ' "$tmp/icmp.out")" "icmp = 8: three echo requests" "icmp-numbers: the point by number"

# --- bad scenario input: exit 2 at the line ------------------------------------------------
bad_scenario() {   # bad_scenario DESC ERE LUA-LINE...: the scenario's error matches ERE and names the last line
	local desc=$1 ere=$2 err
	shift 2
	printf '%s\n' 'local net = vpnlab.start("direct")' "$@" >"$tmp/bad-scenario.lua"
	"$VPNLAB" run --backend host --results "$tmp/res-bad" "$tmp/bad-scenario.lua" >"$tmp/bad-s.out" 2>"$tmp/bad-s.err"
	is "$?" 2 "$desc: exit 2"
	err=$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/bad-s.out" | head -n 1)
	like "$err" "bad-scenario\.lua:$(( $# + 1 )): $ere" "$desc: the error at its line says so"
}
bad_scenario "a negative rekey_time" "strongswan on 'client': rekey_time must be seconds \(0 or more\), not -1" \
	'net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", rekey_time = -1 }'
bad_scenario "a life_time shorter than the rekey" "strongswan on 'client': life_time \(2 s\) must be longer than rekey_time \(3 s\)" \
	'net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", rekey_time = 3, life_time = 2 }'
bad_scenario "a rekey_time string" "strongswan on 'client': rekey_time must be a number, not a string" \
	'net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", rekey_time = "3s" }'
bad_scenario "on_updown not a function" "strongswan on 'client': on_updown must be a function, not a number" \
	'net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", on_updown = 1 }'
bad_scenario "await on an unknown event" "await: unknown state 'child-rekeyed' \(.*child-rekey, ike-rekey" \
	'local c = net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", dataplane = "libipsec" }' \
	'c:await("child-rekeyed", 1)'
bad_scenario "events of an unknown kind" "events: unknown kind 'up'" \
	'local c = net.nodes.client:strongswan{ psk = "x", remote = "198.51.100.2", dataplane = "libipsec" }' \
	'c:events("up")'
printf '%s\n' 'local net = vpnlab.start("direct")' \
	'net.nodes.gateway:strongswan{ psk = "x", local_ts = "10.1.0.1/32", dataplane = "libipsec" }' \
	'local c = net.nodes.client:strongswan{ psk = "x", remote = net.nodes.gateway:addr("net"),' \
	'  remote_ts = "10.1.0.1/32", dataplane = "libipsec",' \
	'  on_updown = function(event) error("handler broke on " .. event.kind) end }' \
	'c:initiate()' \
	'c:await("established", 10)' >"$tmp/handler.lua"
"$VPNLAB" run --backend host --results "$tmp/res-bad" "$tmp/handler.lua" >"$tmp/handler.out" 2>&1
is "$?" 2 "an error inside on_updown: exit 2 (a scenario error)"
like "$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/handler.out" | head -n 1)" "handler\.lua:5: handler broke on ike-up" \
	"an error inside on_updown: the handler's line and message"

finish
