#!/bin/bash
# The NAT's RFC 4787 classes, measured (issue 8): nine routers, one per
# mapping x filtering combination, each with an RFC 5780 behaviour-discovery
# probe behind it (tests/scenarios/nat-classes/stun5780.py, a STUN client and
# a server with two addresses and two ports); the measured classes must be
# the configured ones. Then the same lab with three constructions broken
# must fail exactly those three classes, and the other NAT fields (default
# masquerade, port preservation, port_range, pool, hairpin, udp_timeout,
# router:set, router:mappings, mappings.txt) are measured too. Finally the
# generated nft text is checked (vpnlab.nat's unit scenario).
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=35-nat-classes
. "$(dirname "$0")/lib.sh"

S=tests/scenarios/nat-classes

# run NAME FILE...: the runner's stdout/stderr/status in $tmp/NAME.{out,err,rc}.
run() {
	local name=$1
	shift
	"$VPNLAB" run --results "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

# The subtest's "not ok" point descriptions, one a line, sorted.
failed_points() {
	sed -n 's/^    not ok [0-9]* - //p' "$1" | sort
}

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 (the RFC 5780 probe) is not installed"
	exit 0
fi

# ---- 1. the nine classes, as configured ------------------------------------------
start=$(date +%s.%N)
run nine "$S/nine.lua"
is "$(cat "$tmp/nine.rc")" 0 "nine: exit status 0"
like "$(cat "$tmp/nine.out")" "ok 1 - $S/nine.lua \\(27 passed, 0 failed" "nine: 27 points pass"
dir=$(sed -n 's/^# results: //p' "$tmp/nine.out")
for i in 1 2 3 4 5 6 7 8 9; do
	log=$dir/c$i/probe.log
	m=$(sed -n 's/^mapping: //p' "$log" 2>/dev/null)
	f=$(sed -n 's/^filtering: //p' "$log" 2>/dev/null)
	want=$(sed -n "s/^    ok [0-9]* - r$i: mapping \\(.*\\)\$/\\1/p" "$tmp/nine.out")
	wantf=$(sed -n "s/^    ok [0-9]* - r$i: filtering \\([^ ]*\\) .*/\\1/p" "$tmp/nine.out")
	is "$m/$f" "$want/$wantf" "r$i: the probe's log measured mapping $want, filtering $wantf"
	echo "# r$i: $(sed -n 's/^test I: //p' "$log")"
done

# ---- 2. built wrong: three constructions broken, exactly three classes fail ------
run wrong "$S/built-wrong.lua"
is "$(cat "$tmp/wrong.rc")" 1 "built-wrong: exit status 1"
is "$(failed_points "$tmp/wrong.out" | tr '\n' '|')" \
	"r1: filtering endpoint-independent (with endpoint-independent mapping)|r4: mapping address-dependent|r5: filtering address-dependent (with address-dependent mapping)|" \
	"built-wrong: exactly the three broken classes fail"
like "$(grep -A4 'not ok 3 - r1' "$tmp/wrong.out" | tr '\n' ' ')" 'got: "address-and-port-dependent" +expected: "endpoint-independent"' \
	"built-wrong: r1 without its EIF DNAT measures address-and-port-dependent filtering"
like "$(grep -A4 'not ok 11 - r4' "$tmp/wrong.out" | tr '\n' ' ')" 'got: "endpoint-independent" +expected: "address-dependent"' \
	"built-wrong: r4 with plain masquerade measures endpoint-independent mapping"

# ---- 3. the other fields --------------------------------------------------------
run features "$S/features.lua"
is "$(cat "$tmp/features.rc")" 0 "features: exit status 0"
is "$(failed_points "$tmp/features.out")" "" "features: no point failed"
like "$(cat "$tmp/features.out")" '# event at [0-9.]+ s: keep:set udp_timeout 2 s|# keep:set udp_timeout 2 s at [0-9.]+ s' \
	"features: router:set is logged with its time"
dir=$(sed -n 's/^# results: //p' "$tmp/features.out")
for r in plain norm keep pooled hp; do
	[ -s "$dir/$r/mappings.txt" ] && head -1 "$dir/$r/mappings.txt" | grep -q '^# proto inside -> outside'
	ok $? "features: $r/mappings.txt is the end-of-scenario snapshot" "$(head -3 "$dir/$r/mappings.txt" 2>&1)"
done
grep -q "^udp 10\\.0\\.3\\.[0-9]*:7779 -> 198\\.51\\.100\\.[0-9]*:7779 remote 198\\.51\\.100\\.200:9 " "$dir/keep/mappings.txt"
ok $? "features: keep/mappings.txt holds the last flow, port kept" "$(cat "$dir/keep/mappings.txt")"

# ---- 4. the nft text (unit) -----------------------------------------------------
run unit "$S/rules.lua"
is "$(cat "$tmp/unit.rc")" 0 "rules: the generated nft text is what each class needs"
is "$(failed_points "$tmp/unit.out")" "" "rules: no point failed"

secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
echo "# whole test: ${secs} s"
finish
