#!/bin/bash
# --junit FILE: a host run of passing scenarios, scenarios built to fail,
# scenario errors, an empty scenario and one that SKIPs on the host (it
# needs kernel ESP) written as JUnit XML. The XML must validate against
# tests/junit/junit.xsd, and its counts must be the TAP's: a testcase per
# subtest point (and per skipped scenario), a failure per failing assertion,
# an error per scenario that did not run to its end, a skip per SKIP. The
# pcap properties name files that exist; --junit does not change the exit
# status; an unwritable --junit path is refused before anything runs.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=55-junit
. "$(dirname "$0")/lib.sh"

xsd=tests/junit/junit.xsd
scenarios=(
	scenarios/ports/01-ike-needs-udp-500.lua
	scenarios/filters/ruleset.lua
	scenarios/ports/03-nat-moves-ike-to-4500.lua
	tests/scenarios/fail/block-dir.lua
	tests/scenarios/fail/nat-class-wrong.lua
	tests/scenarios/errors/syntax.lua
	tests/scenarios/errors/runtime.lua
	tests/scenarios/contract/empty.lua
)

# xpath EXPR: the value of an XPath number or string expression over the XML.
xpath() {
	xmllint --xpath "$1" "$tmp/j.xml" 2>/dev/null
}

"$VPNLAB" run --backend host --results "$tmp/plain" "${scenarios[@]}" >"$tmp/plain.tap" 2>"$tmp/plain.err"
plain_rc=$?
"$VPNLAB" run --backend host --results "$tmp/res" --junit "$tmp/j.xml" "${scenarios[@]}" \
	>"$tmp/run.tap" 2>"$tmp/run.err"
rc=$?
is "$rc" "$plain_rc" "exit status with --junit is the one without ($plain_rc)"
is "$rc" 2 "exit status 2: the mix has scenario errors"
ok "$([ -s "$tmp/j.xml" ]; echo $?)" "the JUnit file is written" "$(tail -3 "$tmp/run.err")"

out=$(xmllint --noout --schema "$xsd" "$tmp/j.xml" 2>&1)
ok $? "xmllint validates it against $xsd" "$out"

