#!/bin/bash
# Scenarios BUILT TO FAIL (tests/scenarios/fail/): the runner must exit 1,
# fail exactly the intended test points, and give each failing point a YAML
# diagnostic that a person can act on: the scenario's file:line, what was
# expected, what was found, and a pcap that holds the evidence (the packets
# the diagnostic names are really at those frame numbers). The TAP stream
# must be accepted by prove, and each scenario's tap.txt must be a copy of
# its subtest whose YAML a real TAP13 reader parses.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).
# On failure the results folder is kept and named at the end.

TEST_NAME=10-failures
. "$(dirname "$0")/lib.sh"

# The test points of a scenario's tap.txt through TAP::Parser (TAP version 13
# prepended: without it the reader does not parse YAML). One line per fact:
# "N<TAB>key<TAB>value" with key status, desc, or a YAML key; N=0 for the
# document (parse_errors, plan).
tapdump() {
	perl -MTAP::Parser -e '
		local $/; my $text = <STDIN>;
		$text = "TAP version 13\n$text" unless $text =~ /\ATAP version/;
		my $p = TAP::Parser->new({ tap => $text });
		my $n = 0;
		while (my $r = $p->next) {
			if ($r->is_test) {
				$n = $r->number;
				printf "%d\tstatus\t%s\n", $n, $r->is_ok ? "ok" : "not ok";
				(my $d = $r->description) =~ s/^- //;
				printf "%d\tdesc\t%s\n", $n, $d;
			} elsif ($r->is_yaml) {
				my $y = $r->data;
				for my $k (sort keys %$y) {
					my $v = $y->{$k};
					$v = join(",", map { "$_=$v->{$_}" } sort keys %$v) if ref $v eq "HASH";
					$v =~ s/\n/\\n/g;
					printf "%d\t%s\t%s\n", $n, $k, $v;
				}
			}
		}
		printf "0\tparse_errors\t%s\n", join("; ", $p->parse_errors);
		printf "0\tplan\t%s\n", $p->plan // "";
	'
}

# get DUMP N KEY: the value, or "(none)" when the point has no such key.
get() {
	awk -F'\t' -v n="$2" -v k="$3" '$1 == n && $2 == k { print substr($0, length($1 $2) + 3); f = 1; exit }
	                                END { if (!f) print "(none)" }' "$1"
}

# The scenario line of a marker comment ("-- FAIL:name"), as file:line.
marker() {
	local line
	line=$(grep -n -- "-- FAIL:$2\$" "$1" | cut -d: -f1)
	echo "$1:${line:-?}"
}

# Checks that the packet a diagnostic names ("... A:P > B:Q ... (frame N)")
# is frame N of the pcap, as tcpdump reads it.
frame_is() {   # frame_is PCAP "diag text" DESC
	local pcap=$1 text=$2 desc=$3 frame hosts line
	frame=$(printf '%s' "$text" | sed -n 's/.*(frame \([0-9]*\))$/\1/p')
	hosts=$(printf '%s' "$text" | sed -n -e 's/^[0-9.]* [^ ]* \([0-9.]*\):\([0-9]*\) > \([0-9.]*\):\([0-9]*\) .*/\1.\2 > \3.\4/p' \
	        -e 't' -e 's/^[0-9.]* [^ ]* \([0-9.]*\) > \([0-9.]*\) .*/\1 > \2:/p')
	line=$(tcpdump -nr "$pcap" 2>/dev/null | sed -n "${frame:-0}p")
	[ -n "$frame" ] && [ -n "$hosts" ] && [[ "$line" == *"$hosts"* ]]
	ok $? "$desc" "diagnostic: $text" "tcpdump frame ${frame:-?}: $line"
}

