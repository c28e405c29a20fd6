#!/bin/bash
# L2TP endpoints (node:l2tp, xl2tpd + pppd) and the L2TP/IPsec port facts:
#   - one VM boot (kernel ESP, L2TP and PPP): scenarios/ports/07, 08, 09 and
#     13 and an IKEv2 variant of 07 (tests/scenarios/l2tp/) pass every
#     point; four scenarios BUILT TO FAIL fail exactly their
#     marked points (tests/scenarios/fail-l2tp/): a wrong CHAP password (PPP
#     never comes up, and the await ends when pppd gives up, not at its
#     deadline), clear udp/1701 asserted on a WAN that carries L2TP only
#     inside ESP, L2TP without IPsec against `never{ udp = 1701 }` and
#     `never{ ppp = "LCP" }`, and a
#     LAC without IPsec against an LNS with require_ipsec (no PPP).
#   - the generated files are in the results folder (xl2tpd.conf, pppd's
#     options, the private /etc/ppp with its secrets readable by root only)
#     and xl2tpd used the kernel's L2TP.
#   - nothing outlives the run: no xl2tpd or pppd process, no /etc/ppp mount.
#   - --backend host on a kernel without ESP/L2TP/PPP: the scenario is a SKIP
#     saying how to run it.
#   - bad input: an unknown field, a wrong type, an LNS without a pool, an
#     LNS field on a LAC are scenario errors at the user's file:line (these
#     run on the host).
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=45-l2tp
. "$(dirname "$0")/lib.sh"

P=scenarios/ports
F=tests/scenarios/fail-l2tp
good="$P/07-l2tp-ipsec-through-nat.lua $P/08-l2tp-server-behind-nat.lua $P/09-l2tp-only-under-ipsec-policy.lua $P/13-two-l2tp-clients-one-nat.lua tests/scenarios/l2tp/ikev2-through-nat.lua"
built_to_fail="$F/wrong-password.lua $F/clear-1701.lua $F/no-ipsec.lua $F/require-ipsec.lua"

# The status of each test point of a subtest: "N ok" / "N not ok".
points() {   # points OUTFILE SCENARIO
	awk -v s="$2" '/^# Subtest: / { on = ($3 == s) } on && /^    (not )?ok [0-9]+/ {
		st = ($1 == "not") ? "not ok" : "ok"; n = ($1 == "not") ? $3 : $2; print n, st }' "$1"
}
results_of() {   # results_of OUTFILE SCENARIO: its results folder
	awk -v s="$2" '/^# Subtest: / { on = ($3 == s) } on && /^# results: / { print $3; exit }' "$1"
}

# --- vm: every L2TP scenario in one boot -------------------------------------
# shellcheck disable=SC2086
"$VPNLAB" run --backend vm --results "$tmp/res" $good $built_to_fail >"$tmp/vm.out" 2>"$tmp/vm.err"
is "$?" 1 "vm: exit 1 (four scenarios built to fail)"
is "$(grep -c '^# vm: 9 scenarios for the VM: booting' "$tmp/vm.out")" 1 "vm: one boot for the nine scenarios"
for s in $good; do
	total=$(points "$tmp/vm.out" "$s" | wc -l)
	failed=$(points "$tmp/vm.out" "$s" | grep -c 'not ok')
	ok "$([ "$total" -gt 0 ] && [ "$failed" -eq 0 ]; echo $?)" "$s: all $total points pass" \
		"$(grep -A6 '^    not ok' "$tmp/vm.out" | head -20)"
	wall=$(grep -E "^(not )?ok [0-9]+ - $s " "$tmp/vm.out" | sed -n 's/.*, \([0-9.]*\) s)$/\1/p')
	echo "# $s: ${wall:-?} s in the VM"
done
is "$(points "$tmp/vm.out" "$F/wrong-password.lua" | grep 'not ok' | tr '\n' ' ')" "2 not ok " \
	"wrong-password: exactly point 2 (PPP up) fails"
is "$(points "$tmp/vm.out" "$F/wrong-password.lua" | wc -l)" 6 "wrong-password: all six points ran"
is "$(points "$tmp/vm.out" "$F/clear-1701.lua" | grep 'not ok' | tr '\n' ' ')" "3 not ok " \
	"clear-1701: exactly point 3 (clear udp/1701 on the WAN) fails"
