#!/bin/bash
# vpnlab check FILE.pcap ASSERTIONS.lua: the scenario assertions over a
# capture. The capture is a real run's: the wan.pcap (and lan.pcap) of
# scenarios/dataplane/nat-rebind-libipsec.lua on the host backend.
#   - tests/scenarios/check/pass.lua: every form of the API passes, exit 0;
#     a count is checked against tshark's count of the same packets
#   - tests/scenarios/check/fail.lua (BUILT TO FAIL): exactly its points
#     2, 3, 4 and 6 fail, exit 1, with the YAML diagnostics (at file:line,
#     the pcap, the first offending packet, the window)
#   - two-links.lua over a pcapng holding lan and wan as two interfaces
#   - as an unprivileged user: check needs no root
#   - bad input, exit 2: usage, a missing or foreign capture, a missing
#     file, Lua errors at file:line, unknown links, vpnlab.start, a node's
#     daemon, require, the sandbox's io, no test point
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=63-check
. "$(dirname "$0")/lib.sh"

dir=tests/scenarios/check

"$VPNLAB" run --backend host -q --results "$tmp/res" scenarios/dataplane/nat-rebind-libipsec.lua \
	>"$tmp/run.out" 2>"$tmp/run.err"
is "$?" 0 "the run that makes the capture passes"
res=$(awk '/^# results: / { print $3; exit }' "$tmp/run.out")
wan=$res/wan.pcap
ok "$([ -s "$wan" ]; echo $?)" "its wan.pcap is there" "$wan"

# --- every point passes ------------------------------------------------------------
esp_udp=$(tshark -r "$wan" -Y 'esp && !icmp' 2>/dev/null | wc -l)
ESP_UDP=$esp_udp "$VPNLAB" check "$wan" "$dir/pass.lua" >"$tmp/pass.out" 2>"$tmp/pass.err"
is "$?" 0 "pass.lua: exit 0"
is "$(grep -c '^ok ' "$tmp/pass.out") $(grep -c '^not ok' "$tmp/pass.out") $(tail -1 "$tmp/pass.out")" "12 0 1..12" \
	"pass.lua: 12 points, all ok, the plan last"
is "$(head -1 "$tmp/pass.out")" "TAP version 13" "pass.lua: a TAP stream"
like "$(grep '^ok 4 ' "$tmp/pass.out")" "as many ESP-in-UDP as tshark counts" \
	"pass.lua: count{esp=udp} == tshark's $esp_udp ESP-in-UDP packets"
ok "$([ "$esp_udp" -ge 6 ]; echo $?)" "tshark counts a real number of them ($esp_udp)"
like "$(cat "$tmp/pass.out")" "# check .*wan\.pcap: [0-9]+ packets on 1 link" "pass.lua: a comment says what was read"
like "$(prove -e cat "$tmp/pass.out" 2>&1)" "Result: PASS" "prove accepts the stream"

