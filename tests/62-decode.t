#!/bin/bash
# vpnlab decode: the dissector over a capture file vpnlab did not write.
# (a) A real host run (IKE_SA_INIT with NAT-D notifies, IKE_AUTH in SKF
#     fragments, ESP-in-UDP): decode --json of each link's pcap gives the
#     same objects as the run's timeline.jsonl for that link (times counted
#     from the first frame), and tshark reads the same MACs, notify types
#     and fragment numbers from the same frames.
# (b) The same frames in the other shapes real tools write: pcapng
#     (tshark -F pcapng), nanosecond pcap (editcap -F nseclibpcap), bare IP
#     (editcap -C 14 -T rawip / rawip4), big-endian classic pcap, stdin, and
#     Linux cooked v1/v2 captured by tcpdump -i any between two namespaces;
#     mergecap puts Ethernet and cooked v1 in one pcapng of two interfaces.
# (d) --esp-sa: a real VM run's wan.pcap with its wireshark/esp_sa
#     (tests/decode/) decodes to that run's timeline objects, the ESP
#     decrypted; a wrong key (BUILT TO FAIL) is undecryptable; a bad line is
#     an error naming it.
# (c) Failure modes: truncated (frames before the cut, then the error, 2),
#     a text file, an empty file, a missing file, usage, an unsupported
#     link type (frames shown as non-ip, said once, 0); and the comparison
#     of (a) shown to fail on the wrong link's timeline.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=62-decode
. "$(dirname "$0")/lib.sh"

# same_facts TIMELINE LINK DECODED: the DECODED objects are the timeline's
# objects of LINK, in frame order, with t counted from the first frame.
# Prints what differs first; status 1 then.
same_facts() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
tl = [json.loads(l) for l in open(sys.argv[1]) if '"event"' not in l]
tl = sorted((o for o in tl if o.get("link") == sys.argv[2]), key=lambda o: o["frame"])
dec = [json.loads(l) for l in open(sys.argv[3])]
if len(tl) != len(dec) or not tl:
    sys.exit(f"{len(dec)} decoded objects, {len(tl)} in the timeline for {sys.argv[2]}")
t0 = tl[0]["t"]
for a, b in zip(tl, dec):
    if abs((a["t"] - t0) - b["t"]) > 2e-6:
        sys.exit(f"frame {a['frame']}: t {b['t']}, timeline {a['t'] - t0:.6f} from its first frame")
    a = dict(a, t=None); b = dict(b, t=None)
    if a != b:
        sys.exit(f"frame {a['frame']} differs:\n  timeline {json.dumps(a)}\n  decode   {json.dumps(b)}")
EOF
}

# ---- (a) a real run ------------------------------------------------------------

scen=scenarios/filters/fragments-ike-fragmentation.lua
"$VPNLAB" run --backend host --results "$tmp/r" "$scen" scenarios/ports/01-ike-needs-udp-500.lua \
	>"$tmp/run.out" 2>"$tmp/run.err"
