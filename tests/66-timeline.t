#!/bin/bash
# vpnlab timeline: the ladder as text. Over a host run of a NAT-T scenario
# with a runtime event and a scenario with ICMP and events: one line per
# packet and per event, node names from lab.json (sender -> receiver),
# IKE/ESP described, NAT rewrites marked, a run folder scenario by
# scenario under headings; a pcap from that run decoded alike (names from the lab.json beside it,
# addresses without one); colour with --color=always and on a terminal,
# none when piped or with --color=never. Bad inputs exit 2 with a clear
# message: a missing path, a folder with no timeline, a malformed line
# (file:line), a file that is no capture, a truncated capture (after the
# frames before the cut), a wrong option. A bridged link's frames go to
# their receiver by MAC, a broadcast to all.
#
# The lab.json behind the names is checked too: interfaces, fixed MACs
# (every frame's sender is one), the same file for the same topology.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=66-timeline
. "$(dirname "$0")/lib.sh"

"$VPNLAB" run --backend host --results "$tmp/r" scenarios/dataplane/nat-rebind-libipsec.lua \
	tests/scenarios/contract/events.lua >/dev/null 2>"$tmp/run.err"
run=$(readlink -f "$tmp/r/latest")
sc=$run/scenarios_dataplane_nat-rebind-libipsec
ok "$([ -s "$sc/timeline.jsonl" ] && [ -s "$sc/lab.json" ]; echo $?)" "the run left a timeline and lab.json" \
	"$(tail -3 "$tmp/run.err")"

# lab.json: the nodes with their interfaces, the links; MACs fixed per (link, node).
labsum=$(python3 - "$sc/lab.json" "$sc/timeline.jsonl" <<'EOF'
import json, sys
lab = json.load(open(sys.argv[1]))
macs = {i["mac"]: n["name"] for n in lab["nodes"] for i in n["interfaces"]}
print(" ".join(f'{n["name"]}:{n["kind"]}:' + ",".join(f'{i["link"]}={i["mac"]}={"+".join(i["addresses"])}'
                for i in n["interfaces"]) for n in lab["nodes"]))
print(" ".join(f'{l["name"]}:{l["kind"]}:{l["pcap"]}:{"+".join(l["members"])}' for l in lab["links"]))
seen = {json.loads(line).get("eth_src") for line in open(sys.argv[2])} - {None}
print("unknown senders:", sorted(seen - set(macs)), "senders:", len(seen))
EOF
)
is "$(sed -n 1p <<<"$labsum")" \
	"client:host:lan=02:00:00:00:00:00=192.168.1.2/24 gateway:host:wan=02:00:00:01:00:01=203.0.113.2/24 home:router:lan=02:00:00:00:00:02=192.168.1.1/24,wan=02:00:00:01:00:02=203.0.113.1/24" \
	"lab.json: each node's interfaces with link, fixed MAC and addresses"
is "$(sed -n 2p <<<"$labsum")" "lan:veth:lan.pcap:home+client wan:veth:wan.pcap:home+gateway" \
	"lab.json: each link's kind, pcap and members"
is "$(sed -n 3p <<<"$labsum")" "unknown senders: [] senders: 4" "every frame's sender MAC is a lab.json interface"
ok "$(cmp -s "$sc/lab.json" "$run/tests_scenarios_contract_events/lab.json"; echo $?)" \
	"the same topology in another scenario: the same lab.json, MACs included"

"$VPNLAB" timeline "$sc" >"$tmp/sc.out" 2>"$tmp/sc.err"
is "$?" 0 "a scenario's folder: exit status 0"
is "$(wc -l <"$tmp/sc.out")" "$(grep -c . "$sc/timeline.jsonl")" "one line per packet and per event"
is "$(grep -c -- '--- event: ' "$tmp/sc.out")" "$(grep -c '"event"' "$sc/timeline.jsonl")" \
	"events are lines of their own"
out=$(cat "$tmp/sc.out")
like "$out" '^ +0\.[0-9]{3}  lan +client -> home +IKE_SA_INIT req 500->500' "sender and receiver by node name, IKE described"
like "$out" 'wan +home -> gateway +IKE_AUTH req 4500->4500' "the NAT's side of the same flow"
like "$out" 'wan +gateway -> home +ESP-in-UDP spi 0x[0-9a-f]{8} 4500' "ESP-in-UDP with its SPI and port"
like "$out" 'wan +home -> gateway +ESP-in-UDP spi 0x[0-9a-f]{8} 40[0-9]{3}->4500' "the remapped port after the event"
like "$out" 'wan +home -> gateway +IKE_SA_INIT req 500->500  NAT 192\.168\.1\.2:500 -> 203\.0\.113\.1:500' \
	"the NAT's rewrite: the packet after the router says what changed"
like "$out" 'lan +home -> client +IKE_SA_INIT resp 500->500  NAT 203\.0\.113\.1:500 -> 192\.168\.1\.2:500' \
	"... on the way back too"
ok "$(! grep -q 'lan +client -> home .*NAT' "$tmp/sc.out"; echo $?)" "... and only after the router, not before it"
like "$out" '--- event: home:remap' "the runtime event"
like "$out" 'home -> gateway +ICMP dest-unreach' "ICMP by name"
is "$(grep -c $'\033' "$tmp/sc.out")" 0 "no colour when piped"

