#!/bin/bash
# vpnlab triage over the pcaps the bundled failure scenarios produce. One
# run (--backend auto -j 2: the kernel-ESP ones in one VM boot) of:
#   ports/01-ike-needs-udp-500   lan: ike-no-response (udp/500 blocked)
#   ports/11-peer-acl            wan: ike-no-response (the gateway's ACL)
#   ports/12-blocked-4500        lan: nat-t-4500-blocked, ike-auth-unanswered; wan: nat-t-4500-blocked
#   ports/04-esp-unaware-firewall lan: esp-one-way (protocol 50 dropped); wan: none
#   filters/fragments-dropped    wan: ike-fragments-unanswered
#   nat/mapping-expiry           wan: nat-mapping-expired
#   dataplane/nat-rebind-libipsec wan: nat-rebinding, the gateway did not follow
#   dataplane/nat-rebind-kernel  wan: nat-rebinding, the gateway followed
#   tests/scenarios/triage/no-proposal  wan: ike-no-proposal-chosen
# and healthy runs whose pcaps yield no finding (ports/03-nat-moves-ike-to-4500,
# filters/fragments-ike-fragmentation, and failures/slow-link-retransmit, whose
# IKE_SA_INIT is retransmitted on a 3 s round trip but answered). The frames a finding cites are checked
# with tshark (an independent decoder): they are what the finding says. Also
# --json, a pcapng with two interfaces, a truncated capture, and bad input.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=64-triage
. "$(dirname "$0")/lib.sh"

results_of() {   # results_of OUTFILE SCENARIO: its results folder
	awk -v s="$2" '/^# Subtest: / { on = ($3 == s) } on && /^# results: / { print $3; exit }' "$1"
}
# Triage one pcap into $tmp/triage.out (.err), its exit status in $status (call it
# directly, not in $(...)); titles prints the finding lines, found their names.
status=0
triage() {   # triage PCAP
	"$VPNLAB" triage "$1" >"$tmp/triage.out" 2>"$tmp/triage.err"
	status=$?
}
titles() { grep -v '^  ' "$tmp/triage.out"; }
found() { sed -n 's/^\([a-z0-9-]*\): .*/\1/p' "$tmp/triage.out" | sort | tr '\n' ' '; }
# The frame numbers a finding (by name) cites, comma-separated, for tshark's "frame.number in {...}".
frames_of() { grep -A1 "^$1: " "$tmp/triage.out" | sed -n 's/^  frames: //p' | sed 's/[^ ]*#//g; s/ /,/g'; }

# --- bad input -------------------------------------------------------------------
"$VPNLAB" triage >/dev/null 2>"$tmp/err"
is "$?" 2 "no file: exit 2"
like "$(cat "$tmp/err")" "usage: vpnlab triage FILE" "no file: the usage"
"$VPNLAB" triage "$tmp/none.pcap" >/dev/null 2>"$tmp/err"
is "$?" 2 "a missing file: exit 2"
like "$(cat "$tmp/err")" "none.pcap" "a missing file: named"
printf 'this is not a capture\n' >"$tmp/text.pcap"
"$VPNLAB" triage "$tmp/text.pcap" >"$tmp/out" 2>"$tmp/err"
is "$?" 2 "not a pcap: exit 2"
like "$(cat "$tmp/err")" "not a pcap" "not a pcap: said so"
"$VPNLAB" triage --bogus x.pcap >/dev/null 2>"$tmp/err"
is "$?" 2 "an unknown option: exit 2"

# --- the scenarios, one run ------------------------------------------------------
files="scenarios/ports/01-ike-needs-udp-500.lua scenarios/ports/11-peer-acl.lua
scenarios/filters/fragments-dropped.lua scenarios/filters/fragments-ike-fragmentation.lua
scenarios/nat/mapping-expiry.lua scenarios/dataplane/nat-rebind-libipsec.lua
tests/scenarios/triage/no-proposal.lua scenarios/ports/12-blocked-4500.lua
scenarios/ports/04-esp-unaware-firewall.lua scenarios/dataplane/nat-rebind-kernel.lua
scenarios/ports/03-nat-moves-ike-to-4500.lua scenarios/failures/slow-link-retransmit.lua"
# shellcheck disable=SC2086
"$VPNLAB" run --backend auto -j 2 -q --results "$tmp/res" $files >"$tmp/run.out" 2>"$tmp/run.err"
is "$?" 0 "the scenarios pass (each asserts its failure happens)" "$(tail -3 "$tmp/run.err")"

dir_of() { results_of "$tmp/run.out" "$1"; }