ok $? "setup: two host scenarios run and pass" "$(tail -n 5 "$tmp/run.out" "$tmp/run.err")"
frag=$(ls -d "$tmp"/r/latest/*fragments-ike-fragmentation 2>/dev/null)
wan=$frag/wan.pcap

for p in "$tmp"/r/latest/*/*.pcap; do
	link=$(basename "$p" .pcap)
	"$VPNLAB" decode --json "$p" >"$tmp/dec.json" 2>"$tmp/dec.err"
	rc=$?
	why=$(same_facts "$(dirname "$p")/timeline.jsonl" "$link" "$tmp/dec.json" 2>&1)
	[ $rc -eq 0 ] && [ -z "$why" ] && [ ! -s "$tmp/dec.err" ]
	ok $? "decode --json $(basename "$(dirname "$p")")/$link.pcap: the run's timeline.jsonl objects for $link" \
		"exit $rc" "$why" "$(head -n 3 "$tmp/dec.err")"
done

"$VPNLAB" decode --json "$wan" >"$tmp/wan.json"
"$VPNLAB" decode "$wan" >"$tmp/wan.txt"
# Our facts and tshark's, per frame: MACs, notify types (the first 4), SKF number/total.
python3 - "$tmp/wan.json" >"$tmp/ours.txt" <<'EOF'
import json, sys
names = {16388: "NAT_DETECTION_SOURCE_IP", 16389: "NAT_DETECTION_DESTINATION_IP",
         16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS",
         16406: "REDIRECT_SUPPORTED", 16418: "CHILDLESS_IKEV2_SUPPORTED",
         16404: "MULTIPLE_AUTH_SUPPORTED", 14: "NO_PROPOSAL_CHOSEN", 16384: "INITIAL_CONTACT"}
rev = {v: k for k, v in names.items()}
for l in open(sys.argv[1]):
    o = json.loads(l)
    n = ",".join(str(rev.get(x, x)) for x in o.get("ike_notify", []))
    f = o.get("ike_frag", ["", ""])
    print(f'{o["frame"]};{o.get("eth_src", "")};{o.get("eth_dst", "")};{n};{f[0]};{f[1]}')
EOF
tshark -r "$wan" -T fields -E separator=';' -e frame.number -e eth.src -e eth.dst \
	-e isakmp.notify.msgtype -e isakmp.frag.number -e isakmp.frag.total 2>/dev/null |
	awk -F';' -v OFS=';' '{ n = split($4, t, ","); $4 = ""; for (i = 1; i <= n && i <= 4; i++) $4 = $4 (i > 1 ? "," : "") t[i]; print }' \
	>"$tmp/tshark.txt"
diff "$tmp/tshark.txt" "$tmp/ours.txt" >"$tmp/tshark.diff"
ok $? "wan.pcap: tshark reads the same MACs, notify types and SKF fragment numbers, frame by frame" \
	"$(head -n 10 "$tmp/tshark.diff")"
grep -q '"ike_frag":\[1,2\],"ike_encrypted":true' "$tmp/wan.json" &&
	grep -q '"ike_frag":\[2,2\],"ike_encrypted":true' "$tmp/wan.json" &&
	grep -q '"exchange":"IKE_SA_INIT".*"ike_notify":\["NAT_DETECTION_SOURCE_IP","NAT_DETECTION_DESTINATION_IP"' "$tmp/wan.json"
ok $? "wan.pcap: IKE_AUTH in two SKF fragments (1/2, 2/2, encrypted), IKE_SA_INIT with its NAT-D notifies"
is "$(wc -l <"$tmp/wan.txt")" "$(tshark -r "$wan" 2>/dev/null | wc -l)" "human lines: one a frame"
like "$(sed -n 3p "$tmp/wan.txt")" '^3 0\.[0-9]{3} wan 203\.0\.113\.[0-9]+:500 > 203\.0\.113\.[0-9]+:500 ike IKE_SA_INIT v2 I N\(NAT_DETECTION_SOURCE_IP\) N\(NAT_DETECTION_DESTINATION_IP\)' \
	"human line: frame number, time, link, the IKE_SA_INIT with its notifies"
like "$(grep -c ' frag [12]/2$' "$tmp/wan.txt")" '^2$' "human lines: the two fragments say frag 1/2 and 2/2"

# ---- (b) the same frames in other shapes ------------------------------------------

tshark -F pcapng -r "$wan" -w "$tmp/ng.pcapng" 2>/dev/null
"$VPNLAB" decode --json --link wan "$tmp/ng.pcapng" >"$tmp/ng.json"
cmp -s "$tmp/ng.json" "$tmp/wan.json"
ok $? "pcapng (tshark -F pcapng): decode --json gives the same bytes as the pcap" "$(diff "$tmp/ng.json" "$tmp/wan.json" | head -n 4)"

editcap -F nseclibpcap "$wan" "$tmp/ns.pcap"
"$VPNLAB" decode --json --link wan "$tmp/ns.pcap" >"$tmp/ns.json"
cmp -s "$tmp/ns.json" "$tmp/wan.json"
ok $? "nanosecond pcap (editcap -F nseclibpcap): the same bytes" "$(diff "$tmp/ns.json" "$tmp/wan.json" | head -n 4)"

"$VPNLAB" decode --json --link wan - <"$wan" >"$tmp/stdin.json"
cmp -s "$tmp/stdin.json" "$tmp/wan.json"
ok $? "stdin (-): the same bytes"

# Big-endian classic pcap: every header field of the file swapped, the frames kept.
python3 - "$wan" "$tmp/be.pcap" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
out = [struct.pack(">IHHiIII", *struct.unpack("<IHHiIII", d[:24]))]
off = 24
while off + 16 <= len(d):
    hdr = struct.unpack("<IIII", d[off:off + 16])
    out.append(struct.pack(">IIII", *hdr) + d[off + 16:off + 16 + hdr[2]])
    off += 16 + hdr[2]
open(sys.argv[2], "wb").write(b"".join(out))
EOF
"$VPNLAB" decode --json --link wan "$tmp/be.pcap" >"$tmp/be.json"
[ "$(head -c 4 "$tmp/be.pcap" | od -An -tx1 | tr -d ' ')" = a1b2c3d4 ] && cmp -s "$tmp/be.json" "$tmp/wan.json"
ok $? "big-endian classic pcap: the same bytes" "$(diff "$tmp/be.json" "$tmp/wan.json" | head -n 4)"

for t in rawip:101 rawip4:228; do
	editcap -C 14 -T "${t%:*}" "$wan" "$tmp/raw.pcap"
	"$VPNLAB" decode --json --link wan "$tmp/raw.pcap" >"$tmp/raw.json"
	# The IP frames: the same facts, no MACs (editcap keeps the wire length
	# of the chopped frames). The two ARP frames, chopped of their Ethernet
	# header, are garbage either way.
	why=$(python3 - "$tmp/wan.json" "$tmp/raw.json" 2>&1 <<'EOF'
import json, sys
eth = [json.loads(l) for l in open(sys.argv[1])]
raw = [json.loads(l) for l in open(sys.argv[2])]
if len(eth) != len(raw):
    sys.exit(f"{len(raw)} frames, want {len(eth)}")
ip = 0
for e, r in zip(eth, raw):
    if e["class"] == "non-ip":
        continue
    ip += 1
    e = dict(e)
    e.pop("eth_src"); e.pop("eth_dst")
    if e != r:
        sys.exit(f"frame {e['frame']}:\n  want {json.dumps(e)}\n  got  {json.dumps(r)}")
if ip < 9:
    sys.exit(f"only {ip} IP frames")
EOF
)
	[ -z "$why" ] && [ "$(capinfos -E "$tmp/raw.pcap" 2>/dev/null | grep -c "Raw IP")" = 1 ]
	ok $? "bare IP (editcap -C 14 -T ${t%:*}, link type ${t#*:}): the IP frames' facts, no MACs" "$why"
done

# Linux cooked captures, v1 and v2, by tcpdump -i any in a namespace that
# receives an IKE_SA_INIT (the run's first, replayed) from a known MAC.
ns=vpnlab62-$$
cleanup_ns() { ip netns del "$ns-a" 2>/dev/null; ip netns del "$ns-b" 2>/dev/null; }
trap cleanup_ns EXIT
ip netns add "$ns-a" && ip netns add "$ns-b" &&
	ip link add veth62a netns "$ns-a" address 02:62:00:00:00:0a type veth peer name veth62b netns "$ns-b" address 02:62:00:00:00:0b &&
	ip -n "$ns-a" addr add 192.0.2.1/24 dev veth62a && ip -n "$ns-b" addr add 192.0.2.2/24 dev veth62b &&
	ip -n "$ns-a" link set veth62a up && ip -n "$ns-b" link set veth62b up
ok $? "setup: two namespaces joined by a veth pair (MACs 02:62:00:00:00:0a/0b)"
python3 - "$wan" >"$tmp/ike.bin" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off + 16 <= len(d):
    cl = struct.unpack("<I", d[off + 8:off + 12])[0]
    f = d[off + 16:off + 16 + cl]
    off += 16 + cl
    if len(f) > 42 and f[12:14] == b"\x08\x00" and f[23] == 17 and f[36:38] == b"\x01\xf4":
        sys.stdout.buffer.write(f[42:])
        break
EOF
for v in LINUX_SLL:sll LINUX_SLL2:sll2; do
	out=$tmp/${v#*:}.pcap
	ip netns exec "$ns-a" timeout 15 tcpdump -U -i any -y "${v%:*}" -c 1 -w "$out" 'udp dst port 500' 2>/dev/null &
	capture=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.5
		ip netns exec "$ns-b" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 500)); s.sendto(open(sys.argv[1], "rb").read(), ("192.0.2.1", 500))' "$tmp/ike.bin"
		kill -0 $capture 2>/dev/null || break
	done
	wait $capture
	"$VPNLAB" decode --json "$out" >"$tmp/${v#*:}.json" 2>"$tmp/${v#*:}.err"
	rc=$?
	line=$(head -n 1 "$tmp/${v#*:}.json")
	[ $rc -eq 0 ] && [ "$(capinfos -E "$out" 2>/dev/null | grep -c "cooked")" = 1 ] &&
		printf '%s' "$line" | grep -q '"class":"ike","src":"192.0.2.2","dst":"192.0.2.1",.*"exchange":"IKE_SA_INIT".*"eth_src":"02:62:00:00:00:0b","ike_notify":\["NAT_DETECTION_SOURCE_IP"' &&
		! printf '%s' "$line" | grep -q eth_dst &&
		[ "$(tshark -r "$out" -T fields -e sll.src.eth 2>/dev/null)" = 02:62:00:00:00:0b ]
	ok $? "cooked ${v%:*} (tcpdump -i any -y ${v%:*}): IKE_SA_INIT, its notifies, the sender's MAC as tshark reads it, no eth_dst" \
		"exit $rc" "got: $line" "$(cat "$tmp/${v#*:}.err")" "$(capinfos -E "$out" 2>&1 | tail -n 1)"
done
cleanup_ns

# Two interfaces of different link types in one pcapng.
mergecap -F pcapng -w "$tmp/merged.pcapng" "$wan" "$tmp/sll.pcap" 2>/dev/null
"$VPNLAB" decode --json "$tmp/merged.pcapng" >"$tmp/merged.json" 2>"$tmp/merged.err"
rc=$?
python3 - "$tmp/merged.json" "$tmp/wan.json" "$tmp/sll.json" >"$tmp/merged.why" <<'EOF'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
parts = {}
for path in sys.argv[2:]:
    for l in open(path):
        o = json.loads(l); o.pop("t"); o.pop("link"); o.pop("frame")
        parts.setdefault(path, []).append(o)
links = sorted({o["link"] for o in m})
if len(links) != 2 or not all(l.startswith("merged:") for l in links):
    sys.exit(f"links {links}, want two merged:<interface>")
if [o["frame"] for o in m] != list(range(1, len(m) + 1)):
    sys.exit("frames not numbered 1..n in file order")
for link, path in zip(links, sys.argv[2:]):
    got = [dict((k, v) for k, v in o.items() if k not in ("t", "link", "frame")) for o in m if o["link"] == link]
    if got != parts[path]:
        sys.exit(f"{link}: not the facts of {path}")
EOF
[ $rc -eq 0 ] && [ ! -s "$tmp/merged.why" ] && [ "$(capinfos -E "$tmp/merged.pcapng" 2>/dev/null | grep -c 'Per packet')" = 1 ]
ok $? "pcapng of two interfaces (mergecap: Ethernet + cooked v1): each frame decoded by its interface's link type, links merged:IF" \
	"exit $rc" "$(cat "$tmp/merged.why")" "$(cat "$tmp/merged.err")" "$(cut -c1-200 "$tmp/merged.json" | head -n 3)"

# ---- (d) --esp-sa: a real capture with its keys (tests/decode/README) -----------------

fx=tests/decode/ports-03
"$VPNLAB" decode --json --esp-sa "$fx-esp_sa" --link wan "$fx-wan.pcap" >"$tmp/esp.json" 2>"$tmp/esp.err"
rc=$?
why=$(same_facts "$fx-wan.timeline.jsonl" wan "$tmp/esp.json" 2>&1)
[ $rc -eq 0 ] && [ -z "$why" ] && [ "$(grep -c '"inner":{"state":"decrypted","next_header":4,"class":"icmp"' "$tmp/esp.json")" = 6 ]
ok $? "--esp-sa (the run's wireshark/esp_sa): the six pings' ESP decrypted, the run's timeline objects exactly" \
	"exit $rc" "$why" "$(cat "$tmp/esp.err")"
"$VPNLAB" decode --json --link wan "$fx-wan.pcap" >"$tmp/nokey.json"
[ "$(grep -c '"inner":{"state":"no key"}' "$tmp/nokey.json")" = 6 ] && ! grep -q decrypted "$tmp/nokey.json"
ok $? "without --esp-sa: the same ESP is 'no key'"
# BUILT TO FAIL: one SA's integrity key changed by a digit; its packets fail the ICV, the other SA's decrypt.
sed '1s/\(.*"0x\)\(.\)\([0-9a-f]*"\)$/\1f\3/' "$fx-esp_sa" >"$tmp/wrong_sa"
"$VPNLAB" decode --json --esp-sa "$tmp/wrong_sa" "$fx-wan.pcap" >"$tmp/wrong.json"
spi1=$(sed -n '1s/^"IPv4","\*","\*","0x\([0-9a-f]*\)".*/\1/p' "$fx-esp_sa")
[ "$(cmp -s "$tmp/wrong_sa" "$fx-esp_sa"; echo $?)" = 1 ] &&
	[ "$(grep "\"spi\":\"0x$spi1\"" "$tmp/wrong.json" | grep -c '"state":"undecryptable (ICV mismatch')" = 3 ] &&
	[ "$(grep -c '"state":"decrypted"' "$tmp/wrong.json")" = 3 ]
ok $? "built to fail: a wrong integrity key makes its SA's 3 packets undecryptable (ICV mismatch), the other SA's 3 still decrypt" \
	"$(grep -o '"spi":"[^"]*"\|"state":"[^"]*"' "$tmp/wrong.json" | paste - - | sort | uniq -c)"
{ head -n 1 "$fx-esp_sa"; printf '"IPv4","*","*","0x1234","3DES-CBC [RFC2451]","0x00","NULL",""\n'; } >"$tmp/bad_sa"
"$VPNLAB" decode --esp-sa "$tmp/bad_sa" "$fx-wan.pcap" >"$tmp/badsa.out" 2>"$tmp/badsa.err"
rc=$?
[ $rc -eq 2 ] && [ ! -s "$tmp/badsa.out" ] && grep -q "bad_sa: line 2: unsupported encryption '3DES-CBC \[RFC2451\]'" "$tmp/badsa.err"
ok $? "--esp-sa with an algorithm vpnlab does not decrypt: 'line 2: unsupported encryption', exit 2" "exit $rc" "$(cat "$tmp/badsa.err")"

# ---- (c) failure modes --------------------------------------------------------------

# A cut in the middle of frame 5's record: frames 1-4, then the error naming frame 5 and where its record starts.
off5=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); off = 24
for n in range(4):
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
print(off)' "$wan")
head -c $((off5 + 30)) "$wan" >"$tmp/cut.pcap"
"$VPNLAB" decode --json "$tmp/cut.pcap" >"$tmp/cut.json" 2>"$tmp/cut.err"
rc=$?
[ $rc -eq 2 ] && cmp -s "$tmp/cut.json" <(head -n 4 "$tmp/wan.json" | sed 's/"link":"wan"/"link":"cut"/') &&
	grep -qx "vpnlab decode: $tmp/cut.pcap: truncated at frame 5 (byte offset $off5)" "$tmp/cut.err"