# run NAME FILE...: runs the runner, leaving $tmp/NAME.{out,err,rc}.
run() {
	local name=$1
	shift
	"$VPNLAB" run --results "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

# The subtest of FILE in a run's stdout, without its indent: must equal tap.txt.
subtest_of() {   # subtest_of OUT FILE
	awk -v h="# Subtest: $2" '$0 == h { on = 1; next } on && /^[^ ]/ { exit } on { print substr($0, 5) }' "$1"
}

# Common checks for one failing scenario; leaves its dump in $tmp/NAME.dump
# and its results folder in $dir.
check_run() {   # check_run NAME FILE STATUSES SUMMARY_ERE
	local name=$1 file=$2 want=$3 summary=$4 got
	run "$name" "$file"
	is "$(cat "$tmp/$name.rc")" 1 "$name: exit status 1 (a test point failed)"
	is "$(head -n 1 "$tmp/$name.out")" "TAP version 13" "$name: TAP version 13 header"
	like "$(grep -v '^TAP version' "$tmp/$name.out" | grep '^[^ #]' | tr '\n' '|')" \
		"^not ok 1 - $file \\($summary, [0-9.]+ s\\)\\|1\\.\\.1\\|\$" \
		"$name: one top-level 'not ok 1' with the counts, a plan, no Bail out"
	dir=$(sed -n 's/^# results: //p' "$tmp/$name.out")
	[ -n "$dir" ] && [ -f "$dir/tap.txt" ]
	ok $? "$name: '# results:' names a folder with tap.txt" "results: '$dir'"
	subtest_of "$tmp/$name.out" "$file" >"$tmp/$name.sub"
	grep -v '^TAP version ' "$dir/tap.txt" >"$tmp/$name.copy"
	cmp -s "$tmp/$name.sub" "$tmp/$name.copy"
	ok $? "$name: tap.txt is the subtest, unindented" "$(diff "$tmp/$name.sub" "$tmp/$name.copy" 2>&1 | head -5)"
	tapdump <"$dir/tap.txt" >"$tmp/$name.dump"
	is "$(get "$tmp/$name.dump" 0 parse_errors)" "" "$name: tap.txt (with its YAML) parses without errors"
	got=$(awk -F'\t' '$1 > 0 && $2 == "status" { printf "%s%s", s, ($3 == "ok" ? "ok" : "not"); s = " " }' "$tmp/$name.dump")
	is "$got" "$want" "$name: exactly the intended points fail"
	is "$(get "$tmp/$name.dump" 0 plan)" "1..$(echo "$want" | wc -w)" "$name: subtest plan"
	# Passing points carry no diagnostic; failing ones all have one.
	got=$(awk -F'\t' '$1 > 0 && $2 == "status" { st[$1] = $3 } $1 > 0 && $2 == "at" { at[$1] = 1 }
	                  END { for (i in st) if ((st[i] == "ok") == (i in at)) printf "%s ", i }' "$tmp/$name.dump")
	is "$got" "" "$name: a YAML diagnostic on every failing point and on no passing one"
	# prove accepts the whole stream and sees one failed scenario, no parse error.
	prove -e cat "$tmp/$name.out" >"$tmp/$name.prove" 2>&1
	got=$?
	[ $got -eq 1 ] && grep -q "Failed test:  1\$" "$tmp/$name.prove" && ! grep -q "Parse errors" "$tmp/$name.prove"
	ok $? "$name: prove accepts the TAP and reports test 1 failed" "prove exit $got" "$(cat "$tmp/$name.prove")"
}

# The keys every failing wire assertion must have, and what they say.
check_wire() {   # check_wire DUMP N MARKER_FILE MARKER PCAP MESSAGE_ERE EXTRA_KEYS...
	local d=$1 p=$2 file=$3 mark=$4 pcap=$5 msg=$6 k missing=""
	shift 6
	is "$(get "$d" "$p" at)" "$(marker "$file" "$mark")" "point $p ($mark): at is the scenario's file:line"
	like "$(get "$d" "$p" message)" "$msg" "point $p ($mark): message says what was wrong"
	for k in expected found window pcap "$@"; do
		[ "$(get "$d" "$p" "$k")" = "(none)" ] && missing="$missing $k"
	done
	is "$missing" "" "point $p ($mark): diagnostic has expected, found, window, pcap$(printf ', %s' "$@")"
	is "$(get "$d" "$p" pcap)" "$pcap" "point $p ($mark): pcap names the link's capture"
}

# ---- 1. home-nat-wrong: a real IKEv2 tunnel through NAT, wrong expectations ----

f=tests/scenarios/fail/home-nat-wrong.lua
check_run nat "$f" "ok ok not not not not not ok not not ok" "4 passed, 7 failed"
d=$tmp/nat.dump
wan=$dir/wan.pcap
[ -s "$wan" ] && tcpdump -nr "$wan" >/dev/null 2>&1
ok $? "nat: the wan pcap exists and tcpdump reads it" "pcap: $wan"

check_wire "$d" 3 "$f" seen "$wan" '^expected at least one packet matching link=wan esp=raw$' seen_instead last_packet
like "$(get "$d" 3 found)" '^0 matching of [1-9][0-9]* packets$' "point 3 (seen): found counts the packets looked at"
like "$(get "$d" 3 seen_instead)" 'esp-udp: [1-9]' "point 3 (seen): seen_instead shows the ESP-in-UDP that was there"
frame_is "$wan" "$(get "$d" 3 last_packet)" "point 3 (seen): last_packet is that frame of the pcap"

check_wire "$d" 4 "$f" never "$wan" '^expected no packet matching link=wan udp=4500$' first_offending t
like "$(get "$d" 4 found)" '^[1-9][0-9]* matching$' "point 4 (never): found says how many matched"
like "$(get "$d" 4 first_offending)" ':4500 > .*:4500 ike IKE_AUTH' "point 4 (never): first_offending is the first IKE_AUTH on 4500"
frame_is "$wan" "$(get "$d" 4 first_offending)" "point 4 (never): first_offending is that frame of the pcap"

check_wire "$d" 5 "$f" count "$wan" '^expected 0 packets matching link=wan keepalive=true, found [1-9]' wanted first_match last_match
is "$(get "$d" 5 wanted)" 0 "point 5 (count): wanted 0"
like "$(get "$d" 5 first_match)" ' keepalive \(frame [0-9]+\)$' "point 5 (count): first_match is a keepalive"
frame_is "$wan" "$(get "$d" 5 first_match)" "point 5 (count): first_match is that frame of the pcap"
like "$(tcpdump -nr "$wan" 2>/dev/null | sed -n "$(get "$d" 5 first_match | sed 's/.*(frame \([0-9]*\))$/\1/')p")" \
	'nat-keep-alive' "point 5 (count): tcpdump also calls that frame a NAT-T keepalive"

check_wire "$d" 6 "$f" transition-backwards "$wan" 'but to seen before any from$' rule first_offending
is "$(get "$d" 6 rule)" "to seen before any from" "point 6 (transition 4500->500): the rule that broke"
like "$(get "$d" 6 first_offending)" ':500 > .*:500 ike IKE_SA_INIT v2 I' "point 6: first_offending is the IKE_SA_INIT on 500"
frame_is "$wan" "$(get "$d" 6 first_offending)" "point 6: first_offending is that frame of the pcap"

check_wire "$d" 7 "$f" transition-never "$wan" 'but from never seen$' rule
is "$(get "$d" 7 rule)" "from never seen" "point 7 (transition from tcp/443): the rule that broke"
like "$(get "$d" 7 found)" '^0 from, [1-9][0-9]* to$' "point 7: found counts from and to"

is "$(get "$d" 9 at)|$(get "$d" 9 got)|$(get "$d" 9 expected)" "$(marker "$f" is)|1|2" \
	"point 9 (vpnlab.is): at, got and expected"
is "$(get "$d" 10 at)" "$(marker "$f" ok)" "point 10 (vpnlab.ok): at is the scenario's file:line"

# ---- 2. direct-quiet: no daemon; within waits, counts, all links, is/ok -------

f=tests/scenarios/fail/direct-quiet.lua
check_run quiet "$f" "ok ok not not not ok not not" "3 passed, 5 failed"
d=$tmp/quiet.dump
net=$dir/net.pcap
[ -s "$net" ] && tcpdump -nr "$net" >/dev/null 2>&1
ok $? "quiet: the net pcap exists and tcpdump reads it" "pcap: $net"

is "$(get "$d" 3 desc)" "IKE starts within 0.3 s" "point 3: desc replaces the generated description"
check_wire "$d" 3 "$f" seen-within "$net" '^expected at least one packet matching link=net udp=500$' seen_instead
secs=$(sed -n "s|^not ok 1 - $f (.*, \\([0-9.]*\\) s)\$|\\1|p" "$tmp/quiet.out")
awk -v s="${secs:-0}" 'BEGIN { exit !(s >= 0.3) }'
ok $? "point 3: the failing 'within = 0.3' waited its window (scenario took ${secs:-?} s)"

check_wire "$d" 4 "$f" count-min "$net" '^expected at least 5 packets matching link=net proto=1, found 2$' wanted first_match last_match
is "$(get "$d" 4 wanted)|$(get "$d" 4 found)" "at least 5|2" "point 4 (count min): wanted and found"
frame_is "$net" "$(get "$d" 4 first_match)" "point 4: first_match is that frame of the pcap"

check_wire "$d" 5 "$f" seen-all "$dir" '^expected at least one packet matching ike=IKE_SA_INIT$' seen_instead
[ -d "$(get "$d" 5 pcap)" ] && [ -s "$(get "$d" 5 pcap)/net.pcap" ]
ok $? "point 5 (all links): pcap names the results folder holding every link's pcap"

is "$(get "$d" 7 at)|$(get "$d" 7 got)|$(get "$d" 7 expected)" "$(marker "$f" is)|198.51.100.1|198.51.100.9" \
	"point 7 (vpnlab.is): at, got and expected"
is "$(get "$d" 8 at)" "$(marker "$f" ok)" "point 8 (vpnlab.ok): at is the scenario's file:line"

# ---- 3. middlebox-wrong: the NAT and the firewall block really act ------------

f=tests/scenarios/fail/middlebox-wrong.lua
check_run middlebox "$f" "ok not ok not not ok" "3 passed, 3 failed"
d=$tmp/middlebox.dump
wan=$dir/wan.pcap
is "$(get "$d" 2 at)" "$(marker "$f" blocked-tunnel)" "point 2 (blocked tunnel): at is the scenario's file:line"
check_wire "$d" 4 "$f" blocked-wan "$wan" '^expected at least one packet matching link=wan udp=4500$' seen_instead
like "$(get "$d" 4 seen_instead)" 'ike: [1-9]' "point 4 (firewall): seen_instead shows only the IKE on 500"
check_wire "$d" 5 "$f" nat-hides-lan "$wan" '^expected at least one packet matching link=wan src=192\.168\.1\.0/24$' seen_instead
[ -z "$(tcpdump -nr "$wan" src net 192.168.1.0/24 2>/dev/null)" ]
ok $? "point 5 (NAT): tcpdump agrees no LAN source address is in the wan pcap"

# ---- 4. both in one run: a failed scenario does not stop the next --------------

run both tests/scenarios/fail/direct-quiet.lua tests/scenarios/fail/home-nat-wrong.lua
is "$(cat "$tmp/both.rc")" 1 "both: exit status 1"
like "$(grep -v '^TAP version' "$tmp/both.out" | grep '^[^ #]' | tr '\n' '|')" \
	'^not ok 1 - tests/scenarios/fail/direct-quiet.lua .*\|not ok 2 - tests/scenarios/fail/home-nat-wrong.lua .*\|1\.\.2\|$' \
	"both: two top-level 'not ok' in order and a plan"
like "$(cat "$tmp/both.err")" '2 scenarios: 0 passed, 2 failed' "both: the summary on stderr counts them"

# ---- 5. cgnat-quota-wrong: the CGNAT's port block quota really drops ---------

f=tests/scenarios/fail/cgnat-quota-wrong.lua
check_run cgnat "$f" "ok ok not not not ok" "3 passed, 3 failed"
d=$tmp/cgnat.dump
inet=$dir/internet.pcap
check_wire "$d" 3 "$f" quota "$inet" '^expected at least one packet matching link=internet dport=9003$' seen_instead
[ -z "$(tcpdump -nr "$inet" udp dst port 9003 2>/dev/null)" ] && [ -n "$(tcpdump -nr "$dir/access.pcap" udp dst port 9003 2>/dev/null)" ]
ok $? "point 3 (quota): tcpdump agrees flow 3 is on the access link and not on the internet"
check_wire "$d" 4 "$f" cgnat-hides "$inet" '^expected at least one packet matching link=internet src=100\.64\.0\.0/10$' seen_instead
[ -z "$(tcpdump -nr "$inet" src net 100.64.0.0/10 2>/dev/null)" ]
ok $? "point 4 (CGNAT): tcpdump agrees no 100.64/10 source address is in the internet pcap"
ports=$(tcpdump -nr "$inet" udp and src host 198.51.100.10 2>/dev/null | sed -n 's/.* 198\.51\.100\.10\.\([0-9]*\) > .*/\1/p' | sort -u | tr '\n' ' ')
like "$ports" '^(1028 |1029 ){1,2}$' "cgnat: the pool address sent only from 100.64.0.2's block 1028-1029 (ports: $ports)"
is "$(get "$d" 5 at)|$(get "$d" 5 got)|$(get "$d" 5 expected)" "$(marker "$f" counted)|1|0" \
	"point 5 (quota counted): cgnat_stats().quota_drop is 1"

# ---- 6. forward-wrong and filters-wrong: port forwarding and filters act ----
# (issue 8) Each intended point fails only because the middlebox really acted:
# with a forward that does not DNAT, or filters that let fragments or
# unlisted traffic through, other points fail instead and the statuses differ.

f=tests/scenarios/fail/forward-wrong.lua
check_run forward "$f" "ok not not ok" "2 passed, 2 failed"
d=$tmp/forward.dump
wan=$dir/wan.pcap
lan=$dir/lan.pcap
check_wire "$d" 2 "$f" inside-hidden "$wan" '^expected at least one packet matching link=wan dst=10\.0\.0\.2$' seen_instead
[ -z "$(tcpdump -nr "$wan" host 10.0.0.2 2>/dev/null)" ] && [ -n "$(tcpdump -nr "$wan" dst host 203.0.113.1 and udp port 4500 2>/dev/null)" ]
ok $? "point 2 (forward): tcpdump agrees: the wan shows only the router's address, on 500 and 4500"
check_wire "$d" 3 "$f" source-kept "$lan" '^expected no packet matching link=lan src=203\.0\.113\.2 dport=500$' first_offending
like "$(get "$d" 3 first_offending)" '203\.0\.113\.2:500 > 10\.0\.0\.2:500 ike IKE_SA_INIT' \
	"point 3 (forward): first_offending is the forwarded IKE_SA_INIT, client address kept"
frame_is "$lan" "$(get "$d" 3 first_offending)" "point 3 (forward): first_offending is that frame of the pcap"

f=tests/scenarios/fail/filters-wrong.lua
check_run filters "$f" "ok not ok not not not ok" "3 passed, 4 failed"
d=$tmp/filters.dump
wan=$dir/wan.pcap
lan=$dir/lan.pcap
is "$(get "$d" 2 at)" "$(marker "$f" fragments-tunnel)" "point 2 (fragments): at is the scenario's file:line"
check_wire "$d" 4 "$f" fragments-wan "$wan" '^expected at least one packet matching link=wan fragment=true$' seen_instead
[ -n "$(tcpdump -nr "$lan" 'ip[6:2] & 0x3fff != 0' 2>/dev/null)" ] && [ -z "$(tcpdump -nr "$wan" 'ip[6:2] & 0x3fff != 0' 2>/dev/null)" ]
ok $? "point 4 (fragments): tcpdump agrees: fragments on the lan, none on the wan"
is "$(get "$d" 5 at)|$(get "$d" 5 expected)" "$(marker "$f" allow-ping)|0" "point 5 (allow): at and expected"
check_wire "$d" 6 "$f" allow-wan "$wan" '^expected at least one packet matching link=wan proto=1$' seen_instead
[ -n "$(tcpdump -nr "$lan" icmp 2>/dev/null)" ] && [ -z "$(tcpdump -nr "$wan" icmp 2>/dev/null)" ]
ok $? "point 6 (allow): tcpdump agrees: the ping on the lan, no ICMP on the wan"

# ---- 7. nat-class-wrong: a claimed RFC 4787 class the NAT does not have -------

f=tests/scenarios/fail/nat-class-wrong.lua
check_run natclass "$f" "ok ok not ok" "3 passed, 1 failed"
d=$tmp/natclass.dump
is "$(get "$d" 3 at)|$(get "$d" 3 got)|$(get "$d" 3 expected)" \
	"$(marker "$f" class)|endpoint-independent|address-dependent" \
	"point 3 (filtering claimed address-dependent): at, the measured class and the claim"
grep -q '^mapping: address-dependent$' "$dir"/client/exec-*-python3.log
ok $? "natclass: the probe's log in the results folder says what it measured"
[ -s "$dir/nat/mappings.txt" ] && grep -q '^udp 10\.0\.0\.' "$dir/nat/mappings.txt"
ok $? "natclass: nat/mappings.txt holds the mapping snapshot taken at the scenario's end"

# ---- 8. block-dir: a mid-run block with dir = "in" stops only inbound -------
# (issue 8) node:block{ dir = "in" } at runtime is relative to the router's
# outside link, as in the topology: if dir were ignored the outbound point
# would pass, had the block not applied the inbound one would.

f=tests/scenarios/fail/block-dir.lua
check_run blockdir "$f" "ok not not ok" "2 passed, 2 failed"
d=$tmp/blockdir.dump
wan=$dir/wan.pcap
lan=$dir/lan.pcap
check_wire "$d" 2 "$f" outbound "$wan" '^expected no packet matching link=wan src=192\.168\.10\.1 dport=9$' first_offending
frame_is "$wan" "$(get "$d" 2 first_offending)" "point 2 (outbound): first_offending is that frame of the pcap"
like "$(get "$d" 2 events)" '^fw:block udp/9 dir in at ' "point 2 (outbound): events name the runtime block with its dir"
check_wire "$d" 3 "$f" inbound "$lan" '^expected at least one packet matching link=lan src=198\.51\.100\.2 dport=9$' seen_instead
[ "$(tcpdump -nr "$wan" 'src host 198.51.100.2 and udp dst port 9' 2>/dev/null | wc -l)" -ge 3 ] &&
	[ -z "$(tcpdump -nr "$lan" 'src host 198.51.100.2 and udp dst port 9' 2>/dev/null)" ] &&
	[ "$(tcpdump -nr "$lan" 'src host 192.168.10.1 and udp dst port 9' 2>/dev/null | wc -l)" -ge 3 ]
ok $? "block-dir: tcpdump agrees: inbound udp/9 on the wan only, outbound on both links"

finish
