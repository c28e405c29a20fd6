#!/bin/bash
# -j N: scenarios at once, the TAP whole and in order (host backend; the VM's
# workers are exercised by tests/47-decrypt.t's -j 2 boot).
#   - bad -j values are usage errors (exit 2, nothing run);
#   - -j 2 over passing, failing (BUILT TO FAIL) and erroring scenarios: the
#     same top-level lines, in the same order, with the same exit status and
#     counts as -j 1, and prove accepts the stream;
#   - each subtest printed whole: no line of another scenario inside it;
#   - SIGTERM while two scenarios wait: both are "interrupted", never scored,
#     Bail out!, exit 143, nothing left running.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=58-jobs
. "$(dirname "$0")/lib.sh"

set_a=(scenarios/filters/ruleset.lua tests/scenarios/fail/home-nat-wrong.lua
       tests/scenarios/errors/runtime.lua scenarios/filters/block-dir.lua
       scenarios/ports/11-peer-acl.lua tests/scenarios/fail/block-dir.lua)
for f in "${set_a[@]}"; do
	[ -f "$f" ] || { ok 1 "fixture $f exists"; finish; }
done

# --- bad values ------------------------------------------------------------
for val in 0 65 -1 x 2x ""; do
	"$VPNLAB" run -j "$val" --backend host --results "$tmp/bad" scenarios/filters/ruleset.lua \
		>"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	is "$rc/$(wc -c <"$tmp/bad.out")/$([ -e "$tmp/bad" ] && echo made || echo none)" "2/0/none" \
		"-j '$val': exit 2, no TAP, no results folder"
done
like "$(cat "$tmp/bad.err")" '-j needs a number of scenarios at once from 1 to 64' "-j: the message says the range"

# --- -j 1 and -j 2 agree ------------------------------------------------------
"$VPNLAB" run -j 1 --backend host --results "$tmp/r1" "${set_a[@]}" >"$tmp/j1.out" 2>"$tmp/j1.err"
rc1=$?
start=$(date +%s%N)
"$VPNLAB" run -j 2 --backend host --results "$tmp/r2" "${set_a[@]}" >"$tmp/j2.out" 2>"$tmp/j2.err"
rc2=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# -j 2 over ${#set_a[@]} scenarios: $ms ms"
is "$rc1" 2 "-j 1: exit 2 (a scenario error among them)"
is "$rc2" "$rc1" "-j 2: the same exit status"
tops() { grep -E '^(not )?ok [0-9]+ - ' "$1" | sed -E 's/ \([^)]*\)$//; s/\(([0-9]+ passed, [0-9]+ failed).*\)/(\1)/'; }
is "$(tops "$tmp/j2.out")" "$(tops "$tmp/j1.out")" "-j 2: the same top-level lines in the same order"
is "$(grep -E '^(not )?ok [0-9]+ - ' "$tmp/j2.out" | awk '{ print ($1 == "not") ? $3 : $2 }' | tr '\n' ' ')" \
	"1 2 3 4 5 6 " "-j 2: top-level points numbered 1..6"
is "$(sed -n 's/^vpnlab: \([0-9]* scenarios: .*errors\?\);.*/\1/p' "$tmp/j2.err")" \
	"$(sed -n 's/^vpnlab: \([0-9]* scenarios: .*errors\?\);.*/\1/p' "$tmp/j1.err")" "-j 2: the same counts in the summary"
cp "$tmp/j2.out" "$tmp/j2.t"
prove -e cat "$tmp/j2.t" >"$tmp/prove.out" 2>&1
grep -q 'Parse errors' "$tmp/prove.out"
ok $((1 - $?)) "-j 2: prove reads the stream without parse errors" "$(tail -n 5 "$tmp/prove.out")"

# Each subtest whole: between "# Subtest: X" and X's top-level line, only X's indented lines.
bad_lines=$(awk '/^# Subtest: / { name = $3; inside = 1; next }
	inside && /^(not )?ok [0-9]+ - / { if (index($0, name) == 0) print "wrong top line: " $0; inside = 0; next }
	inside && !/^    / && !/^$/ { print "foreign line: " $0 }' "$tmp/j2.out")
is "$bad_lines" "" "-j 2: every subtest is whole, followed by its own top-level line"
for f in "${set_a[@]}"; do
	slug=$(printf '%s' "${f%.lua}" | tr '/' '_')
	[ -f "$tmp/r2/latest/$slug/tap.txt" ] || [ -d "$(ls -d "$tmp"/r2/2*/"$slug" 2>/dev/null | head -1)" ]
	ok $? "-j 2: $f has its results folder"
done
is "$(ls -A "$(ls -d "$tmp"/r2/2* | head -1)" | grep -c '^\.jobs$')" 0 "-j 2: the workers' scratch files are gone"

# --- SIGTERM with two scenarios waiting ------------------------------------------
C=tests/scenarios/contract
mkdir -p "$tmp/int"
cp $C/wait-within.lua "$tmp/int/a-wait.lua"
cp $C/wait-within.lua "$tmp/int/b-wait.lua"
cp -r $C/topologies "$tmp/int/" 2>/dev/null
# A quick scenario first: its slot must go to b-wait at once (a runner that
# refilled slots only when woken by the next exit would leave b-wait unstarted).
"$VPNLAB" run -j 2 --backend host --results "$tmp/ri" scenarios/filters/ruleset.lua "$tmp/int/a-wait.lua" "$tmp/int/b-wait.lua" \
	>"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 200); do
	[ "$(find "$tmp/ri" -name waiting 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.05
done
is "$(find "$tmp/ri" -name waiting 2>/dev/null | wc -l)" 2 "SIGTERM: both scenarios are waiting at once (the quick one's slot refilled)"
kill -TERM $pid
wait $pid
is "$?" 143 "SIGTERM: exit 143"
is "$(grep -c '^    not ok [0-9]* - interrupted' "$tmp/int.out")" 2 "SIGTERM: both scenarios end 'interrupted'"
is "$(grep -cE '^    (not )?ok [0-9]+ - (count|never): udp/9' "$tmp/int.out")" 0 "SIGTERM: no cut wait is scored"
like "$(tail -n 1 "$tmp/int.out")" '^Bail out! interrupted by SIGTERM' "SIGTERM: Bail out! last"
left=$(pgrep -f "$tmp/int/" | grep -v "^$$\$")
is "$left" "" "SIGTERM: nothing of the run is left"

finish