ok $? "truncated pcap: frames 1-4 printed, then 'truncated at frame 5 (byte offset $off5)', exit 2" \
	"exit $rc" "$(cat "$tmp/cut.err")" "$(wc -l <"$tmp/cut.json") lines"

head -c $(( $(stat -c %s "$tmp/ng.pcapng") - 3 )) "$tmp/ng.pcapng" >"$tmp/cut.pcapng"
"$VPNLAB" decode "$tmp/cut.pcapng" >"$tmp/cutng.txt" 2>"$tmp/cutng.err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/cutng.txt")" = $(( $(wc -l <"$tmp/wan.json") - 1 )) ] &&
	grep -q "truncated at frame $(wc -l <"$tmp/wan.json") (byte offset [0-9]*)" "$tmp/cutng.err"
ok $? "truncated pcapng: all frames but the last, then the error naming it, exit 2" "exit $rc" "$(cat "$tmp/cutng.err")"

printf 'hello, this is not a capture\n' >"$tmp/text.txt"
: >"$tmp/empty.pcap"
for f in text.txt:'not a pcap or pcapng file' empty.pcap:'not a pcap or pcapng file (0 bytes)' \
	missing.pcap:'No such file or directory'; do
	"$VPNLAB" decode "$tmp/${f%%:*}" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	[ $rc -eq 2 ] && [ ! -s "$tmp/bad.out" ] && grep -qF "${f#*:}" "$tmp/bad.err"
	ok $? "${f%%:*}: '${f#*:}', nothing on stdout, exit 2" "exit $rc" "$(cat "$tmp/bad.err")"