run_tap=$(ls "$tmp"/res/*/run.tap 2>/dev/null | head -1)
ok "$(cmp -s "$tmp/run.tap" "$run_tap"; echo $?)" "the results folder's run.tap is the TAP on stdout"

# The TAP's own numbers: subtest points, the scenario-end points among them
# (runner.c's report_end), SKIPs, and top-level points that have no subtest.
end_re='^    not ok [0-9]+ - (scenario error|time limit|interrupted|the scenario ran at least one test point)$'
sub_points=$(grep -Ec '^    (not )?ok\b' "$tmp/run.tap")
sub_errors=$(grep -Ec "$end_re" "$tmp/run.tap")
sub_failures=$(($(grep -Ec '^    not ok\b' "$tmp/run.tap") - sub_errors))
top_skips=$(grep -Ec '^ok [0-9]+ - .* # SKIP' "$tmp/run.tap")
skips=$(grep -Ec '^(    )?ok [0-9]+ - .* # SKIP' "$tmp/run.tap")
top_errors=$(grep -Ec '^not ok [0-9]+ - .* \((scenario error|no test points|stopped at its time limit|interrupted)' "$tmp/run.tap")
top_points=$(grep -Ec '^(not )?ok\b' "$tmp/run.tap")

is "$(xpath 'count(//testsuite)')" "$top_points" "a testsuite per scenario ($top_points)"
is "$(xpath 'count(//testcase)')" "$((sub_points + top_skips))" \
	"a testcase per subtest point ($sub_points) and per skipped scenario ($top_skips)"
is "$(xpath 'count(//failure)')" "$sub_failures" "a failure per failing assertion ($sub_failures)"
is "$(xpath 'count(//error)')" "$sub_errors" "an error per scenario that did not run to its end ($sub_errors)"
is "$sub_errors" "$top_errors" "(the TAP's summaries agree: $top_errors)"
is "$(xpath 'count(//skipped)')" "$skips" "a skipped per SKIP ($skips)"
is "$(xpath 'string(/testsuites/@tests)')/$(xpath 'string(/testsuites/@failures)')/$(xpath 'string(/testsuites/@errors)')/$(xpath 'string(/testsuites/@skipped)')" \
	"$((sub_points + top_skips))/$sub_failures/$sub_errors/$skips" "the testsuites totals say the same"
is "$(xpath 'count(//testsuite[@failures>0 or @errors>0])')" \
	"$(grep -Ec '^not ok\b' "$tmp/run.tap")" "a suite with failures or errors per failing scenario"

is "$(xpath 'string(//testsuite[@name="tests/scenarios/errors/syntax.lua"]/testcase/error/@type)')" "scenario error" \
	"a syntax error is an <error type=\"scenario error\">"
like "$(xpath 'string(//testsuite[@name="tests/scenarios/errors/syntax.lua"]/testcase/error/@message)')" \
	'^scenario error: tests/scenarios/errors/syntax.lua:[0-9]+: ' "its message is the summary, with file:line"
is "$(xpath 'string(//testsuite[@name="tests/scenarios/contract/empty.lua"]/testcase/error/@type)')" "no test points" \
	"an empty scenario is an error too"
like "$(xpath 'string(//testsuite[@name="scenarios/ports/03-nat-moves-ike-to-4500.lua"]/testcase/skipped/@message)')" \
	'^needs esp' "the skipped scenario says why"
body=$(xpath 'string(//testsuite[@name="tests/scenarios/fail/block-dir.lua"]/testcase/failure)')
ok "$([[ $body == ---$'\n'at:\ \"tests/scenarios/fail/block-dir.lua:*pcap:\ *$'\n'... ]]; echo $?)" \
	"a failure's body is its YAML diagnostic (---, at: file:line, ..., pcap, ...)" "$body"
is "$(xpath 'string(//testsuite[@name="tests/scenarios/fail/block-dir.lua"]/testcase[failure][1]/@classname)')" \
	"tests.scenarios.fail.block-dir" "classname: the file with dots, without .lua"
like "$(xpath 'string(//testsuite[@name="scenarios/ports/01-ike-needs-udp-500.lua"]/@time)')" '^[0-9]+\.[0-9]+$' \
	"a scenario's time comes from its summary"
is "$(xpath 'count(//testsuite[@name="scenarios/ports/01-ike-needs-udp-500.lua"][number(@time)>0])')" 1 "(and is not 0)"

# Properties: the results folder of each scenario that ran, its backend, its pcaps.
ran=$((top_points - top_skips))
is "$(xpath 'count(//property[@name="results"])')" "$ran" "a results property per scenario that ran ($ran)"
is "$(xpath 'count(//property[@name="backend"][starts-with(@value,"host")])')" "$ran" "a backend property: host"
missing=0 pcaps=0 on_disk=0
results_dirs=$(xmllint --xpath '//property[@name="results"]/@value' "$tmp/j.xml" 2>/dev/null |
	sed -n 's/^ *value="\(.*\)"$/\1/p')
while IFS= read -r d; do
	[ -n "$d" ] && on_disk=$((on_disk + $(find "$d" -maxdepth 1 -name '*.pcap' | wc -l)))
done <<<"$results_dirs"
while IFS= read -r p; do
	[ -n "$p" ] || continue
	pcaps=$((pcaps + 1))
	[ -f "$p" ] || { missing=$((missing + 1)); echo "# no such pcap: $p"; }
done < <(xmllint --xpath '//property[@name="pcap"]/@value' "$tmp/j.xml" 2>/dev/null | sed -n 's/^ *value="\(.*\)"$/\1/p')
is "$pcaps" "$on_disk" "a pcap property per pcap in the scenarios' results folders ($pcaps)"
ok "$([ "$pcaps" -gt 0 ]; echo $?)" "(there are some)"
is "$missing" 0 "every pcap property names a file that exists"
bad_dirs=0
while IFS= read -r d; do
	[ -d "$d" ] || bad_dirs=$((bad_dirs + 1))
done <<<"$results_dirs"
is "$bad_dirs" 0 "every results property names a folder that exists"

# An unwritable --junit path: usage error, before any scenario runs.
"$VPNLAB" run --backend host --results "$tmp/never" --junit /nonexistent/dir/x.xml \
	scenarios/ports/01-ike-needs-udp-500.lua >"$tmp/bad.out" 2>"$tmp/bad.err"
is "$?" 2 "--junit /nonexistent/dir/x.xml: exit 2"
like "$(cat "$tmp/bad.err")" '--junit /nonexistent/dir/x.xml' "the error names the path"
is "$(wc -c <"$tmp/bad.out")" 0 "no TAP: nothing ran"
ok "$([ ! -e "$tmp/never" ]; echo $?)" "no results folder was made"

finish
