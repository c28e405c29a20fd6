#!/bin/bash
# What a person at a terminal gets from `vpnlab run` besides the TAP, and
# the installed vpnlab (issue 10). Host backend only, fast scenarios: a
# passing one (scenarios/filters/ruleset.lua, no lab) and one BUILT TO FAIL
# (tests/scenarios/fail/forward-wrong.lua, points 2 and 3 fail).
# - Progress on a pseudo-terminal (script(1)): stdout, redirected to a file,
#   stays pure TAP that prove parses; stderr redraws "[n/N] ..." with \r and
#   clear-to-end, keeps the failing points as lines, clears itself before the
#   summary. With stdout on the same terminal, no status line (the TAP's
#   lines would be written after it).
# - Without a terminal: only the summary line on stderr. --quiet: nothing,
#   terminal or not. --verbose: every point as a plain line, even to a file.
# - The man page: groff without warnings, man renders it, and it names every
#   option and command `vpnlab --help` and `vpnlab run --help` list.
# - make install DESTDIR=... PREFIX=/usr: the installed binary runs from
#   another folder and uses the installed lua/ and topologies/ (a topology
#   that exists only there is found); the installed man page renders; make
#   uninstall removes everything it installed.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=57-cli
. "$(dirname "$0")/lib.sh"

pass=scenarios/filters/ruleset.lua
fail=tests/scenarios/fail/forward-wrong.lua

# `script` puts the command's stdout and stderr on a pty; its own copy of the
# pty goes to /dev/null (it would land in this test's TAP), the typescript to
# $2 without script's header and trailer lines (and the empty line it adds
# before the trailer). Its stdin is not a terminal, so the pty has no size:
# progress assumes 80 columns.
on_pty() {   # on_pty COMMAND TYPESCRIPT
	script -qec "$1" "$2.raw" </dev/null >/dev/null
	local rc=$?
	sed '1d;$d' "$2.raw" | sed '${/^$/d}' >"$2"
	return $rc
}

# The test points of a TAP file, without their timings (which differ from run to run).
points() {
	grep '^ *\(not \)\?ok ' "$1" | sed 's/, [0-9.]* s)$/)/'
}

# ---- progress on a terminal ------------------------------------------------
if ! command -v script >/dev/null; then
	ok 0 "# SKIP no script(1) (util-linux) for a pseudo-terminal"