"$VPNLAB" timeline --color=always "$sc" >"$tmp/color.out"
like "$(cat "$tmp/color.out")" $'client -> home +\033\\[34mIKE_SA_INIT req 500->500\033\\[0m' \
	"--color=always colours the description by class"
is "$(sed 's/\x1b\[[0-9;]*m//g' "$tmp/color.out")" "$out" "... and is otherwise the same text"
script -qec "$VPNLAB timeline $sc" /dev/null >"$tmp/tty.out" 2>&1
ok "$(grep -q $'\033\\[36mESP-in-UDP' "$tmp/tty.out"; echo $?)" "colour by default on a terminal"
script -qec "$VPNLAB timeline --color=never $sc" /dev/null >"$tmp/never.out" 2>&1
is "$(grep -c $'\033\\[3' "$tmp/never.out")" 0 "--color=never: none on a terminal either"

"$VPNLAB" timeline "$run" >"$tmp/run.out"
is "$?" 0 "a run's folder: exit status 0"
like "$(grep '^==' "$tmp/run.out" | tr '\n' ' ')" \
	'^== scenarios_dataplane_nat-rebind-libipsec == == tests_scenarios_contract_events == $' \
	"each scenario under a heading"
ev=$run/tests_scenarios_contract_events
is "$(wc -l <"$tmp/run.out")" "$(( $(grep -c . "$sc/timeline.jsonl") + $(grep -c . "$ev/timeline.jsonl") + 3 ))" \
	"... with all their lines"
like "$(cat "$tmp/run.out")" '--- event: home:block icmp' "... the second one's events too"

"$VPNLAB" timeline "$sc/wan.pcap" >"$tmp/pcap.out" 2>"$tmp/pcap.err"
is "$?" 0 "a pcap: exit status 0"
is "$(wc -l <"$tmp/pcap.out")" "$(grep -c '"link":"wan"' "$sc/timeline.jsonl")" "one line per frame of the pcap"
like "$(cat "$tmp/pcap.out")" '^ +0\.000  wan +.* -> .*' "times from the first frame"
like "$(cat "$tmp/pcap.out")" 'home -> gateway +IKE_SA_INIT req 500->500' "node names from the lab.json beside it"
cp "$sc/wan.pcap" "$tmp/alone.pcap"
like "$("$VPNLAB" timeline "$tmp/alone.pcap")" '203\.0\.113\.1 -> 203\.0\.113\.2 +IKE_SA_INIT req 500->500' \
	"without a lab.json, addresses stand for the nodes"
like "$("$VPNLAB" timeline "$sc/timeline.jsonl" | head -3)" 'client -> home' "a timeline.jsonl given itself"

# A bridged link (three members): frames by MAC, a broadcast to all.
mkdir -p "$tmp/sc"
cat >"$tmp/sc/bridged.lua" <<'EOF'
local net = vpnlab.start("two-clients-nat")
local r = net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", net.nodes.client2:addr("lan") }
vpnlab.is(r.status, 0, "client pings client2 across the bridged LAN")
EOF
"$VPNLAB" run --backend host --results "$tmp/rb" "$tmp/sc/bridged.lua" >/dev/null 2>&1
bridged=$("$VPNLAB" timeline "$(readlink -f "$tmp/rb/latest")")
like "$bridged" 'lan +client -> \(all\) +non-IP' "a bridged link: the broadcast ARP goes to all"
like "$bridged" 'lan +client2 -> client +ICMP echo-reply' "a bridged link: a frame's receiver by its MAC"
like "$(grep -o '"kind":"bridge"[^}]*' "$tmp"/rb/latest/*/lab.json)" '"members":\["home","client","client2"\]' \
	"lab.json says the link is a bridge, with its members"

# Bad inputs.
bad_input() {   # bad_input DESC ERE ARGS...: exit 2 and a message matching ERE
	local desc=$1 ere=$2
	shift 2
	"$VPNLAB" timeline "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
	is "$?" 2 "$desc: exit status 2"
	like "$(cat "$tmp/bad.err")" "$ere" "$desc: the message says why"
}
bad_input "a missing path" "$tmp/nothing: No such file or directory" "$tmp/nothing"
mkdir -p "$tmp/empty"
bad_input "a folder without a timeline" "$tmp/empty: no timeline.jsonl" "$tmp/empty"
mkdir -p "$tmp/malformed"
{ head -2 "$sc/timeline.jsonl"; echo '{"t":1,"link":'; } >"$tmp/malformed/timeline.jsonl"
bad_input "a malformed line" "$tmp/malformed/timeline.jsonl:3: not a timeline line" "$tmp/malformed"
is "$(wc -l <"$tmp/bad.out")" 0 "... and nothing is printed before it"
bad_input "a file that is no capture" "$tmp/run.err: not a pcap" "$tmp/run.err"
head -c 3000 "$sc/wan.pcap" >"$tmp/cut.pcap"
bad_input "a truncated capture" "$tmp/cut.pcap: truncated at frame [0-9]+" "$tmp/cut.pcap"
ok "$([ "$(wc -l <"$tmp/bad.out")" -gt 0 ]; echo $?)" "... after printing the frames before the cut"
bad_input "an unknown option" "unknown option --colour" --colour "$sc"
bad_input "no path" "usage: vpnlab timeline" --color=always

finish
