#!/bin/bash
# The runner's contract (README "What a verdict means"): an interrupt, a time
# limit, an early exit, an empty scenario or a scenario error is never a pass
# and never one of the scenario's own assertions; the scenario environment
# has no door to the host but the documented ones; folder expansion ends.
# Every scenario here is in tests/scenarios/contract/ and runs on the host.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=25-contract
. "$(dirname "$0")/lib.sh"

C=tests/scenarios/contract
HOST=(--backend host)

run() {   # run NAME ARGS...: leaves $tmp/NAME.{out,err} and $rc
	local name=$1
	shift
	"$VPNLAB" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

# until_true SECONDS CMD...: polls CMD every 0.05 s for up to SECONDS.
until_true() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

# ---- interrupts during a `within` wait -----------------------------------------
# wait-within.lua and wait-never.lua write results/.../waiting just before a
# 30 s wait; the signal comes then. A second scenario must never start.
mkdir -p "$tmp/int"
cp $C/wait-within.lua "$tmp/int/a-count.lua"
cp $C/wait-never.lua "$tmp/int/a-never.lua"
cp $C/files.lua "$tmp/int/b-after.lua"
cp -r $C/topologies "$tmp/int/"

interrupt() {   # interrupt NAME SIG SCENARIO WAIT_DESC
	local name=$1 sig=$2 scen=$3 what=$4 pid
	"$VPNLAB" run "${HOST[@]}" --results "$tmp/$name" "$scen" "$tmp/int/b-after.lua" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	until_true 20 sh -c "ls $tmp/$name/*/*/waiting >/dev/null 2>&1"
	ok $? "$name: the scenario reached its wait"
	sleep 0.3   # well inside the 30 s wait
	kill -"$sig" $pid
	wait $pid
	rc=$?
	local want=130
	[ "$sig" = TERM ] && want=143
	is "$rc" "$want" "$name: exit status 128 + SIG$sig"
	! grep -q "^    \(not \)\?ok [0-9]* - $what" "$tmp/$name.out"
	ok $? "$name: the cut wait ($what) is not scored, neither ok nor not ok" "$(grep "$what" "$tmp/$name.out")"
	like "$(grep '^      message: ' "$tmp/$name.out")" "interrupted by SIG$sig while waiting for $what" \
		"$name: the interruption says where and what it was waiting for"
	like "$(grep '^not ok 1 - ' "$tmp/$name.out")" "\\(interrupted by SIG$sig\\)" "$name: the scenario's top-level point fails, naming the signal"
	is "$(grep -c '^# Subtest: ' "$tmp/$name.out")" 1 "$name: the next scenario never started"
	like "$(tail -n 1 "$tmp/$name.out")" "^Bail out! interrupted by SIG$sig" "$name: the stream ends with Bail out! naming the signal"
	ok "$(pgrep -f -- "--results $tmp/$name" | wc -l)" "$name: no process of the run is left"
}
interrupt term-count TERM "$tmp/int/a-count.lua" "count: udp/9 appears"
interrupt int-count INT "$tmp/int/a-count.lua" "count: udp/9 appears"
interrupt term-never TERM "$tmp/int/a-never.lua" "never: udp/9 stays away"

# ---- a busy scenario: stopped by its time limit and by a signal ------------------

timed_out() {   # timed_out NAME SCENARIO WHERE
	local name=$1 scen=$2 where=$3 t0=$SECONDS
	run "$name" run "${HOST[@]}" --timeout 1 --results "$tmp/$name" "$scen" $C/files.lua
	is "$rc" 2 "$name: exit status 2"
	[ $((SECONDS - t0)) -lt 30 ]
	ok $? "$name: stopped within seconds of its 1 s limit ($((SECONDS - t0)) s)"
	like "$(grep '^      message: ' "$tmp/$name.out")" "$where: time limit of 1 s reached busy in Lua" \
		"$name: the report says where it was"
	like "$(grep -E '^(not )?ok [12] - .*'"$(basename "$scen")" "$tmp/$name.out")" '^not ok .*\(stopped at its time limit: ' \
		"$name: its top-level point fails with the time limit"
	like "$(grep -E '^(not )?ok [12] - .*files\.lua' "$tmp/$name.out")" '^ok ' "$name: the next scenario still runs and passes"
	is "$(tail -n 1 "$tmp/$name.out")" "1..2" "$name: one plan for both"
}
timed_out busy-loop $C/busy-loop.lua "$C/busy-loop.lua:4"
timed_out busy-pcall $C/busy-pcall.lua "$C/busy-pcall.lua:5"
timed_out topology-loop $C/topology-loop.lua "$C/topologies/forever.lua:2"

"$VPNLAB" run "${HOST[@]}" --results "$tmp/busy-term" $C/busy-loop.lua >"$tmp/busy-term.out" 2>&1 &
pid=$!
until_true 20 grep -qs '^ok 1 ' "$tmp"/busy-term/*/*/tap.txt
sleep 0.2
kill -TERM $pid
wait $pid
is "$?" 143 "busy-term: a busy Lua loop is stopped by SIGTERM (exit 143)"
like "$(grep '^      message: ' "$tmp/busy-term.out")" "busy-loop.lua:4: interrupted by SIGTERM" "busy-term: the report says where it was"

run badtimeout run --timeout 0 $C/files.lua
is "$rc" 2 "--timeout 0: a usage error"
like "$(cat "$tmp/badtimeout.err")" "--timeout needs a positive number of seconds, not '0'" "--timeout 0: says why"
run badtimeout2 run --timeout 5x $C/files.lua
is "$rc" 2 "--timeout 5x: a usage error"

# ---- early exits and empty scenarios --------------------------------------------

run exit-after-fail run "${HOST[@]}" --results "$tmp/exit" $C/exit-after-fail.lua
is "$rc" 2 "os.exit(0) after a failing point: exit status 2, not 0"
grep -q '^    not ok 1 - this point fails$' "$tmp/exit-after-fail.out"
ok $? "os.exit(0): the failing point stands"
like "$(grep 'error: ' "$tmp/exit-after-fail.out")" "$C/exit-after-fail.lua:3: os.exit is not available to scenarios" \
	"os.exit(0): refused at its line"
is "$(tail -n 1 "$tmp/exit-after-fail.out")" "1..1" "os.exit(0): the stream still ends with its plan"

run empty run "${HOST[@]}" --results "$tmp/empty" $C/empty.lua
is "$rc" 2 "an empty scenario: exit status 2"
like "$(grep '^not ok 1' "$tmp/empty.out")" 'empty\.lua \(no test points\)' "an empty scenario fails: no test points"
! grep -q '^1\.\.0' "$tmp/empty.out"
ok $? "an empty scenario: no '1..0' plan anywhere"

# ---- the scenario environment ----------------------------------------------------

refused() {   # refused NAME SCENARIO ERE
	rm -f /tmp/vpnlab-contract-escape
	run "$1" run "${HOST[@]}" --results "$tmp/$1" "$2"
	is "$rc" 2 "$1: exit status 2"
	like "$(grep '^      error: ' "$tmp/$1.out")" "$3" "$1: refused at the line, saying what to use instead"
	[ ! -e /tmp/vpnlab-contract-escape ]
	ok $? "$1: nothing was written on the host"
}
refused io-open $C/io-open.lua "$C/io-open.lua:2: io.open is not available to scenarios: .*vpnlab.write"
refused os-execute $C/os-execute.lua "$C/os-execute.lua:2: os.execute is not available to scenarios: .*node:exec"
refused load-escape $C/load-escape.lua "os.execute is not available to scenarios"

run files run "${HOST[@]}" --results "$tmp/files" $C/files.lua
is "$rc" 0 "vpnlab.read, vpnlab.write and print keep to their doors"
grep -q '^    # print goes to a TAP comment$' "$tmp/files.out"
ok $? "print is a TAP comment inside the subtest"
ls "$tmp"/files/*/*/notes/out.txt >/dev/null 2>&1
ok $? "vpnlab.write's file is in the scenario's results folder"

for kind in table nil; do
	run "error-$kind" run "${HOST[@]}" --results "$tmp/error-$kind" $C/error-$kind.lua
	is "$rc" 2 "error($kind): exit status 2"
	like "$(grep '^      error: ' "$tmp/error-$kind.out")" "^      error: \"$C/error-$kind.lua:2: error object is a $kind value\"" \
		"error($kind): reported at the scenario's line"
done

# ---- runtime events: in the TAP, the failing point's YAML and the timeline --------

run events run "${HOST[@]}" --results "$tmp/events" $C/events.lua
is "$rc" 1 "events: the scenario built to fail once fails (exit 1)"
like "$(grep '^    # event at ' "$tmp/events.out" | head -n 1)" '^    # event at [0-9.]+ s: home:block icmp$' "events: the block is a TAP comment with its time"
like "$(sed -n '/not ok 1 - a ping crosses/,/\.\.\./p' "$tmp/events.out" | grep 'events: ')" \
	'events: "home:block icmp at [0-9.]+ s"' "events: the failing point says the block came before it"
tl=$(ls "$tmp"/events/2*/*/timeline.jsonl | head -n 1)
is "$(grep -c '"event":' "$tl")" 2 "events: block and unblock are in timeline.jsonl"
awk -F'[:,]' '/"t":/ { if ($2 + 0 < last) bad = 1; last = $2 + 0 } END { exit bad }' "$tl"
ok $? "events: the timeline stays in time order with the events in it"

run linkdown run "${HOST[@]}" --results "$tmp/linkdown" $C/linkdown.lua
is "$rc" 1 "link down: the scenario built to fail once fails (exit 1)"
is "$(grep -c '^    not ok' "$tmp/linkdown.out")" 1 "link down: exactly one point fails"
grep -q '^    not ok [0-9]* - a second ping crosses (fails: the link is down)$' "$tmp/linkdown.out"
ok $? "link down: the failing point is the one that expected traffic across the cut link"
like "$(grep 'events: ' "$tmp/linkdown.out")" 'events: "link wan down at [0-9.]+ s"' "link down: its diagnostic names the cut"
grep -q '^    ok [0-9]* - the ping works again after up()$' "$tmp/linkdown.out"
ok $? "link up: traffic crosses again"

# ---- the same contract in the VM -------------------------------------------------
# One boot: a busy loop past its limit, a passing scenario, a syntax error.
if [ -e "${VPNLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpnlab}/vm/current" ]; then
	run vm run --backend vm --timeout 1 --results "$tmp/vm" $C/busy-loop.lua $C/files.lua tests/scenarios/errors/syntax.lua
	is "$rc" 2 "vm: exit status 2 (a time limit and a scenario error)"
	like "$(grep '^not ok 1 - ' "$tmp/vm.out")" "busy-loop.lua \(stopped at its time limit: $C/busy-loop.lua:4: time limit of 1 s reached busy in Lua\)" \
		"vm: the busy loop is stopped at its limit (in scenario seconds), same message as on the host"
	like "$(grep '^ok 2 - ' "$tmp/vm.out")" 'files\.lua \(6 passed, 0 failed' "vm: the next scenario runs and passes"
	like "$(grep '^not ok 3 - ' "$tmp/vm.out")" "syntax\.lua \(scenario error: tests/scenarios/errors/syntax\.lua:3: " "vm: a scenario error is that scenario's alone"
	is "$(tail -n 1 "$tmp/vm.out")" "1..3" "vm: one plan for all three"
	# SIGTERM while the guest waits: QEMU is killed, the wait is never scored.
	"$VPNLAB" run --backend vm --results "$tmp/vmint" $C/wait-within.lua >"$tmp/vmint.out" 2>&1 &
	pid=$!
	until_true 120 sh -c "ls $tmp/vmint/*/*/waiting >/dev/null 2>&1"
	ok $? "vm-int: the guest's scenario reached its wait"
	sleep 0.5
	kill -TERM $pid
	wait $pid
	is "$?" 143 "vm-int: exit status 143"
	! grep -q '^    \(not \)\?ok [0-9]* - count: udp/9 appears' "$tmp/vmint.out"
	ok $? "vm-int: the cut wait is not scored"
	like "$(grep '^Bail out!' "$tmp/vmint.out")" 'interrupted by SIGTERM' "vm-int: Bail out! names the signal"
	is "$(pgrep -c -f -- "--results $tmp/vmint")" 0 "vm-int: nothing of the run is left (QEMU included)"
else
	ok 0 "vm: the contract in the VM # SKIP no prepared VM: run 'vpnlab vm prepare' (make check does)"
fi

# ---- folders ---------------------------------------------------------------------

mkdir -p "$tmp/loop/sub" "$tmp/loop/topologies"
cp $C/files.lua "$tmp/loop/sub/one.lua"
ln -s .. "$tmp/loop/sub/up"
cp $C/topologies/forever.lua "$tmp/loop/topologies/forever.lua"
cp -r $C/topologies "$tmp/loop/sub/"
run symloop run "${HOST[@]}" --results "$tmp/symloop-res" "$tmp/loop"
is "$rc" 0 "a folder with a symlink loop: runs and passes"
is "$(grep -c '^# Subtest: ' "$tmp/symloop.out")" 1 "a symlink loop: the one scenario runs once, and topologies/ is not run as a scenario"

finish