d=$(dir_of scenarios/ports/01-ike-needs-udp-500.lua)
triage "$d/lan.pcap"
is "$(found)" "ike-no-response " "01 udp/500 blocked: lan names ike-no-response"
is "$status" 1 "01: exit 1 with a finding"
like "$(titles)" "IKE_SA_INIT from 192\.168\.1\.2:500 to 203\.0\.113\.2:500 never answered \(2 sent" \
	"01: the title names the initiator, the responder and the two sends"
frames=$(frames_of ike-no-response)
got=$(tshark -r "$d/lan.pcap" -Y "frame.number in {$frames}" -T fields -e isakmp.exchangetype -e isakmp.rspi 2>/dev/null | sort -u)
is "$got" "$(printf '34\t0000000000000000')" "01: tshark: the cited frames ($frames) are IKE_SA_INIT requests (exchange 34, SPIr 0)"
triage "$d/wan.pcap"
is "$(found)" "" "01: wan (nothing crossed while blocked, then healthy): no finding"
is "$(cat "$tmp/triage.out")" "no finding" "01: wan prints 'no finding'"
is "$status" 0 "01: wan exit 0"

d=$(dir_of scenarios/ports/11-peer-acl.lua)
triage "$d/wan.pcap"
is "$(found)" "ike-no-response " "11 peer ACL: wan names ike-no-response"
like "$(titles)" "from 192\.168\.10\.2:500 " "11: the unlisted peer (client2), not the listed one"

d=$(dir_of scenarios/ports/12-blocked-4500.lua)
triage "$d/lan.pcap"
is "$(found)" "ike-auth-unanswered nat-t-4500-blocked " "12 udp/4500 blocked: lan names nat-t-4500-blocked and ike-auth-unanswered"
like "$(titles)" "NAT detected in IKE_SA_INIT .* then 3 packets to udp/4500 and none back" \
	"12: lan: three packets to 4500, none back"
frames=$(frames_of ike-auth-unanswered)
got=$(tshark -r "$d/lan.pcap" -Y "frame.number in {$frames}" -T fields -e isakmp.exchangetype -e udp.dstport 2>/dev/null | sort -u)
is "$got" "$(printf '35\t4500')" "12: tshark: the cited frames ($frames) are IKE_AUTH to udp/4500"
triage "$d/wan.pcap"
is "$(found)" "nat-t-4500-blocked " "12: wan names nat-t-4500-blocked (nothing on 4500 crossed)"

d=$(dir_of scenarios/ports/04-esp-unaware-firewall.lua)
triage "$d/lan.pcap"
is "$(found)" "esp-one-way " "04 ESP-unaware firewall: lan names esp-one-way"
like "$(titles)" "ESP from 192\.168\.10\.1 to 198\.51\.100\.2 only: [0-9]+ packets \(raw, IP protocol 50\)" \
	"04: the plain client's protocol 50, one way"
frames=$(frames_of esp-one-way)
got=$(tshark -r "$d/lan.pcap" -Y "frame.number in {$frames}" -T fields -e ip.proto -e ip.src 2>/dev/null | sort -u)
is "$got" "$(printf '50\t192.168.10.1')" "04: tshark: the cited frames are protocol 50 from the plain client"
triage "$d/wan.pcap"
is "$(found)" "" "04: wan (no protocol 50 crossed; the encapsulating client works): no finding"

d=$(dir_of scenarios/filters/fragments-dropped.lua)
triage "$d/wan.pcap"
is "$(found)" "ike-fragments-unanswered " "fragments-dropped: wan names ike-fragments-unanswered (only)"
like "$(titles)" "IKE_AUTH from .* sent 2 times as IP fragments \(4 fragments seen\), never answered" \
	"fragments-dropped: two sends, four fragments"
frames=$(frames_of ike-fragments-unanswered)
is "$(tshark -r "$d/wan.pcap" -Y "frame.number in {$frames} && ip.flags.mf == 1" 2>/dev/null | wc -l)" 2 \
	"fragments-dropped: tshark: two of the cited frames are first fragments (MF set)"

d=$(dir_of scenarios/nat/mapping-expiry.lua)
triage "$d/wan.pcap"
like "$(found)" "nat-mapping-expired" "mapping-expiry: wan names nat-mapping-expired"
like "$(titles)" "NAT-T flow 203\.0\.113\.1:[0-9]+ <-> 203\.0\.113\.2:4500: nothing from .* for [0-9.]+ s \(no keepalives\), then 3 packets to it unanswered, ICMP unreachable" \
	"mapping-expiry: idle's flow: silence, the gateway's 3 DPDs unanswered, the NAT's ICMP"
is "$(grep -c '^nat-mapping-expired' "$tmp/triage.out")" 1 "mapping-expiry: only idle's flow (kept's keepalives held its mapping)"
like "$(titles)" "nat-rebinding: peer 203\.0\.113\.1:[0-9]+ moved to 203\.0\.113\.1:[0-9]+ mid-flow after [0-9.]+ s of silence" \
	"mapping-expiry: idle's next ESP from a new port after its silence: a rebinding too"

