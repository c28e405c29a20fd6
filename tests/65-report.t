#!/bin/bash
# The run's HTML report (results/<run>/index.html), loaded in a real
# headless Chromium. One host run: a passing userspace NAT-T scenario with
# a runtime event (the NAT's remap), one built to fail, one scenario error,
# a ping across a bridged link (a broadcast goes to all), and a flood of
# more packets than the page draws whose point is named
# "</script><!--<script>" (the embedded data must not end its element). The rendered page must have no JavaScript or console
# error, one arrow per packet (up to the cap, with a note), the failing
# point's diagnostic, the NAT rewrite, the nodes as columns, the event, and
# links to pcaps that exist; its screenshot is not blank and shows the
# failure's red. Built to fail: the same checks catch a planted exception
# and broken embedded data, and odd but valid data draws without an error.
# A report that cannot be written is a warning, not a different exit status.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=65-report
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null || { echo "1..0 # SKIP chromium is not installed"; rm -rf "$tmp"; exit 0; }

mkdir -p "$tmp/sc"
cat >"$tmp/sc/flood.lua" <<'EOF'
-- More packets than the report draws, and a point name that would end a <script> element.
-- 1600 pings, four frames each (two links), paced in rounds so the captures keep up.
local net = vpnlab.start("home-nat")
local gw, lost = net.nodes.gateway:addr("wan"), 0
for _ = 1, 16 do
  lost = lost + net.nodes.client:exec{ "ping", "-q", "-i", "0.001", "-c", "100", "-W", "1", gw }.status
end
vpnlab.is(lost, 0, "a flood ping </script><!--<script> crosses the NAT")
EOF
cat >"$tmp/sc/bridged.lua" <<'EOF'
-- Three members on one link (a bridge): a broadcast goes to all of them.
local net = vpnlab.start("two-clients-nat")
local r = net.nodes.client:exec{ "ping", "-c", "1", "-W", "2", net.nodes.client2:addr("lan") }
vpnlab.is(r.status, 0, "client pings client2 across the bridged LAN")
EOF
scenarios=(
	scenarios/dataplane/nat-rebind-libipsec.lua
	tests/scenarios/fail/home-nat-wrong.lua
	tests/scenarios/errors/runtime.lua
	"$tmp/sc/bridged.lua"
	"$tmp/sc/flood.lua"
)
"$VPNLAB" run --backend host --results "$tmp/r" "${scenarios[@]}" >"$tmp/run.tap" 2>"$tmp/run.err"
rc=$?
is "$rc" 2 "the run's exit status is its own (2: one scenario erred)"
run=$(readlink -f "$tmp/r/latest")
page=$run/index.html
ok "$([ -s "$page" ]; echo $?)" "index.html is written in the run's folder" "$(tail -3 "$tmp/run.err")"
ok "$(! grep -Eiq '<(script|link|img)[^>]* (src|href)="?(https?:)?//' "$page"; echo $?)" \
	"the page loads nothing from the network"

# render FILE NAME: Chromium's DOM of FILE in $tmp/NAME.dom, its log in $tmp/NAME.log.
render() {
	timeout 60 chromium --headless=new --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
		--user-data-dir="$tmp/chromium" --virtual-time-budget=5000 --dump-dom "file://$1" \
		>"$tmp/$2.dom" 2>"$tmp/$2.log"
}

