#!/bin/bash
# The live lab (issue 11): vpnlab up|exec|shell|capture|down|ls, host backend
# only. A live lab is the one documented exception to "nothing outlives a
# run", so its cleanup is tested as hard as the runner's (30-cleanup.t):
# - up of a topology (home-nat) and of a scenario with a pause and two
#   charons (tests/scenarios/live/tunnel.lua); ls shows both; a second up of
#   a name in use fails.
# - exec: ping across the NAT and through the tunnel, exit statuses passed
#   through (0, 7, 127), swanctl reaches its node's charon; a node or lab that
#   does not exist, or a lab whose holder is dead, is a clear error (2).
# - shell run non-interactively lives in the node's namespaces and passes
#   its exit status through; capture --count N decodes a ping's frames
#   (text and JSON).
# - down: the lab's processes (charons, a command left running in it, a
#   capture), its PID namespace and its nodes' network namespaces are gone,
#   no file descriptor anywhere still holds one, the registry entry is gone,
#   the timeline was written; the host's namespaces, links, mounts, nft
#   ruleset and /run are as before.
# - kill -9 of a holder: ls says dead, exec says so, down --all cleans it.
# - up of scenarios BUILT TO FAIL (an error at line 6, one needing kernel
#   ESP, one without a lab) fails with the reason and file:line, exit 2,
#   leaving nothing; bad arguments exit 2.
# - under vpnlab run the pause does nothing but say so.
#
# The registry is this test's own ($VPNLAB_LABS): other labs are not touched.
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=67-live
. "$(dirname "$0")/lib.sh"

export VPNLAB_LABS=$tmp/labs
results=$tmp/results
OTHERS='swr-|vicitest'

# Whatever happens, no lab of this test is left behind.
trap '"$VPNLAB" down --all >/dev/null 2>&1' EXIT

snapshot() {
	echo "== named network namespaces"
	ip netns list 2>&1 | awk '{ print $1 }' | grep -Ev "^($OTHERS)" | sort
	echo "== links of the root namespace"
	ip -o link 2>&1 | awk -F': ' '{ print $2 }' | grep -Ev "$OTHERS" | sort
	echo "== mount points"
	awk '{ print $5, $9 }' /proc/self/mountinfo | grep -Ev "$OTHERS" | sort
	echo "== nft ruleset of the root namespace"
	nft list ruleset 2>&1
	echo "== files under /run"
	find /run -xdev 2>/dev/null | grep -Ev "$OTHERS" | sort
}