done

"$VPNLAB" decode >"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
"$VPNLAB" decode --frobnicate "$wan" >>"$tmp/u.out" 2>>"$tmp/u.err"
rc2=$?
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(grep -c '^usage: vpnlab decode' "$tmp/u.err")" = 2 ]
ok $? "usage: no file, or an unknown option, exits 2 with the usage" "$(cat "$tmp/u.err")"

editcap -T ieee-802-11 "$wan" "$tmp/wifi.pcap" 2>/dev/null
"$VPNLAB" decode "$tmp/wifi.pcap" >"$tmp/wifi.txt" 2>"$tmp/wifi.err"
rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/wifi.err")" = 1 ] && grep -q 'link type 105 (wifi) is not supported' "$tmp/wifi.err" &&
	[ "$(grep -c ' wifi non-ip$' "$tmp/wifi.txt")" = "$(wc -l <"$tmp/wan.json")" ]
ok $? "unsupported link type (802.11): every frame shown as non-ip, said once on stderr, exit 0" \
	"exit $rc" "$(cat "$tmp/wifi.err")" "$(head -n 2 "$tmp/wifi.txt")"

# The comparison of (a) can fail: the lan capture against the wan timeline.
lan=$(dirname "$wan")/lan.pcap
"$VPNLAB" decode --json --link wan "$lan" >"$tmp/lan.json"
why=$(same_facts "$(dirname "$wan")/timeline.jsonl" wan "$tmp/lan.json" 2>&1)
[ -n "$why" ]
ok $? "built to fail: the lan pcap decoded as 'wan' does not match the wan timeline" "said: $why"

finish