# page_problems NAME: what is wrong with a rendered page; nothing when it is fine.
page_problems() {
	grep -q '<html[^>]* data-rendered="yes"' "$tmp/$1.dom" || echo "the page's script did not run to its end"
	grep -q '<html[^>]* data-page-errors="0"' "$tmp/$1.dom" ||
		echo "errors recorded: $(grep -o 'data-page-error-text="[^"]*"' "$tmp/$1.dom" | head -1)"
	grep 'CONSOLE' "$tmp/$1.log" | head -3
}

# arrows NAME: the packet arrows of each scenario's ladder, one count a line, in page order.
arrows() {
	python3 - "$tmp/$1.dom" <<'EOF'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
for section in dom.split('<section class="scenario')[1:]:
    print(len(re.findall(r'<g class="pkt ', section)))
EOF
}

render "$page" good
problems=$(page_problems good)
is "$problems" "" "Chromium renders the page without a JavaScript or console error"

# What the page must draw: every scenario's packets, up to the cap of 5000.
want=""
for f in "${scenarios[@]}"; do
	slug=$(printf '%s' "${f#"$PWD"/}" | sed 's/\.lua$//; s#^\./##; s#^/##; s#[/.]#_#g')
	if [ -f "$run/$slug/timeline.jsonl" ]; then
		total=$(grep -vc '"event"' "$run/$slug/timeline.jsonl")
		want+="$(( total < 5000 ? total : 5000 )) "
	else
		want+="0 "
	fi
done
got=$(arrows good | tr '\n' ' ')
is "$got" "$want" "one arrow per packet in each scenario's ladder (at most 5000)"
like "$want" '^[1-9][0-9]* [1-9][0-9]* 0 [1-9][0-9]* 5000 $' \
	"the timelines behind it: packets, packets, none (erred), packets, more than the cap"
like "$(cat "$tmp/good.dom")" 'The ladder shows the first 5000 of [0-9]+ packets' "the cut timeline says so"

dom=$(cat "$tmp/good.dom")
ok "$(grep -Pzq '<pre class="diag">[^<]*expected at least one packet matching link=wan esp=raw' \
	"$tmp/good.dom"; echo $?)" "the failing point's diagnostic is on the page"
like "$dom" '<section class="scenario failed"' "the failing scenario is marked failed"
like "$dom" '<section class="scenario error"' "the erred scenario is marked erred"
like "$dom" 'error.txt: [^<]*runtime.lua:[0-9]+' "the erred scenario's error.txt is shown"
like "$dom" '>client</text>.*>home \(router\)</text>.*>gateway</text>' "the nodes are the columns, neighbours side by side"
like "$dom" 'IKE_SA_INIT req 500-&gt;500' "IKE is labelled by exchange, direction and ports"
like "$dom" 'ESP-in-UDP spi 0x[0-9a-f]{8} 4500' "ESP-in-UDP is labelled with its SPI and port"
like "$dom" 'NAT 192\.168\.1\.2:500 -&gt; 203\.0\.113\.1:500' "the NAT's rewrite of the first IKE packet is marked"
like "$dom" 'NAT 192\.168\.1\.2:4500 -&gt; 203\.0\.113\.1:400[0-9][0-9]' "the remapped outside port is marked after the event"
like "$dom" 'event at 0\.[0-9]+ s: home:remap' "the runtime event is a marker"
like "$dom" 'a flood ping &lt;/script&gt;&lt;!--&lt;script&gt; crosses the NAT' \
	"a point named </script><!--<script> is shown as text (the data did not end its element)"
broadcast=$(python3 - "$tmp/good.dom" <<'EOF'
import re, sys
section = open(sys.argv[1], encoding="utf-8").read().split('<section class="scenario')[4]
for g in re.findall(r'<g class="pkt [^"]*"(.*?)</g>', section):
    # The kernel's own IGMP report (IP protocol 2) as an interface comes up is
    # on the wire only when it leaves after the capture started: not the ping's.
    if '>other proto 2<' in g:
        continue
    print(len(re.findall(r'<line class="arrow"', g)), end=" ")
EOF
)
like "$broadcast" '^2 1 1 1 $' "a bridged link: the broadcast is one packet with an arrow to each other member"
pcap=$(grep -o 'href="scenarios_dataplane_nat-rebind-libipsec/wan.pcap"' "$tmp/good.dom" | head -1)
ok "$([ -n "$pcap" ] && [ -s "$run/scenarios_dataplane_nat-rebind-libipsec/wan.pcap" ]; echo $?)" \
	"the pcap links are relative and name files that exist"

# The screenshot: decoded here (PNG: zlib IDAT, filter bytes undone), its distinct colours counted.
timeout 60 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$tmp/chromium" \
	--virtual-time-budget=5000 --window-size=1400,1800 --screenshot="$tmp/shot.png" "file://$page" \
	>/dev/null 2>&1
colours=$(python3 - "$tmp/shot.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, seen, red = zlib.decompress(idat), w * bpp, None, set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        seen.add(px)
        red += px == b"\x82\x07\x1e"
    prev = line
print(len(seen), red)
EOF
)
like "$colours" '^([0-9]{3,}) ' "the screenshot is not blank (distinct colours: ${colours% *})"
like "$colours" ' [0-9]{4,}$' "a failure shows at a glance: the header is red (pixels: ${colours#* })"

# The pages below are made from this one without the flood (the last scenario), to render quickly.
python3 - "$page" "$run/small.html" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
last = page.rindex('<script type="application/json" class="vpnlab-scenario">')
open(sys.argv[2], "w", encoding="utf-8").write(page[:last] + page[page.index('</script>', last) + 9:])
EOF
small=$run/small.html
want=${want% 5000 }" "

# A timeline without link-layer addresses (an older run, a raw-IP capture): the columns by IP address.
sed 's/,"eth_src":"[^"]*"//g; s/,"eth_dst":"[^"]*"//g' "$small" >"$run/noeth.html"
ok "$({ ! grep -q '"eth_src":' "$run/noeth.html" && grep -q '"eth_src":' "$small"; }; echo $?)" "a page without MACs is made"
render "$run/noeth.html" noeth
is "$(page_problems noeth)" "" "without MACs the page draws without an error"
is "$(arrows noeth | tr '\n' ' ')" "$want" "... with the same arrows"
like "$(cat "$tmp/noeth.dom")" 'NAT 192\.168\.1\.2:500 -&gt; 203\.0\.113\.1:500' "... and the same NAT rewrite"

# Built to fail: the same checks on pages that are broken.
sed 's/^  main();$/  throw new Error("planted");/' "$small" >"$run/planted.html"
render "$run/planted.html" planted
problems=$(page_problems planted)
like "$problems" 'did not run to its end' "built to fail: a planted exception is caught (the page stops)"
like "$problems" 'planted' "built to fail: ... and its message is recorded"
python3 - "$small" "$run/broken.html" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
at = page.index('<script type="application/json" class="vpnlab-scenario">') + 56
open(sys.argv[2], "w", encoding="utf-8").write(page[:at] + '{"name": ' + page[at:])
EOF
render "$run/broken.html" broken
like "$(page_problems broken)" 'bad embedded data' "built to fail: broken embedded data is caught"
is "$(arrows broken | tr '\n' ' ')" "${want#* }" "built to fail: ... and that scenario's arrows are missing"

# Odd but valid data must draw without an exception.
python3 - "$small" "$run/odd.html" <<'EOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
odd = ('{"name":5,"status":null,"points":[null,{"n":"x","yaml":7}],"timeline":[1,null,'
       '{"class":5,"t":"x","link":{}},{"event":null},{"t":1,"link":"wan","class":"ike","ike":7,'
       '"ike_notify":"x","ike_frag":[1]},{"t":2,"class":"esp","inner":{"state":"decrypted"}}],'
       '"lab":{"nodes":7,"links":[null,{"name":"wan","members":"x"}]},"pcaps":{},"packets_total":"9"}')
tag = '<script type="application/json" class="vpnlab-scenario">'
open(sys.argv[2], "w", encoding="utf-8").write(page.replace(tag, tag + odd + '</script>\n' + tag, 1))
EOF
render "$run/odd.html" odd
is "$(page_problems odd)" "" "odd but valid data draws without an error"
like "$(arrows odd | sed -n 1p)" '^3$' "... and its three packet objects get arrows"

# No report (its template missing): a warning, and the same exit status.
mkdir -p "$tmp/nodata"
VPNLAB_SRCDIR=$tmp/nodata VPNLAB_LUA_DIR=$PWD/lua "$VPNLAB" run --backend host --results "$tmp/r2" \
	tests/scenarios/errors/runtime.lua >/dev/null 2>"$tmp/r2.err"
rc2=$?
"$VPNLAB" run --backend host --results "$tmp/r3" tests/scenarios/errors/runtime.lua >/dev/null 2>&1
is "$rc2" "$?" "without a report template the run's exit status is unchanged"
like "$(cat "$tmp/r2.err")" 'warning: no HTML report: no report template' "... and stderr says why there is no report"
ok "$([ ! -e "$tmp/r2/latest/index.html" ]; echo $?)" "... and no half-written page is left"

finish