# until_true SECONDS CMD...: polls CMD every 0.1 s for up to SECONDS.
until_true() {
	local deadline=$(( SECONDS + $1 ))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

entry() { echo "$VPNLAB_LABS/$1"; }
# A field of the lab's registry file: field LAB KEY -> the rest of the line.
field() { sed -n "s/^$2 //p" "$(entry "$1")/lab"; }
holder_of() { cut -d' ' -f1 "$(entry "$1")/holder"; }

# What belongs to lab $1 while it runs: its PID namespace, its nodes' network
# namespaces (read through its PID 1's descriptors) and its charons.
record() {   # record LAB -> sets rec_pidns, rec_netns, rec_charons, rec_init
	local init fd p
	init=$(field "$1" init | cut -d' ' -f1)
	rec_init=$init
	rec_pidns="pid:[$(field "$1" pidns)]"
	rec_netns=""
	for fd in $(field "$1" node | awk '{ print $2 }'); do
		rec_netns="$rec_netns $(readlink "/proc/$init/fd/$fd")"
	done
	rec_charons=""
	for p in $(pgrep -x charon); do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$rec_pidns" ] && rec_charons="$rec_charons $p"
	done
}

in_pidns() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

# Every process's namespaces and descriptors that still name one of the lab's network namespaces.
holding_netns() {
	local ns
	for ns in $rec_netns; do
		find /proc/[0-9]*/ns /proc/[0-9]*/fd -maxdepth 1 -lname "$ns" 2>/dev/null
	done
}

charons_alive() {
	local p
	for p in $rec_charons; do kill -0 "$p" 2>/dev/null && echo "$p"; done
}

gone() { [ -z "$(in_pidns "$rec_pidns")" ] && [ -z "$(holding_netns)" ] && [ -z "$(charons_alive)" ]; }

# The checks after a lab has been taken down.
check_gone() {   # check_gone LAB
	until_true 10 gone
	ok $? "$1: nothing of the lab is left: no process in its PID namespace, no charon, no descriptor of its network namespaces" \
		"in $rec_pidns: $(in_pidns "$rec_pidns" | tr '\n' ' ')" "charons: $(charons_alive | tr '\n' ' ')" \
		"holding: $(holding_netns | tr '\n' ' ')"
	[ ! -e "$(entry "$1")" ]
	ok $? "$1: its registry entry is removed" "$(ls -la "$(entry "$1")" 2>&1)"
}

snapshot >"$tmp/before" 2>&1

# ---- up ------------------------------------------------------------------------
# fd 3: a descriptor of the caller's that the lab must not keep (a script reading a pipe to its end would hang).
out=$("$VPNLAB" up --name home --results "$results" topologies/home-nat.lua 2>&1 3>"$tmp/callers-file")
is "$?" 0 "up topologies/home-nat.lua: exit status 0"
like "$out" "^lab home is up: topologies/home-nat.lua" "up says the lab is up"
like "$out" "nodes: +client gateway home" "up lists the nodes"
like "$out" "lan \(home, client\) +wan \(home, gateway\)" "up lists the links and their ends"
[ -s "$(entry home)/holder" ] && [ -s "$(entry home)/lab" ] && kill -0 "$(holder_of home)" 2>/dev/null
ok $? "the registry has the lab and its holder is alive" "$(ls -la "$(entry home)" 2>&1)"
kept=$(find "/proc/$(holder_of home)/fd" "/proc/$(field home init | cut -d' ' -f1)/fd" -lname "$tmp/callers-file" 2>&1)
is "$kept" "" "the lab's holder and PID 1 keep none of the caller's descriptors"

out=$("$VPNLAB" up --name home --results "$results" topologies/direct.lua 2>&1)
rc=$?
is "$rc" 2 "a second up of the name home: exit status 2"
like "$out" "a lab named 'home' exists" "... saying the name is in use"

out=$("$VPNLAB" up --name tun --results "$results" tests/scenarios/live/tunnel.lua 2>&1)
is "$?" 0 "up of a scenario with a pause (tunnel.lua): exit status 0"
like "$out" "^lab tun is up" "... the lab is up"
grep -q '^ *ok 1 - the tunnel is established$' "$(field tun results)/tap.txt" &&
	grep -q 'paused: the lab is held until vpnlab down' "$(field tun results)/tap.txt" &&
	! grep -q 'after the pause' "$(field tun results)/tap.txt"
ok $? "tunnel.lua ran up to its pause and no further" "$(cat "$(field tun results)/tap.txt" 2>&1)"

out=$("$VPNLAB" ls)
like "$out" "^home +running +[0-9]+ +[0-9]+s +topologies/home-nat.lua +client,gateway,home +lan,wan" "ls: home running, its file, nodes and links"
like "$out" "tun +running +[0-9]+ +[0-9]+s +tests/scenarios/live/tunnel.lua" "ls: tun running"

# ---- exec, shell -----------------------------------------------------------------
"$VPNLAB" exec home client -- ping -c 1 -W 2 203.0.113.2 >"$tmp/ping" 2>&1
is "$?" 0 "exec: the client pings the gateway across the NAT"
"$VPNLAB" exec home client -- sh -c 'exit 7' 2>&1
is "$?" 7 "exec: a failing command's exit status (7) is passed through"
out=$("$VPNLAB" exec home client -- no-such-command 2>&1)
is "$?" 127 "exec: a command that does not exist: 127"
out=$("$VPNLAB" exec home nosuch -- true 2>&1)
rc=$?
is "$rc" 2 "exec into a node that does not exist: exit status 2"
like "$out" "lab 'home' has no node 'nosuch' \(its nodes: client gateway home\)" "... naming the lab's nodes"
out=$("$VPNLAB" exec home client -- ip -o -4 addr show 2>&1)
like "$out" "lan +inet 192\.168\.1\.2/24" "exec runs in the node's network namespace (its lan address)"

out=$(echo 'ip -br -4 addr; echo "node=$VPNLAB_NODE lab=$VPNLAB_LAB"; exit 3' | "$VPNLAB" shell home gateway 2>"$tmp/shell.err")
is "$?" 3 "shell (non-interactive): its exit status (3) is passed through"
like "$out" "wan@[^ ]+ +UP +203\.0\.113\.2/24" "shell: in the gateway's network namespace"
like "$out" "node=gateway lab=home" "shell: VPNLAB_LAB and VPNLAB_NODE are set"
like "$(cat "$tmp/shell.err")" "\[home:gateway [^]]*\]# " "shell: the prompt names the lab and the node"

out=$("$VPNLAB" exec tun client -- swanctl --list-sas 2>&1)
like "$out" "ESTABLISHED" "exec swanctl in a node reaches its charon (the daemon's /run)"
"$VPNLAB" exec tun client -- ping -c 1 -W 2 10.1.0.1 >/dev/null 2>&1
is "$?" 0 "exec: the client pings the gateway's inside address through the tunnel"

# ---- capture ---------------------------------------------------------------------
capture_ready() { grep -q 'capturing link' "$1"; }
"$VPNLAB" capture home wan --count 4 >"$tmp/cap.out" 2>"$tmp/cap.err" &
cap=$!
until_true 10 capture_ready "$tmp/cap.err"
"$VPNLAB" exec home client -- ping -c 2 -i 0.2 -W 2 203.0.113.2 >/dev/null 2>&1
wait "$cap"
is "$?" 0 "capture --count 4: exit status 0 after four frames"
is "$(wc -l <"$tmp/cap.out")" 4 "capture: four lines"
is "$(grep -c '^[0-9]*\.[0-9]* wan 203\.0\.113\.1 > 203\.0\.113\.2 icmp type 8' "$tmp/cap.out")" 2 \
	"capture: the two echo requests, decoded, from the NAT's outside address"
is "$(grep -c '^[0-9]*\.[0-9]* wan 203\.0\.113\.2 > 203\.0\.113\.1 icmp type 0' "$tmp/cap.out")" 2 \
	"capture: the two echo replies"
awk '{ print $1 }' "$tmp/cap.out" | sort -c -n 2>/dev/null
ok $? "capture: frames in time order (both veth ends merged)" "$(cat "$tmp/cap.out")"

"$VPNLAB" capture home lan --count 2 --json >"$tmp/cap.json" 2>/dev/null &
cap=$!
sleep 0.5
"$VPNLAB" exec home client -- ping -c 1 -W 2 203.0.113.2 >/dev/null 2>&1
wait "$cap"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
assert [r["icmp_type"] for r in rows] == [8, 0], rows
assert all(r["link"] == "lan" and r["class"] == "icmp" for r in rows), rows
assert rows[0]["src"] == "192.168.1.2", rows
' "$tmp/cap.json"
ok $? "capture --json: one object a frame, as in timeline.jsonl" "$(cat "$tmp/cap.json")"

"$VPNLAB" capture home lan >/dev/null 2>"$tmp/cap3.err" &
cap=$!
until_true 10 capture_ready "$tmp/cap3.err"
kill -TERM "$cap"
wait "$cap"
is "$?" 0 "capture stopped by SIGTERM: exit status 0"
like "$(cat "$tmp/cap3.err")" "vpnlab: [0-9]+ frames?$" "... saying how many frames it saw"

# A segment of three members is watched on its bridge: traffic between two
# clients, which no router end of a veth would see.
"$VPNLAB" up --name seg --results "$results" topologies/two-clients-nat.lua >/dev/null 2>&1
is "$?" 0 "up topologies/two-clients-nat.lua (lan: a segment of three)"
"$VPNLAB" capture seg lan >"$tmp/seg.out" 2>"$tmp/seg.err" &
cap=$!
until_true 10 capture_ready "$tmp/seg.err"
"$VPNLAB" exec seg client2 -- ping -c 2 -i 0.2 -W 2 192.168.1.2 >/dev/null 2>&1
ping_rc=$?
kill -TERM "$cap"
wait "$cap"
is "$ping_rc/$?" "0/0" "client2 pings client across the segment; the capture stops on SIGTERM"
like "$(cat "$tmp/seg.err")" "capturing link lan \(its bridge\)" "capture of a segment: on its bridge"
is "$(grep -c 'lan 192\.168\.1\.3 > 192\.168\.1\.2 icmp type 8' "$tmp/seg.out")" 2 \
	"capture of a segment: the echo requests between two clients" "$(cat "$tmp/seg.out")"
"$VPNLAB" down seg >/dev/null 2>&1
is "$?" 0 "down seg"

out=$("$VPNLAB" capture home nosuch 2>&1)
is "$?" 2 "capture of a link that does not exist: exit status 2"
like "$out" "has no link 'nosuch' \(its links: lan wan\)" "... naming the lab's links"

# ---- down ------------------------------------------------------------------------
record tun
is "$(echo $rec_charons | wc -w)" 2 "tun: its two charons run before down"
[ -n "$rec_netns" ] && [ -n "$(in_pidns "$rec_pidns")" ]
ok $? "tun: its namespaces are seen before down" "netns: $rec_netns" "pidns: $rec_pidns"
"$VPNLAB" exec tun gateway -- sleep 1000 >/dev/null 2>&1 &
left=$!
"$VPNLAB" capture tun wan >/dev/null 2>"$tmp/cap2.err" &
cap=$!
until_true 10 capture_ready "$tmp/cap2.err"
out=$("$VPNLAB" down tun 2>&1)
is "$?" 0 "down tun: exit status 0"
like "$out" "^lab tun is down; results in " "down says so and where the results are"
check_gone tun
wait "$left"
is "$?" 137 "a command left running in the lab is ended by down (SIGKILL: 137)"
wait "$cap"
is "$?" 1 "a capture running in the lab ends with it"
like "$(cat "$tmp/cap2.err")" "the lab tun went down" "... saying the lab went down"
tl=$(ls "$results"/*/tun/timeline.jsonl 2>/dev/null | head -n 1)
[ -n "$tl" ] && grep -q '"class":"esp-udp"' "$tl" && ls "$results"/*/tun/wan.pcap >/dev/null 2>&1
ok $? "tun's teardown wrote its timeline (with the tunnel's ESP) and pcaps" "timeline: ${tl:-none}"

# ---- a holder killed ------------------------------------------------------------------
record home
kill -9 "$(holder_of home)"
until_true 5 eval '"$VPNLAB" ls | grep -Eq "^home +dead "'
ok $? "after kill -9 of its holder, ls shows home dead" "$("$VPNLAB" ls)"
out=$("$VPNLAB" exec home client -- true 2>&1)
is "$?" 2 "exec into a lab whose holder is dead: exit status 2"
like "$out" "lab 'home' is not running \(its holder, pid [0-9]+, is gone\): vpnlab down home removes it" "... saying how to clean it"
out=$("$VPNLAB" down --all 2>&1)
is "$?" 0 "down --all: exit status 0"
like "$out" "lab home was dead" "down --all cleans the dead lab"
check_gone home
out=$("$VPNLAB" exec home client -- true 2>&1)
is "$?" 2 "exec into a lab that is gone: exit status 2"
like "$out" "no lab named 'home'" "... saying there is no such lab"
is "$("$VPNLAB" ls)" "" "ls: no labs left"

# The holder told to stop by someone else (SIGTERM), and the lab's PID 1 killed.
shown_dead() { "$VPNLAB" ls | grep -Eq "^$dead_name +dead "; }
killed_lab() {   # killed_lab NAME SIGNAL WHOM(holder|init)
	local pid
	"$VPNLAB" up --name "$1" --results "$results" topologies/direct.lua >/dev/null 2>&1
	record "$1"
	if [ "$3" = holder ]; then pid=$(holder_of "$1"); else pid=$rec_init; fi
	kill -"$2" "$pid"
	until_true 10 gone
	ok $? "$1: SIG$2 to its $3 ends everything of the lab" "in $rec_pidns: $(in_pidns "$rec_pidns" | tr '\n' ' ')" \
		"holding: $(holding_netns | tr '\n' ' ')"
	dead_name=$1
	until_true 5 shown_dead
	ok $? "$1: ls shows it dead" "$("$VPNLAB" ls)"
	"$VPNLAB" down "$1" >/dev/null 2>&1
	is "$?" 0 "$1: down removes it"
	check_gone "$1"
}
killed_lab termed TERM holder
ls "$results"/*/termed/timeline.jsonl >/dev/null 2>&1
ok $? "termed: a SIGTERM to the holder tears the lab down in order (timeline written)"
killed_lab init-killed KILL init

# ---- up that fails -------------------------------------------------------------------
up_fails() {   # up_fails NAME FILE ERE DESC
	local out rc
	out=$("$VPNLAB" up --results "$results" "$2" 2>&1)
	rc=$?
	is "$rc" 2 "up $2: exit status 2"
	like "$out" "$3" "up $2: $4"
	[ ! -e "$(entry "$1")" ] && [ -z "$(pgrep -f "up --results $results $2")" ]
	ok $? "up $2: no registry entry, no holder left" "$(ls -la "$(entry "$1")" 2>&1)"
}
up_fails broken tests/scenarios/live/broken.lua \
	"tests/scenarios/live/broken\.lua:6: attempt to index a nil value" "the error at its file:line"
if "$VPNLAB" run --backend host tests/scenarios/live/needs-esp.lua 2>/dev/null | grep -q 'SKIP.*needs esp'; then
	up_fails needs-esp tests/scenarios/live/needs-esp.lua \
		"needs esp, which kernel .* lacks: live labs run on the host backend" "refused: live labs run on the host"
else
	for i in 1 2 3; do ok 0 "# SKIP this kernel has ESP: needs-esp.lua can be held"; done
fi
up_fails no-lab tests/scenarios/live/no-lab.lua "no lab to hold" "nothing to hold"

# A lab still starting (slow.lua sleeps before its pause): up interrupted,
# its holder killed, down asked for. Each time: up says why, nothing is left.
starting() { [ -s "$(entry slow)/holder" ] && pgrep -f "sleep 60" >/dev/null; }
slow_up() {   # slow_up -> runs up in the background: $up_pid, output in $tmp/slow.err
	"$VPNLAB" up --results "$results" tests/scenarios/live/slow.lua >/dev/null 2>"$tmp/slow.err" &
	up_pid=$!
	until_true 20 starting
}
slow_left() { [ ! -e "$(entry slow)" ] && [ -z "$(pgrep -f 'up --results .* tests/scenarios/live/slow.lua')" ]; }
slow_up
kill -INT "$up_pid"
wait "$up_pid"
is "$?" 130 "up interrupted (SIGINT) while the lab starts: exit status 130"
like "$(cat "$tmp/slow.err")" "interrupted by SIGINT; the lab was stopped" "... saying the lab was stopped"
until_true 10 slow_left
ok $? "... no registry entry, no holder left" "$(ls "$VPNLAB_LABS" 2>&1)"
slow_up
kill -9 "$(holder_of slow)"
wait "$up_pid"
is "$?" 2 "up whose holder is killed while the lab starts: exit status 2"
like "$(cat "$tmp/slow.err")" "the lab's holder ended before the lab was ready" "... saying so"
until_true 10 slow_left
ok $? "... no registry entry, no holder left" "$(ls "$VPNLAB_LABS" 2>&1)"
slow_up
is "$("$VPNLAB" ls | awk '$1 == "slow" { print $2 }')" starting "ls: a lab not ready yet is starting"
"$VPNLAB" down slow >/dev/null 2>&1
is "$?" 0 "down of a lab still starting: exit status 0"
wait "$up_pid"
is "$?" 2 "... its up exits 2"
like "$(cat "$tmp/slow.err")" "stopped before the lab was ready: .*interrupted by SIGTERM" "... saying it was stopped before it was ready"
until_true 10 slow_left
ok $? "... no registry entry, no holder left" "$(ls "$VPNLAB_LABS" 2>&1)"
[ -z "$(pgrep -f 'sleep 60')" ]
ok $? "the slow scenario's sleeps are gone" "$(pgrep -af 'sleep 60')"

out=$("$VPNLAB" up --timeout 1 --results "$results" tests/scenarios/live/slow.lua 2>&1)
is "$?" 2 "up --timeout 1 of a scenario slower than that: exit status 2"
like "$out" "tests/scenarios/live/slow\.lua:4: time limit of 1 s reached" "... saying where the time ran out"
until_true 10 slow_left
ok $? "... no registry entry, no holder left" "$(ls "$VPNLAB_LABS" 2>&1)"

out=$("$VPNLAB" up 2>&1)
is "$?" 2 "up without a file: exit status 2"
out=$("$VPNLAB" up --results "$results" no/such/file.lua 2>&1)
is "$?" 2 "up of a file that does not exist: exit status 2"
like "$out" "no/such/file\.lua: No such file" "... naming it"
out=$("$VPNLAB" up --name 'bad/name' topologies/direct.lua 2>&1)
is "$?" 2 "up --name with a '/': exit status 2"
out=$("$VPNLAB" down 2>&1)
is "$?" 2 "down without a lab: exit status 2"
out=$("$VPNLAB" capture x y --count 0 2>&1)
is "$?" 2 "capture --count 0: exit status 2"
"$VPNLAB" exec onlylab >/dev/null 2>&1
is "$?" 2 "exec without a node and a command: exit status 2"
"$VPNLAB" shell onlylab >/dev/null 2>&1
is "$?" 2 "shell without a node: exit status 2"
"$VPNLAB" ls extra >/dev/null 2>&1
is "$?" 2 "ls with an argument: exit status 2"

# ---- under vpnlab run -------------------------------------------------------------------
"$VPNLAB" run --backend host --results "$tmp/run" tests/scenarios/live/tunnel.lua >"$tmp/run.out" 2>/dev/null
is "$?" 0 "vpnlab run tunnel.lua: passes, its pause doing nothing"
grep -q '# vpnlab.pause(): nothing to do under vpnlab run' "$tmp/run.out" &&
	grep -q '^    ok 2 - after the pause the tunnel is still up' "$tmp/run.out"
ok $? "... the pause is a TAP comment and the scenario goes on" "$(cat "$tmp/run.out")"

same_as_before() { snapshot >"$tmp/after" 2>&1 && cmp -s "$tmp/before" "$tmp/after"; }
until_true 5 same_as_before
ok $? "host namespaces, links, mounts, nft ruleset and /run are as before" "$(diff "$tmp/before" "$tmp/after" | head -20)"

finish