is "$(points "$tmp/vm.out" "$F/no-ipsec.lua" | grep 'not ok' | tr '\n' ' ')" "3 not ok 6 not ok " \
	"no-ipsec: exactly points 3 (never udp/1701) and 6 (never a clear PPP LCP) fail"
is "$(points "$tmp/vm.out" "$F/require-ipsec.lua" | grep 'not ok' | tr '\n' ' ')" "1 not ok " \
	"require-ipsec: exactly point 1 (PPP up without IPsec) fails; the LNS's rule dropped the clear SCCRQ"
is "$(points "$tmp/vm.out" "$F/require-ipsec.lua" | wc -l)" 4 "require-ipsec: all four points ran"
like "$(grep -A12 'not ok 3 - BUILT TO FAIL: no clear udp/1701' "$tmp/vm.out" | tr '\n' ' ')" 'udp.*1701' \
	"no-ipsec: the diagnostic names the clear udp/1701 packet"

# --- the results folder ------------------------------------------------------
r07=$(results_of "$tmp/vm.out" "$P/07-l2tp-ipsec-through-nat.lua")
missing=""
for f in gateway/xl2tpd.conf gateway/options.xl2tpd gateway/etc-ppp/chap-secrets gateway/etc-ppp/options \
	gateway/xl2tpd.log client/xl2tpd.conf client/options.xl2tpd client/xl2tpd.log; do
	[ -s "$r07/$f" ] || missing="$missing $f"
done
is "$missing" "" "07: generated files and logs are in the results folder ($r07)"
like "$(cat "$r07/gateway/xl2tpd.conf" 2>&1)" 'ip range = 10\.77\.0\.10-10\.77\.0\.20' "07: the LNS's pool is in xl2tpd.conf"
like "$(stat -c %a "$r07/gateway/etc-ppp/chap-secrets" 2>&1)" '^600$' "07: chap-secrets is readable by root only"
like "$(cat "$r07/client/options.xl2tpd" 2>&1 | tr '\n' ' ')" 'ip-up-script /bin/true ip-down-script /bin/true' \
	"07: pppd runs no ip-up/ip-down script"
like "$(cat "$r07/client/xl2tpd.log" 2>&1)" 'Using l2tp kernel support' "07: xl2tpd used the kernel's L2TP"
like "$(cat "$r07/client/xl2tpd.log" 2>&1)" 'local  IP address 10\.77\.0\.1[0-9]' "07: pppd's log is in xl2tpd.log"

# --- nothing outlives the run ------------------------------------------------
left=$(pgrep -x xl2tpd; pgrep -x pppd)
is "$left" "" "no xl2tpd or pppd process is left"
is "$(grep -c ' /etc/ppp ' /proc/self/mountinfo)" 0 "no mount on /etc/ppp is left"

# --- host backend: what the kernel lacks is a SKIP ---------------------------
"$VPNLAB" doctor >"$tmp/doctor.out" 2>&1
if grep -Eq '^kernel esp +yes' "$tmp/doctor.out" && grep -Eq '^kernel l2tp +yes' "$tmp/doctor.out"; then
	ok 0 "host: this kernel has ESP and L2TP (nothing to skip) # SKIP host has the features"
else
	"$VPNLAB" run --backend host --results "$tmp/host" "$P/07-l2tp-ipsec-through-nat.lua" >"$tmp/host.out" 2>&1
	is "$?" 0 "host: exit 0 (skipped, not failed)"
	like "$(grep -E '^ok 1 ' "$tmp/host.out")" '# SKIP .*(esp|l2tp|ppp).*--backend vm' "host: a SKIP naming the feature and --backend vm"
fi

# --- bad input: scenario errors at the user's line ---------------------------
for case in "error-unknown-field unknown field 'pasword'" "error-wrong-type users must be a table, not a string" \
	"error-lns-no-pool an LNS needs pool" "error-role-field require_ipsec is an LNS field"; do
	name=${case%% *}
	want=${case#* }
	"$VPNLAB" run --backend host --results "$tmp/$name" "$F/$name.lua" >"$tmp/$name.out" 2>&1
	is "$?" 2 "$name: exit status 2 (scenario error)"
	line=$(grep -n -- '-- ERROR-HERE$' "$F/$name.lua" | cut -d: -f1)
	like "$(grep -m1 '^      error: ' "$tmp/$name.out")" "error: \"$F/$name.lua:$line: l2tp on '[a-z]+': $want" \
		"$name: the error names $F/$name.lua:$line and says what is wrong"
done

finish