d=$(dir_of scenarios/dataplane/nat-rebind-libipsec.lua)
triage "$d/wan.pcap"
is "$(found)" "nat-rebinding " "nat-rebind-libipsec: wan names nat-rebinding"
like "$(titles)" "peer 203\.0\.113\.1:4500 moved to 203\.0\.113\.1:400[0-9][0-9] .*the other side's ESP kept going to the old one" \
	"nat-rebind-libipsec: the new port from the remap range, and the gateway did not follow"
d=$(dir_of scenarios/dataplane/nat-rebind-kernel.lua)
triage "$d/wan.pcap"
like "$(titles)" "^nat-rebinding: peer 203\.0\.113\.1:4500 moved to 203\.0\.113\.1:400[0-9][0-9] .*the other side's ESP followed" \
	"nat-rebind-kernel: the same rebinding, and the kernel followed"

d=$(dir_of tests/scenarios/triage/no-proposal.lua)
triage "$d/wan.pcap"
is "$(found)" "ike-no-proposal-chosen " "no-proposal: wan names ike-no-proposal-chosen"
frames=$(frames_of ike-no-proposal-chosen)
is "$(tshark -r "$d/wan.pcap" -Y "frame.number == $frames" -T fields -e isakmp.notify.msgtype 2>/dev/null)" 14 \
	"no-proposal: tshark: the cited frame carries notify 14 (NO_PROPOSAL_CHOSEN)"

for s in scenarios/ports/03-nat-moves-ike-to-4500.lua scenarios/filters/fragments-ike-fragmentation.lua \
	scenarios/failures/slow-link-retransmit.lua; do
	d=$(dir_of "$s")
	for pcap in "$d"/*.pcap; do
		l=$(basename "$pcap" .pcap)
		triage "$pcap"
		is "$(cat "$tmp/triage.out") $status" "no finding 0" "healthy $(basename "$s" .lua): $l: no finding, exit 0"
	done
done

# --- --json ------------------------------------------------------------------------
d=$(dir_of scenarios/ports/12-blocked-4500.lua)
"$VPNLAB" triage --json "$d/lan.pcap" >"$tmp/j.json"
is "$?" 1 "--json: exit 1 with findings"
got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
f = j["findings"]
print(j["links"], sorted(x["name"] for x in f), all(x["frames"] and all(isinstance(fr["frame"], int) and fr["link"] == "lan" for fr in x["frames"]) and x["hint"] and x["title"] for x in f))
' "$tmp/j.json" 2>&1)
is "$got" "['lan'] ['ike-auth-unanswered', 'nat-t-4500-blocked'] True" "--json: links, names, frames as {link, frame}, titles and hints"
d=$(dir_of scenarios/ports/03-nat-moves-ike-to-4500.lua)
is "$("$VPNLAB" triage --json "$d/wan.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["findings"])')" "[]" \
	"--json: a healthy capture: an empty findings list"

# --- a pcapng with two interfaces, and a truncated capture -----------------------
d=$(dir_of scenarios/ports/12-blocked-4500.lua)
if mergecap -I none -F pcapng -w "$tmp/both.pcapng" "$d/lan.pcap" "$d/wan.pcap" 2>/dev/null; then
	triage "$tmp/both.pcapng"
	titles >"$tmp/both.txt"
	is "$status" 1 "pcapng (lan + wan as two interfaces): exit 1"
	is "$(grep -c '^nat-t-4500-blocked' "$tmp/both.txt")" 2 "pcapng: the 4500 finding on each interface, read apart"
	like "$(cat "$tmp/triage.out")" "frames: both:0#[0-9]+ " "pcapng: frames name the interface's link (both:0)"
	f1=$(grep -A1 '^ike-auth' "$tmp/triage.out" | sed -n 's/.*frames: both:0#\([0-9]*\).*/\1/p')
	is "$(tshark -r "$tmp/both.pcapng" -Y "frame.number == $f1" -T fields -e frame.interface_id -e isakmp.exchangetype 2>/dev/null)" \
		"$(printf '0\t35')" "pcapng: frame numbers count the whole file, as Wireshark does (frame $f1)"
else
	ok 1 "mergecap failed"
fi
size=$(stat -c %s "$d/lan.pcap")
head -c $((size - 30)) "$d/lan.pcap" >"$tmp/cut.pcap"
triage "$tmp/cut.pcap"
like "$(cat "$tmp/triage.err")" "warning: .*truncat" "a truncated capture: a warning saying so"
like "$(cat "$tmp/triage.out")" "^nat-t-4500-blocked" "a truncated capture: the frames before the cut are triaged"

finish
