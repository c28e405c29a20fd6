#!/bin/bash
# A CGNAT's RFC 4787 classes, measured (issue 8): three carriers, one per
# filtering class (cgnat = { filtering = X }), each with one subscriber host
# in 100.64.0.0/10 running the RFC 5780 behaviour-discovery probe
# (tests/scenarios/nat-classes/stun5780.py) against a two-address STUN server
# outside. The measured filtering must be the configured one, the measured
# mapping endpoint-independent (a cgnat's only mapping class) and the mapped
# port inside the subscriber's block. Then the same lab with one construction
# broken (k1's inbound DNAT removed) must fail exactly that point, and the
# topology must refuse the mapping classes a cgnat cannot build, at the line.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=36-cgnat-classes
. "$(dirname "$0")/lib.sh"

S=tests/scenarios/cgnat-classes

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

start=$(date +%s.%N)

# ---- 1. the three filtering classes, as configured --------------------------------
run three "$S/three.lua"
is "$(cat "$tmp/three.rc")" 0 "three: exit status 0"
like "$(cat "$tmp/three.out")" "ok 1 - $S/three.lua \\(20 passed, 0 failed" "three: 20 points pass"
dir=$(sed -n 's/^# results: //p' "$tmp/three.out")
i=0
for f in endpoint-independent address-dependent address-and-port-dependent; do
	i=$((i + 1))
	log=$dir/s$i/probe.log
	m=$(sed -n 's/^mapping: //p' "$log" 2>/dev/null)
	got=$(sed -n 's/^filtering: //p' "$log" 2>/dev/null)
	is "$m/$got" "endpoint-independent/$f" "k$i: the probe's log measured mapping endpoint-independent, filtering $f"
	like "$(cat "$tmp/three.out")" "    ok [0-9]+ - k$i: subscriber 100\\.64\\.$i\\.2 leaves from its block " \
		"k$i: the mapped port is in subscriber 100.64.$i.2's block"
	echo "# k$i ($f): $(sed -n 's/^test I: //p' "$log"); block $(sed -n "s/^    ok [0-9]* - k$i: subscriber [0-9.]* leaves from its block \\([^ ]*\\) .*/\\1/p" "$tmp/three.out")"
done

# ---- 2. built wrong: k1's EIF DNAT removed, exactly that point fails ---------------
run wrong "$S/built-wrong.lua"
is "$(cat "$tmp/wrong.rc")" 1 "built-wrong: exit status 1"
is "$(failed_points "$tmp/wrong.out" | tr '\n' '|')" "k1: filtering endpoint-independent|" \
	"built-wrong: exactly k1's filtering fails"
like "$(grep -A4 'not ok 2 - k1' "$tmp/wrong.out" | tr '\n' ' ')" 'got: "address-and-port-dependent" +expected: "endpoint-independent"' \
	"built-wrong: k1 without its DNAT measures address-and-port-dependent filtering"
like "$(cat "$tmp/wrong.out")" "not ok 1 - $S/built-wrong.lua \\(11 passed, 1 failed" "built-wrong: the other 11 points pass"

# ---- 3. the topology's checks -------------------------------------------------------
run errors "$S/errors.lua"
is "$(cat "$tmp/errors.rc")" 0 "errors: exit status 0"
is "$(failed_points "$tmp/errors.out")" "" "errors: no point failed"
like "$(cat "$tmp/errors.out")" "# $S/topologies/cgnat-adm\\.lua:8: cgnat of 'carrier': mapping must be \"endpoint-independent\"" \
	"errors: a refused mapping names the topology's line"

secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
echo "# whole test: ${secs} s"
finish
