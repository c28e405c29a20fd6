#!/bin/bash
# Nothing outlives a run. Before each run a snapshot of the host side (named
# network namespaces, links of the root namespace, mount points, the root
# nftables ruleset, files under /run); after it the same snapshot must come
# back (polled: namespace teardown is asynchronous), no charon of this run may
# be alive, and no process may be left in the runner's PID namespace. Runs:
# (a) passing, (b) failing, (c) scenario error while charon runs, (d) SIGINT,
# (e) SIGTERM and (f) SIGKILL sent to the runner mid-scenario while two
# charons run. After SIGINT/SIGTERM the runner must stop by itself (non-zero
# exit, Bail out!) and the pcaps must be there.
#
# Other engineers run charon experiments in namespaces named swr-* and
# vicitest*, and other vpnlab runs may be going on: only what this test's runs
# cause is compared (those names are filtered out; charons and processes are
# matched to our runs by their results folder and PID namespace).
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=30-cleanup
. "$(dirname "$0")/lib.sh"

OTHERS='swr-|vicitest'

# The host-side state, one section per kind; what others do is filtered out.
snapshot() {
	echo "== named network namespaces"
	ip netns list 2>&1 | awk '{ print $1 }' | grep -Ev "^($OTHERS)" | sort
	echo "== links of the root namespace"
	ip -o link 2>&1 | awk -F': ' '{ print $2 }' | grep -Ev "$OTHERS" | sort
	echo "== mount points"
	awk '{ print $5, $9 }' /proc/self/mountinfo | grep -Ev "$OTHERS" | sort
	echo "== mount count (unfiltered lines minus others')"
	grep -Evc "$OTHERS" /proc/self/mountinfo
	echo "== nft ruleset of the root namespace"
	nft list ruleset 2>&1
	echo "== files under /run"
	find /run -xdev 2>/dev/null | grep -Ev "$OTHERS" | sort
}

# PIDs of charons that belong to our runs: their STRONGSWAN_CONF is under $tmp.
our_charons() {
	local p
	for p in $(pgrep -x charon); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -q "^STRONGSWAN_CONF=$tmp/" && echo "$p"
	done
}

# PIDs of processes in PID namespace NS (e.g. "pid:[4026539493]").
in_pidns() {
	local p
	[ -n "$1" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

# PIDs of any process whose command line mentions our folder (the runner, swanctl).
mentions_tmp() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$tmp/" && echo "${p#/proc/}"
	done
}

# until_true SECONDS CMD...: polls CMD every 0.1 s (POLL) for up to SECONDS.
POLL=0.1
until_true() {
	local deadline=$(( SECONDS + $1 ))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep "$POLL"
	done
}

same_as_before() { snapshot >"$tmp/after" 2>&1 && cmp -s "$tmp/before" "$tmp/after"; }
nothing_left() {
	[ -z "$(our_charons)" ] && [ -z "$(in_pidns "$pidns")" ] && [ -z "$(mentions_tmp)" ]
}

# Starts the runner in the background on SCENARIO; sets $pid, $name.
start() {   # start NAME SCENARIO
	name=$1
	snapshot >"$tmp/before" 2>&1
	"$VPNLAB" run --results "$tmp/$name" "$2" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pidns=""
}

# The runner's child (PID 1 of its PID namespace) and that namespace: polled
# until it exists or the runner has ended.
find_pidns() {
	local child
	child=$(pgrep -P "$pid" | head -n 1)
	[ -n "$child" ] && pidns=$(readlink "/proc/$child/ns/pid" 2>/dev/null)
	[ -n "$pidns" ] || ! kill -0 "$pid" 2>/dev/null
}

# Waits for the runner; sets $rc.
reap() { wait "$pid" 2>/dev/null; rc=$?; }

# The checks after every run.
check_after() {
	is "${pidns:+found}" found "$name: the runner's PID namespace was seen while it ran"
	until_true 5 nothing_left
	ok $? "$name: no charon of the run, no process in its PID namespace, none naming its folder" \
		"charons: $(our_charons | tr '\n' ' ')" "in $pidns: $(in_pidns "$pidns" | tr '\n' ' ')" \
		"naming $tmp: $(mentions_tmp | tr '\n' ' ')"
	until_true 5 same_as_before
	ok $? "$name: host namespaces, links, mounts, nft ruleset and /run are as before" \
		"$(diff "$tmp/before" "$tmp/after" | head -20)"
}

# A run in the foreground (a-c): the PID namespace is found while it runs.
run_fg() {   # run_fg NAME SCENARIO WANT_RC
	start "$1" "$2"
	POLL=0.01 until_true 10 find_pidns
	reap
	is "$rc" "$3" "$name: exit status $3"
	check_after
}

# A run signalled once point 1 is in tap.txt and charon has logged (d-f).
run_sig() {   # run_sig NAME SIGNAL
	local sig=$2 dir
	start "$1" tests/scenarios/fail/interrupted.lua
	POLL=0.01 until_true 10 find_pidns
	ready() {
		local d
		dir=""
		for d in "$tmp/$name"/[0-9]*/*/; do [ -d "$d" ] && dir=$d && break; done
		[ -s "${dir}gateway/charon.log" ] && grep -qs '^ok 1 ' "${dir}tap.txt"
	}
	until_true 15 ready
	ok $? "$name: the scenario is mid-run (tunnel up, charon logging)" "results: ${dir:-none}"
	is "$(our_charons | wc -l)" 2 "$name: two charons of the run are alive when SIG$sig is sent"
	kill -"$sig" "$pid"
	reap
	if [ "$sig" = KILL ]; then
		is "$rc" 137 "$name: the runner died of SIGKILL"
	else
		local want=130
		[ "$sig" = TERM ] && want=143
		is "$rc" "$want" "$name: the runner stopped by itself with exit status 128 + SIG$sig"
		grep -q '^    not ok [0-9]* - interrupted$' "$tmp/$name.out"
		ok $? "$name: the scenario's own last point says it was interrupted"
		grep -Eq '^not ok 1 - .*interrupted\.lua \(interrupted by SIG'"$sig"'\)$' "$tmp/$name.out"
		ok $? "$name: its top-level point fails, naming the signal"
		! grep -q '^    \(not \)\?ok [0-9]* - \(the signal comes first\|the tunnel went down\)' "$tmp/$name.out"
		ok $? "$name: the wait it cut short is not scored as a test point"
		tail -n 1 "$tmp/$name.out" | grep -q '^Bail out! .*interrupted'
		ok $? "$name: its TAP ends with a Bail out! saying it was interrupted" "last line: $(tail -n 1 "$tmp/$name.out")"
		[ -s "${dir}wan.pcap" ] && [ -s "${dir}lan.pcap" ] &&
			tcpdump -nr "${dir}wan.pcap" 2>/dev/null | grep -q '\.4500 > .*\.4500: NONESP-encap'
		ok $? "$name: the pcaps exist and hold the IKE on 4500" "$(ls -l "${dir}"*.pcap 2>&1)"
	fi
	check_after
}

run_fg pass  scenarios/dataplane/nat-rebind-libipsec.lua 0
run_fg fail  tests/scenarios/fail/home-nat-wrong.lua 1
run_fg error tests/scenarios/errors/after-charon.lua 2
run_sig sigint INT
run_sig sigterm TERM
run_sig sigkill KILL

finish