else
	on_pty "$VPNLAB run --backend host --results $tmp/r $fail $pass >$tmp/pty.tap" "$tmp/pty.ts"
	is "$?" 1 "on a pty: exit 1 (one scenario fails)"
	grep -q $'\r\\[1/2\\] tests/scenarios/fail/forward-wrong.lua\e\\[K' "$tmp/pty.ts" &&
		grep -q $'\r\\[1/2\\] tests/scenarios/fail/forward-wrong.lua: ok 1 - the tunnel is established\e\\[K' "$tmp/pty.ts" &&
		grep -q $'\r\\[2/2\\] scenarios/filters/ruleset.lua\e\\[K' "$tmp/pty.ts" &&
		grep -q $'\r\\[2/2\\] scenarios/filters/ruleset.lua: ok 1 - forward has its own table' "$tmp/pty.ts"
	ok $? "on a pty: stderr redraws [n/N] scenario and its last point with \\r and clear-to-end" "$(cat -A "$tmp/pty.ts" | head -c 3000)"
	grep -q $'\r\\[1/2\\] tests/scenarios/fail/forward-wrong.lua: not ok 2 - wan: seen {link=wan dst=10.0.0.2}\e\\[K\r$' "$tmp/pty.ts" &&
		grep -q $'\r\\[1/2\\] tests/scenarios/fail/forward-wrong.lua: not ok 3 - ' "$tmp/pty.ts" &&
		grep -q $'\r\\[1/2\\] not ok 1 - tests/scenarios/fail/forward-wrong.lua (2 passed, 2 failed' "$tmp/pty.ts"
	ok $? "on a pty: the failing points and the failing scenario are kept as lines" "$(cat -A "$tmp/pty.ts" | head -c 3000)"
	like "$(tail -n 1 "$tmp/pty.ts" | cat -A)" '\^\[\[K\^M\^\[\[Kvpnlab: 2 scenarios: 1 passed, 1 failed, 0 skipped, 0 errors; results in ' \
		"on a pty: the status line is cleared, then the summary"
	# Every redraw fits 80 columns less the last (kept failures and the summary are whole).
	longest=$(tr '\r' '\n' <"$tmp/pty.ts" | sed 's/\x1b\[K$//' | grep -v 'not ok\|vpnlab: 2 scenarios' |
		awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
	is "$longest" 79 "on a pty: status lines are cut to 79 columns"
	! grep -q 'TAP version\|^# Subtest' "$tmp/pty.ts"
	ok $? "on a pty: no TAP on the terminal (stdout went to the file)"
	! grep -q $'\r\|\e' "$tmp/pty.tap"
	ok $? "on a pty: stdout holds no \\r or escape" "$(grep -n $'\r\|\e' "$tmp/pty.tap" | head -3 | cat -A)"
	prove -e cat "$tmp/pty.tap" >"$tmp/pty.prove" 2>&1
	got=$?
	[ $got -eq 1 ] && grep -q "Failed test:  1\$" "$tmp/pty.prove" && ! grep -q "Parse errors" "$tmp/pty.prove"
	ok $? "on a pty: prove parses stdout and sees scenario 1 fail" "prove exit $got" "$(cat "$tmp/pty.prove")"

	# stdout on the terminal too: the TAP scrolls there, and no status line is drawn into it.
	on_pty "$VPNLAB run --backend host --results $tmp/r $fail $pass" "$tmp/both.ts"
	rc=$?
	[ $rc -eq 1 ] && grep -q '^TAP version 13' "$tmp/both.ts" && ! grep -q $'\e' "$tmp/both.ts" &&
		grep -q $'^vpnlab: 2 scenarios: 1 passed, 1 failed' "$tmp/both.ts"
	ok $? "stdout on the same pty: the TAP and the summary, no status line in between" "exit $rc" \
		"$(cat -A "$tmp/both.ts" | head -c 2000)"

	on_pty "$VPNLAB run --quiet --backend host --results $tmp/r $pass >$tmp/ptyq.tap" "$tmp/ptyq.ts"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$tmp/ptyq.ts" ]
	ok $? "--quiet on a pty: exit 0, nothing on the terminal" "exit $rc" "$(cat -A "$tmp/ptyq.ts")"
fi

# ---- no terminal -------------------------------------------------------------
$VPNLAB run --backend host --results "$tmp/r" $fail $pass >"$tmp/plain.tap" 2>"$tmp/plain.err"
is "$?" 1 "no terminal: exit 1"
is "$(wc -l <"$tmp/plain.err")" 1 "no terminal: one line on stderr"
like "$(cat "$tmp/plain.err")" '^vpnlab: 2 scenarios: 1 passed, 1 failed, 0 skipped, 0 errors; results in /' \
	"no terminal: it is the summary, with no \\r or escape"
[ ! -f "$tmp/pty.tap" ] || cmp -s <(points "$tmp/plain.tap") <(points "$tmp/pty.tap")
ok $? "stdout has the same test points with and without a terminal"

$VPNLAB run --quiet --backend host --results "$tmp/r" $pass >"$tmp/quiet.tap" 2>"$tmp/quiet.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/quiet.err" ]
ok $? "--quiet: exit 0 and stderr empty" "exit $rc" "$(cat "$tmp/quiet.err")"
prove -e cat "$tmp/quiet.tap" >"$tmp/quiet.prove" 2>&1
ok $? "--quiet: stdout is TAP that prove passes" "$(cat "$tmp/quiet.prove")"
$VPNLAB run -q --backend host --results "$tmp/r" $fail >/dev/null 2>"$tmp/quietf.err"
rc=$?
[ $rc -eq 1 ] && [ ! -s "$tmp/quietf.err" ]
ok $? "-q with a failing scenario: exit 1, stderr still empty" "exit $rc" "$(cat "$tmp/quietf.err")"

$VPNLAB run --verbose --backend host --results "$tmp/r" $fail $pass >"$tmp/verbose.tap" 2>"$tmp/verbose.err"
rc=$?
v=$(cat "$tmp/verbose.err")
[ $rc -eq 1 ] &&
	grep -qx '\[2/2\] scenarios/filters/ruleset.lua' "$tmp/verbose.err" &&
	grep -qx '    ok 1 - forward has its own table: table ip vpnlab_forward {' "$tmp/verbose.err" &&
	grep -qx '    ok 23 - node:unblock finds its rule' "$tmp/verbose.err" &&
	grep -q '^\[2/2\] ok 2 - scenarios/filters/ruleset.lua (23 passed, 0 failed' "$tmp/verbose.err" &&
	grep -qx '\[1/2\] tests/scenarios/fail/forward-wrong.lua' "$tmp/verbose.err" &&
	grep -q '^\[1/2\] not ok 1 - tests/scenarios/fail/forward-wrong.lua (2 passed, 2 failed' "$tmp/verbose.err" &&
	grep -qx '    not ok 2 - wan: seen {link=wan dst=10.0.0.2}' "$tmp/verbose.err" &&
	grep -q '^    results: /.*/tests_scenarios_fail_forward-wrong$' "$tmp/verbose.err"
ok $? "--verbose without a terminal: scenario starts, every point, results and folders on stderr" \
	"exit $rc" "$v"
! grep -q $'\r\|\e' "$tmp/verbose.err" && [ "$(grep -c '^    \(not \)\?ok ' "$tmp/verbose.err")" -eq 27 ]
ok $? "--verbose: plain lines, no \\r or escape; all 27 points"
cmp -s <(points "$tmp/verbose.tap") <(points "$tmp/plain.tap")
ok $? "--verbose: stdout has the same test points"
$VPNLAB run -q -v --backend host --results "$tmp/r" $pass >/dev/null 2>"$tmp/qv.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'quiet.*verbose\|verbose.*quiet' "$tmp/qv.err"
ok $? "-q with -v: a usage error (exit 2)" "exit $rc" "$(cat "$tmp/qv.err")"

