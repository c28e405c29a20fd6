#!/bin/bash
# The decrypted view of ESP (tests/scenarios/decrypt/):
#   - inner-view (vm backend: kernel ESP): the SAs come from XFRM, the WAN's
#     ESP-in-UDP shows the ICMP inside; timeline.jsonl has the inner facts;
#     wireshark/esp_sa lets tshark decrypt the same pcap (the README's line).
#   - fail-wrong-key (BUILT TO FAIL, same VM boot): a wrong given key makes
#     the client's packets "undecryptable", with no inner facts: exactly the
#     two points that ask otherwise fail.
#   - no-key-libipsec (host): userspace ESP has no XFRM SA: "no-key"; the
#     point asking for the inner ICMP fails.
#   - bad input: esp_sa and inner filter mistakes are scenario errors at
#     the user's line.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=47-decrypt
. "$(dirname "$0")/lib.sh"

dir=tests/scenarios/decrypt

# The status of each test point of a subtest: "N ok" / "N not ok".
points() {   # points OUTFILE SCENARIO
	awk -v s="$2" '/^# Subtest: / { on = ($3 == s) } on && /^    (not )?ok [0-9]+/ {
		st = ($1 == "not") ? "not ok" : "ok"; n = ($1 == "not") ? $3 : $2; print n, st }' "$1"
}
results_of() {   # results_of OUTFILE SCENARIO: its results folder
	awk -v s="$2" '/^# Subtest: / { on = ($3 == s) } on && /^# results: / { print $3; exit }' "$1"
}

# --- vm: inner-view and fail-wrong-key in one boot, at once -----------------------
# -j 2: the two run at once in one boot (the guest's workers, tests/58-jobs.t for the host's).
"$VPNLAB" run -j 2 --backend vm --results "$tmp/res" "$dir/inner-view.lua" "$dir/fail-wrong-key.lua" \
	>"$tmp/vm.out" 2>"$tmp/vm.err"
is "$?" 1 "vm: exit 1 (one scenario built to fail)"
is "$(points "$tmp/vm.out" "$dir/inner-view.lua" | grep -c ' ok$')" 9 "inner-view: all 9 points pass"
is "$(points "$tmp/vm.out" "$dir/fail-wrong-key.lua" | grep 'not ok' | tr '\n' ' ')" "4 not ok 5 not ok " \
	"fail-wrong-key: exactly points 4 and 5 fail"
like "$(grep -A8 '^    not ok 5 ' "$tmp/vm.out" | grep first_offending)" 'undecryptable \(ICV mismatch' \
	"fail-wrong-key: the diagnostic shows the packet as undecryptable"

good=$(results_of "$tmp/vm.out" "$dir/inner-view.lua")
wrong=$(results_of "$tmp/vm.out" "$dir/fail-wrong-key.lua")
ok "$([ -d "$good" ] && [ -d "$wrong" ]; echo $?)" "both results folders exist" "good=$good" "wrong=$wrong"

# timeline.jsonl: decrypted packets carry the inner facts; undecryptable ones none.
cnt=$(grep '"link":"wan"' "$good/timeline.jsonl" | grep -c '"inner":{"state":"decrypted","next_header":4,"class":"icmp"')
is "$cnt" 4 "inner-view: timeline has 4 decrypted ICMP packets on the WAN (2 requests, 2 replies)"
cnt=$(grep -c '"state":"undecryptable' "$wrong/timeline.jsonl")
ok "$([ "$cnt" -ge 2 ]; echo $?)" "fail-wrong-key: timeline names the undecryptable packets ($cnt)"
cnt=$(grep '"state":"undecryptable' "$wrong/timeline.jsonl" | grep -c '"inner":{[^}]*"class"')
is "$cnt" 0 "fail-wrong-key: no inner facts for an undecryptable packet"

# wireshark/esp_sa: one line per SA with wildcard addresses; tshark decrypts with it.
is "$(grep -c '^"IPv4","\*","\*","0x[0-9a-f]\{8\}","AES-GCM with 16 octet ICV \[RFC4106\]"' "$good/wireshark/esp_sa")" 2 \
	"inner-view: wireshark/esp_sa holds both AES-GCM SAs with wildcard addresses"
if command -v tshark >/dev/null; then
	WIRESHARK_CONFIG_DIR="$good/wireshark" tshark -n -r "$good/wan.pcap" >"$tmp/tshark.out" 2>&1
	is "$(grep -c 'Echo (ping) request' "$tmp/tshark.out")" 2 \
		"tshark with WIRESHARK_CONFIG_DIR=<results>/wireshark shows both echo requests inside the ESP"
	tshark -n -r "$good/wan.pcap" >"$tmp/tshark-plain.out" 2>&1
	is "$(grep -c 'Echo (ping)' "$tmp/tshark-plain.out")" 0 "tshark without the keys shows no ICMP (the check can fail)"
else
	ok 1 "tshark is installed (make deps)"
fi

# --- host: userspace ESP has no key -------------------------------------------
"$VPNLAB" run --backend host --results "$tmp/res" "$dir/no-key-libipsec.lua" >"$tmp/host.out" 2>&1
is "$?" 1 "no-key-libipsec: exit 1 (built to fail)"
is "$(points "$tmp/host.out" "$dir/no-key-libipsec.lua" | grep 'not ok' | tr '\n' ' ')" "3 not ok " \
	"no-key-libipsec: exactly point 3 (the inner ICMP) fails; no-key seen, no SA listed"

# --- bad input -------------------------------------------------------------------
"$VPNLAB" run --backend host --results "$tmp/res" "$dir/bad/" >"$tmp/bad.out" 2>&1
is "$?" 2 "bad input: exit 2"
for f in esp-sa-encr:1:"unknown encr 'aes999'" esp-sa-key:1:"key must be 16 bytes of hex for aes128" \
         inner-value:2:"inner must be a packet filter table" inner-nested:2:"'inner' belongs to the outer filter" \
         ppp-name:2:"ppp: unknown value 'LPC'"; do
	name=${f%%:*}
	rest=${f#*:}
	line=${rest%%:*}
	msg=${rest#*:}
	grep -qF "not ok" <(grep -F "$dir/bad/$name.lua (scenario error: $dir/bad/$name.lua:$line: " "$tmp/bad.out") &&
		grep -F "$dir/bad/$name.lua:$line:" "$tmp/bad.out" | grep -qF "$msg"
	ok $? "bad input: $name is a scenario error at line $line ($msg)"
done

finish