# --- built to fail -----------------------------------------------------------------
"$VPNLAB" check "$wan" "$dir/fail.lua" >"$tmp/fail.out" 2>"$tmp/fail.err"
is "$?" 1 "fail.lua: exit 1 (a point failed)"
is "$(grep '^not ok' "$tmp/fail.out" | awk '{ print $3 }' | tr '\n' ' ')" "2 3 4 6 " "fail.lua: exactly points 2, 3, 4 and 6 fail"
is "$(grep -c '^ok ' "$tmp/fail.out") $(tail -1 "$tmp/fail.out")" "2 1..6" "fail.lua: the others pass, the plan is whole"
diag2=$(sed -n '/^not ok 2 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag2" "at: \"tests/scenarios/check/fail.lua:5\"" "fail.lua point 2: at file:line"
like "$diag2" "first_offending: \"[0-9.]+ wan 203\.0\.113\.1:4500 > 203\.0\.113\.2:4500 esp-udp spi 0x[0-9a-f]+ seq 1 .*\(frame [0-9]+\)\"" \
	"fail.lua point 2: the first offending packet, with its frame"
like "$diag2" "pcap: \"$wan\"" "fail.lua point 2: the pcap"
diag3=$(sed -n '/^not ok 3 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag3" "seen_instead: \{.*esp-udp: $esp_udp" "fail.lua point 3: what was seen instead"
diag4=$(sed -n '/^not ok 4 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag4" "window: \"0\.000\.\.0\.200\"" "fail.lua point 4: within = 0.2 is the capture's first 0.2 s"
diag6=$(sed -n '/^not ok 6 /,/^  \.\.\./p' "$tmp/fail.out")
like "$diag6" "got: \"0\"" "fail.lua point 6: is() shows what it got"

# --- a pcapng with two interfaces --------------------------------------------------
if mergecap -I none -F pcapng -w "$tmp/both.pcapng" "$res/lan.pcap" "$wan" 2>/dev/null; then
	"$VPNLAB" check "$tmp/both.pcapng" "$dir/two-links.lua" >"$tmp/two.out" 2>&1
	is "$?" 0 "two interfaces: exit 0" "$(grep -A6 '^not ok' "$tmp/two.out")"
	like "$(grep '^# link' "$tmp/two.out" | tr '\n' ' ')" "# link both:0 # link both:1" "two interfaces: links both:0 and both:1"
else
	ok 1 "mergecap failed"
fi

# --- no root ------------------------------------------------------------------------
mkdir -m 755 "$tmp/nobody"
cp "$wan" "$dir/fail.lua" "$tmp/nobody/"
chmod 644 "$tmp/nobody/"*
chmod 755 "$tmp"
bin=$(readlink -f "$VPNLAB")
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" check "$tmp/nobody/wan.pcap" "$tmp/nobody/fail.lua" \
	>"$tmp/nobody.out" 2>&1
is "$? $(grep -c '^not ok' "$tmp/nobody.out")" "1 4" "as user nobody: the same verdicts (no root, no lab)"

# --- bad input: exit 2 ---------------------------------------------------------------
bad_input() {   # bad_input DESC ERE LUA-TEXT: the check file's error matches ERE, exit 2
	printf '%s\n' "$3" >"$tmp/bad.lua"
	"$VPNLAB" check "$wan" "$tmp/bad.lua" >"$tmp/bad.out" 2>"$tmp/bad.err"
	local st=$?
	is "$st" 2 "$1: exit 2"
	like "$(cat "$tmp/bad.err")" "$2" "$1: the error says so"
}
bad_input "a syntax error" "bad\.lua:3: '\}' expected \(to close '\{' at line 2\)" 'vpnlab.ok(true, "one")
vpnlab.links.wan:seen{ ike = "IKE_SA_INIT"'
like "$(cat "$tmp/bad.out")" "Bail out! .*bad\.lua:3:" "a syntax error: Bail out! on the TAP stream"
is "$(grep -c '^ok' "$tmp/bad.out")" 0 "a syntax error: nothing ran (no point before it)"
bad_input "a runtime error after a point" "bad\.lua:3: attempt to index a nil value" 'vpnlab.ok(true, "one")
local x
x.y = 1'
bad_input "an unknown link object" "bad\.lua:1: no link 'lan' in .*wan\.pcap \(its links: wan\)" 'vpnlab.links.lan:seen{ udp = 500 }'
bad_input "an unknown link = name" "bad\.lua:1: link: unknown link 'lan'" 'vpnlab.seen{ link = "lan", udp = 500 }'
bad_input "vpnlab.start" "bad\.lua:1: vpnlab\.start: check runs no lab" 'local net = vpnlab.start("home-nat")'
bad_input "require(\"vpnlab\")" "bad\.lua:1: require: check runs no lab" 'local v = require("vpnlab")'
bad_input "a daemon on a node" "bad\.lua:1: node 'client': check runs no lab" 'vpnlab.net.nodes.client:strongswan{ psk = "x" }'
bad_input "a link's down()" "bad\.lua:1: check runs no lab" 'vpnlab.links.wan:down()'
bad_input "the sandbox's io" "bad\.lua:1: io\.open is not available" 'io.open("/etc/passwd")'
bad_input "an unknown filter field" "bad\.lua:1: unknown packet field 'bogus'" 'vpnlab.seen{ bogus = 1 }'
bad_input "no test point" "without a single test point" 'local x = 1'

"$VPNLAB" check >/dev/null 2>"$tmp/err"
is "$?" 2 "no arguments: exit 2"
like "$(cat "$tmp/err")" "usage: vpnlab check FILE\.pcap ASSERTIONS\.lua" "no arguments: the usage"
"$VPNLAB" check "$tmp/none.pcap" "$dir/pass.lua" >/dev/null 2>"$tmp/err"
is "$?" 2 "a missing capture: exit 2"
like "$(cat "$tmp/err")" "none\.pcap: No such file" "a missing capture: named"
"$VPNLAB" check "$dir/pass.lua" "$dir/pass.lua" >/dev/null 2>"$tmp/err"
is "$?" 2 "a Lua file as the capture: exit 2"
like "$(cat "$tmp/err")" "pass\.lua: not a pcap" "a Lua file as the capture: not a pcap"
"$VPNLAB" check "$wan" "$tmp/none.lua" >/dev/null 2>"$tmp/err"
is "$?" 2 "a missing check file: exit 2"
like "$(cat "$tmp/err")" "none\.lua: No such file" "a missing check file: named"

finish