# ---- the man page ------------------------------------------------------------
# groff-base and man-db come with `make deps`; a machine without them skips.
have_man=1
command -v groff >/dev/null && command -v man >/dev/null || have_man=0
if [ $have_man -eq 0 ]; then
	for i in 1 2 3 4; do ok 0 "# SKIP no groff or man (make deps installs groff-base and man-db)"; done
else
	warnings=$(groff -man -ww -z vpnlab.1 2>&1)
	is "$warnings" "" "groff -man -ww: vpnlab.1 without warnings"
	MANWIDTH=80 man -l vpnlab.1 >"$tmp/man.txt" 2>"$tmp/man.err"   # piped: plain text
	grep -q '^NAME' "$tmp/man.txt" && grep -q '^SYNOPSIS' "$tmp/man.txt" && grep -q '^EXIT STATUS' "$tmp/man.txt" &&
		grep -q '^ENVIRONMENT' "$tmp/man.txt" && grep -q '^FILES' "$tmp/man.txt" && [ ! -s "$tmp/man.err" ]
	ok $? "man -l renders it: NAME, SYNOPSIS, EXIT STATUS, ENVIRONMENT, FILES" "$(head -c 600 "$tmp/man.txt")" "$(cat "$tmp/man.err")"
	missing=
	for opt in -h $({ $VPNLAB --help; $VPNLAB run --help; } | grep -oE '(^|[][ |,])--?[a-z][a-z-]*' |
		sed 's/^[][ |,]//' | sort -u); do
		grep -q -- "$opt\b" "$tmp/man.txt" || missing="$missing $opt"
	done
	for cmd in 'run' 'vm prepare' 'doctor'; do
		grep -q "^       $cmd" "$tmp/man.txt" || missing="$missing '$cmd'"
	done
	is "$missing" "" "the man page documents every option and command --help lists"
	missing=
	for var in $(grep -rho 'getenv("[A-Z_]*")' harness/ | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
		grep -q "^       $var\b\|^       .*, $var\b" "$tmp/man.txt" || missing="$missing $var"
	done
	is "$missing" "" "ENVIRONMENT names every variable harness/ reads"
fi

# ---- make install / uninstall ------------------------------------------------
build=${VPNLAB_BUILD:-build}   # installed as built: the test does not rebuild it
make -s --no-print-directory BUILD="$build" -o "$build/vpnlab" install DESTDIR="$tmp/d" PREFIX=/usr >"$tmp/install.log" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr" "$(cat "$tmp/install.log")"
[ -x "$tmp/d/usr/bin/vpnlab" ] && [ -f "$tmp/d/usr/share/vpnlab/lua/vpnlab.lua" ] &&
	[ -f "$tmp/d/usr/share/vpnlab/topologies/home-nat.lua" ] && [ -f "$tmp/d/usr/share/man/man1/vpnlab.1" ]
ok $? "installed: bin/vpnlab, share/vpnlab/lua and topologies, share/man/man1/vpnlab.1" "$(cd "$tmp/d" && find . | sort | head -20)"

# A topology only the installed share has: found only if the installed
# binary looks beside itself, not in this source tree.
cp topologies/direct.lua "$tmp/d/usr/share/vpnlab/topologies/only-installed.lua"
mkdir -p "$tmp/elsewhere"
cp $pass "$tmp/elsewhere/ruleset.lua"
cat >"$tmp/elsewhere/installed.lua" <<'EOF'
local net = vpnlab.start("only-installed")
vpnlab.ok(net.nodes.client ~= nil, "the installed topologies/ is used")
EOF
(cd "$tmp/elsewhere" && "$tmp/d/usr/bin/vpnlab" run -q --backend host --results "$tmp/elsewhere/results" \
	ruleset.lua installed.lua >"$tmp/installed.tap" 2>"$tmp/installed.err")
rc=$?
[ $rc -eq 0 ] && grep -q '^ok 1 - ruleset.lua (23 passed' "$tmp/installed.tap" &&
	grep -q '^ok 2 - installed.lua (1 passed' "$tmp/installed.tap"
ok $? "the installed binary runs from another folder with its own lua/ and topologies/" \
	"exit $rc" "$(cat "$tmp/installed.tap" "$tmp/installed.err")"
if [ $have_man -eq 1 ]; then
	MANWIDTH=80 man -l "$tmp/d/usr/share/man/man1/vpnlab.1" 2>&1 | grep -q '^       vpnlab *- test VPNs'
	ok $? "the installed man page renders"
else
	ok 0 "# SKIP no man to render the installed page"
fi

rm "$tmp/d/usr/share/vpnlab/topologies/only-installed.lua"
make -s --no-print-directory BUILD="$build" uninstall DESTDIR="$tmp/d" PREFIX=/usr >"$tmp/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=... PREFIX=/usr" "$(cat "$tmp/uninstall.log")"
left=$(cd "$tmp/d" && find . -type f -o -type l)
is "$left" "" "uninstall leaves no file behind"

finish
