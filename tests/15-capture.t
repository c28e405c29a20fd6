#!/bin/bash
# Captures show the wire: every frame of a link once, from both directions,
# in one pcap per link that is in time order and numbered as the timeline
# numbers it. A veth link is captured on both ends, each keeping what it
# sends (so a frame an IPsec endpoint re-injects as received never counts);
# a bridged segment on its bridge, promiscuous. Runs:
# (a) tests/scenarios/capture/wire.lua: one ping across a veth pair and one
#     across a three-member segment; its own points count the frames, and
#     here tcpdump must find the request and the reply once each;
# (b) the home-NAT IKEv2 scenario: on wan and lan the IKE_SA_INIT request
#     and response once each.
# For every pcap: as many records as timeline.jsonl has packets for the
# link, timestamps never going back, and record N has the length the
# timeline gives frame N.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=15-capture
. "$(dirname "$0")/lib.sh"

# run NAME FILE: runs one scenario; sets $dir to its results folder.
run() {
	"$VPNLAB" run --results "$tmp/$1" "$2" >"$tmp/$1.out" 2>"$tmp/$1.err"
	echo $? >"$tmp/$1.rc"
	dir=$(ls -d "$tmp/$1"/latest/*/ 2>/dev/null | head -n 1)
	dir=${dir%/}
}

# Per link of a timeline: "LINK COUNT NUMBERED LENGTHS" (NUMBERED 1 when the
# frames are 1..COUNT in time order; LENGTHS comma-separated, in that order).
timeline_links() {
	perl -MJSON::PP -ne '
		my $p = decode_json($_);
		push @{ $l{ $p->{link} } }, $p;
		END {
			for my $k (sort keys %l) {
				my @a = @{ $l{$k} };
				my $ok = 1;
				for my $i (0 .. $#a) { $ok = 0 if $a[$i]{frame} != $i + 1 }
				printf "%s %d %d %s\n", $k, scalar @a, $ok, join(",", map { $_->{len} } @a);
			}
		}' "$1"
}

# The same facts read from a pcap by tcpdump: "COUNT IN_ORDER LENGTHS".
pcap_facts() {
	tcpdump -tt -enr "$1" 2>/dev/null | awk '
		{ n++; if ($1 < last) bad = 1; last = $1
		  match($0, /, length [0-9]+:/); len = substr($0, RSTART + 9, RLENGTH - 10)
		  lens = lens (n > 1 ? "," : "") len }
		END { printf "%d %d %s\n", n, !bad, lens }'
}

# check_pcaps NAME LINK...: each link's pcap against the timeline.
check_pcaps() {
	local name=$1 link facts count numbered lens
	shift
	timeline_links "$dir/timeline.jsonl" >"$tmp/$name.links"
	for link in "$@"; do
		read -r count numbered lens < <(awk -v l="$link" '$1 == l { print $2, $3, $4 }' "$tmp/$name.links")
		facts=$(pcap_facts "$dir/$link.pcap")
		is "${facts%% *}" "${count:-none}" "$name: $link.pcap holds as many frames as the timeline has for $link"
		is "$(echo "$facts" | cut -d' ' -f2)" 1 "$name: $link.pcap is in time order"
		is "$numbered" 1 "$name: the timeline numbers $link's frames 1..n in time order"
		is "$(echo "$facts" | cut -d' ' -f3)" "$lens" "$name: record N of $link.pcap is the timeline's frame N (lengths agree)"
	done
}

# count_lines PCAP FILTER ERE: tcpdump lines of PCAP (FILTER applied) matching ERE.
count_lines() {
	tcpdump -nr "$1" $2 2>/dev/null | grep -cE -- "$3"
}

# ---- (a) a veth pair and a bridged segment, one ping each ----

run wire tests/scenarios/capture/wire.lua
is "$(cat "$tmp/wire.rc")" 0 "wire: the scenario passes (its points count each frame once)"
[ -n "$dir" ] && [ -f "$dir/timeline.jsonl" ]
ok $? "wire: a results folder with timeline.jsonl" "dir: '$dir'" "$(tail -n 5 "$tmp/wire.err")"
for link in pair seg; do
	is "$(count_lines "$dir/$link.pcap" icmp 'ICMP echo request')" 1 "wire: $link.pcap has the echo request once"
	is "$(count_lines "$dir/$link.pcap" icmp 'ICMP echo reply')" 1 "wire: $link.pcap has the echo reply once"
	is "$(count_lines "$dir/$link.pcap" arp 'ARP, (Request|Reply)')" 2 "wire: $link.pcap has the ARP request and reply"
done
check_pcaps wire pair seg

# ---- (b) home NAT: both directions of IKE on both veth links ----

run nat scenarios/ports/03-nat-moves-ike-to-4500.lua
is "$(cat "$tmp/nat.rc")" 0 "nat: the scenario passes"
for link in wan lan; do
	is "$(count_lines "$dir/$link.pcap" 'udp port 500' 'ikev2_init\[I\]')" 1 "nat: $link.pcap has the IKE_SA_INIT request once"
	is "$(count_lines "$dir/$link.pcap" 'udp port 500' 'ikev2_init\[R\]')" 1 "nat: $link.pcap has the IKE_SA_INIT response once"
	is "$(count_lines "$dir/$link.pcap" 'udp port 4500' 'ESP\(spi=0x[0-9a-f]+,seq=0x1\)')" 2 \
		"nat: $link.pcap has the first ESP packet of each direction once"
done
check_pcaps nat wan lan

finish
