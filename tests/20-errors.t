#!/bin/bash
# Bad input must stop the runner cleanly: every scenario in
# tests/scenarios/errors/ exits 2 with a "Bail out!" whose text starts with
# the file:line of the mistake (found with grep on a marker comment, so the
# test follows the line when it moves) and says what is wrong, with no crash:
# no stack traceback on stdout, no sanitizer or signal death. Usage errors
# of the command line exit 2 too; --help and --version exit 0.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).
# On failure the results folder is kept and named at the end.

TEST_NAME=20-errors
. "$(dirname "$0")/lib.sh"

# run NAME ARGS...: the runner with ARGS, leaving $tmp/NAME.{out,err} and $rc.
run() {
	local name=$1
	shift
	"$VPNLAB" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

# The lines of FILE with a marker comment, as "FILE:L1 FILE:L2 ...".
marked() {   # marked FILE MARKER
	grep -n -- "-- $2\$" "$1" | cut -d: -f1 | sed "s|^|$1:|" | tr '\n' ' ' | sed 's/ $//'
}

# No crash: not killed by a signal, nothing from a sanitizer or the C library.
no_crash() {   # no_crash NAME
	local name=$1 why=""
	[ "$rc" -ge 128 ] && why="exit status $rc (a signal)"
	grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|Aborted|core dumped|double free|malloc\(\)' \
		"$tmp/$name.err" "$tmp/$name.out" && why="$why crash report: $(grep -Eh 'Sanitizer|runtime error:|Segmentation|Aborted|free|malloc' "$tmp/$name.err" "$tmp/$name.out" | head -3)"
	# The YAML carries the traceback as one quoted value; a raw one is a crash report.
	grep -q '^[[:space:]]*stack traceback:' "$tmp/$name.out" && why="$why a raw stack traceback on stdout"
	[ -z "$why" ]
	ok $? "$name: no crash, no traceback on stdout" "$why"
}

# One bad-input scenario: exit 2, no Bail out! (a scenario error is that
# scenario's own failing point), a "scenario error" point whose YAML error
# starts with FILE:LINE and matches ERE, the same text in the top-level
# point, as the first line of error.txt, and a summary on stderr.
check_error() {   # check_error NAME SCENARIO WHERE_FILE MARKER ERE
	local name=$1 scen=$2 wfile=$3 mark=$4 ere=$5 err msg where w found dir
	run "$name" run --results "$tmp/$name" "$scen"
	is "$rc" 2 "$name: exit status 2 (scenario error)"
	is "$(grep -c '^Bail out!' "$tmp/$name.out")" 0 "$name: no Bail out! (the runner itself could go on)"
	is "$(grep -c '^    not ok [0-9]* - scenario error$' "$tmp/$name.out")" 1 "$name: one 'scenario error' point in its subtest"
	err=$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/$name.out" | sed 's/\\"/"/g; s/\\\\/\\/g' | head -n 1)
	where=$(marked "$wfile" "$mark")
	found=""
	for w in $where; do
		case $err in "$w: "*) found=$w ;; esac
	done
	[ -n "$where" ] && [ -n "$found" ]
	ok $? "$name: the error starts with the file:line of the mistake" \
		"got:      '$err'" "expected it to start with one of: '$where' followed by ': '"
	msg=${err#*.lua:[0-9]*: }
	like "$msg" "$ere" "$name: the message says what is wrong"
	if [ "$name" != syntax ]; then   # a file that does not compile has no stack yet
		grep -q '^      traceback: "stack traceback:' "$tmp/$name.out"
		ok $? "$name: the YAML carries the traceback"
	fi
	is "$(grep '^not ok 1 - ' "$tmp/$name.out" | sed 's/^not ok 1 - [^ ]* (scenario error: \(.*\))$/\1/')" "$err" \
		"$name: the top-level point fails with the same text"
	is "$(tail -n 1 "$tmp/$name.out")" "1..1" "$name: the stream ends with its plan"
	dir=$(sed -n 's/^# results: //p' "$tmp/$name.out")
	is "$(head -n 1 "$dir/error.txt" 2>&1)" "$err" "$name: error.txt in the results starts with the same text"
	like "$(cat "$tmp/$name.err")" '1 scenario: 0 passed, 0 failed, 0 skipped, 1 error' "$name: the summary on stderr counts the error"
	no_crash "$name"
}

E=tests/scenarios/errors
check_error syntax         $E/syntax.lua         $E/syntax.lua         ERROR-HERE "near '='"
check_error runtime        $E/runtime.lua        $E/runtime.lua        ERROR-HERE "attempt to index a nil value \\(local 'sas'\\)"
check_error unknown-node   $E/unknown-node.lua   $E/unknown-node.lua   ERROR-HERE "link 'ab' names unknown node 'c'"
check_error overlap        $E/overlap.lua        $E/overlap.lua        ERROR-HERE "'ab' \\(10\\.0\\.0\\.0/16\\).*'bc' \\(10\\.0\\.1\\.0/24\\).*overlap|'bc' \\(10\\.0\\.1\\.0/24\\).*'ab' \\(10\\.0\\.0\\.0/16\\).*overlap"
check_error too-small      $E/too-small.lua      $E/too-small.lua      ERROR-HERE "'abc' \\(10\\.0\\.0\\.0/30\\).*2 hosts.*3 members"
check_error unknown-field  $E/unknown-field.lua  $E/unknown-field.lua  ERROR-HERE "unknown field 'nta' in node 'a' \\(known: .*nat.*\\)"
check_error wrong-type     $E/wrong-type.lua     $E/wrong-type.lua     ERROR-HERE "net must be a string, not a number"
check_error bogus-field    $E/bogus-field.lua    $E/bogus-field.lua    ERROR-HERE "unknown packet field 'bogus' \\(proto, "
check_error missing-daemon $E/missing-daemon.lua $E/missing-daemon.lua ERROR-HERE "cannot start /nonexistent/vpnd: No such file or directory"
check_error no-topology    $E/no-topology.lua    $E/no-topology.lua    ERROR-HERE "no topology named 'no-such-topology'"
check_error after-charon   $E/after-charon.lua   $E/after-charon.lua   ERROR-HERE "await: unknown state 'tunnel-up'"
check_error unknown-feature $E/unknown-feature.lua $E/unknown-feature.lua ERROR-HERE "unknown kernel feature 'ipsec' \\(esp, ah, l2tp, ppp, netem, userns, nftables\\)"
# A topology FILE loaded by name from ./topologies next to the scenario: the
# error names the topology file and the line of one of the overlapping links.
check_error topology-file  $E/topology-file.lua  $E/topologies/bad-overlap.lua OVERLAP "'lan' \\(10\\.1\\.2\\.0/24\\).*'wan' \\(10\\.0\\.0\\.0/8\\).*overlap|'wan' \\(10\\.0\\.0\\.0/8\\).*'lan' \\(10\\.1\\.2\\.0/24\\).*overlap"

# A scenario error does not stop the run: the next scenario runs and passes,
# both are reported, and the exit status still says an error happened.
run goes-on run --results "$tmp/goes-on" $E/syntax.lua tests/scenarios/contract/files.lua
is "$rc" 2 "goes on: exit status 2"
is "$(grep -c '^# Subtest: ' "$tmp/goes-on.out")" 2 "goes on: both scenarios ran"
like "$(grep '^not ok [12] - ' "$tmp/goes-on.out")" 'syntax.lua \(scenario error: ' "goes on: the broken one fails with its error"
like "$(grep '^ok [12] - ' "$tmp/goes-on.out")" 'files.lua \([0-9]+ passed, 0 failed' "goes on: the other passes"
is "$(tail -n 1 "$tmp/goes-on.out")" "1..2" "goes on: one plan for both"
like "$(cat "$tmp/goes-on.err")" '2 scenarios: 1 passed, 0 failed, 0 skipped, 1 error' "goes on: the summary counts both"

# ---- the command line -----------------------------------------------------------

run noargs
is "$rc" 2 "no arguments: exit status 2"
like "$(cat "$tmp/noargs.err")" '^usage: vpnlab run' "no arguments: usage on stderr"
is "$(cat "$tmp/noargs.out")" "" "no arguments: nothing on stdout"

run unknown frobnicate
is "$rc" 2 "unknown command: exit status 2"
like "$(cat "$tmp/unknown.err")" "unknown command 'frobnicate'" "unknown command: named on stderr"

run nofile run --results "$tmp/nofile" "$tmp/does-not-exist.lua"
is "$rc" 2 "nonexistent scenario file: exit status 2"
like "$(cat "$tmp/nofile.err")" "$tmp/does-not-exist.lua: No such file or directory" "nonexistent scenario file: named on stderr with the reason"
[ ! -e "$tmp/nofile" ]
ok $? "nonexistent scenario file: no results folder is made for a usage error"

run nothing run --results "$tmp/nothing"
is "$rc" 2 "run without a scenario: exit status 2"
like "$(cat "$tmp/nothing.err")" 'at least one scenario' "run without a scenario: says what is missing"

mkdir -p "$tmp/empty"
run empty run --results "$tmp/emptyres" "$tmp/empty"
is "$rc" 2 "a folder with no *.lua: exit status 2"
like "$(cat "$tmp/empty.err")" 'no \*\.lua scenario found' "a folder with no *.lua: says so"

run backend run --backend bogus $E/syntax.lua
is "$rc" 2 "unknown backend: exit status 2"
like "$(cat "$tmp/backend.err")" "unknown backend 'bogus'" "unknown backend: named on stderr"

run option run --no-such-option $E/syntax.lua
is "$rc" 2 "unknown option: exit status 2"
like "$(cat "$tmp/option.err")" 'usage: vpnlab run' "unknown option: usage on stderr"

run help --help
is "$rc" 0 "--help: exit status 0"
like "$(cat "$tmp/help.out")" '^usage: vpnlab run' "--help: usage on stdout"
like "$(cat "$tmp/help.out")" 'Exit status: 0 .* 1 .* 2 ' "--help: documents the exit statuses"

run runhelp run --help
is "$rc" 0 "run --help: exit status 0"

run version --version
is "$rc" 0 "--version: exit status 0"
like "$(cat "$tmp/version.out")" '^vpnlab [0-9]+\.[0-9]+(\.[0-9]+)?' "--version: prints 'vpnlab X.Y'"

finish
