#!/bin/bash
# libreswan as a second IKE implementation (issue 12, "libreswan").
#   - one VM boot, two at once: scenarios/interop/ (strongSwan client <->
#     libreswan gateway and libreswan client <-> strongSwan gateway, IKEv2
#     with PSK, IKEv2 with certificates, and IKEv1 main mode, each through
#     the home NAT: the float to udp/4500, ESP in UDP and never raw, a ping
#     through the tunnel; libreswan's sas()) pass whole; BUILT TO FAIL: tests/scenarios/interop/proposal-mismatch.lua
#     fails exactly points 2 and 6 (the tunnel, and ESP), while its
#     NO_PROPOSAL_CHOSEN in the IKE_SA_INIT response passes; BUILT TO FAIL:
#     tests/scenarios/interop/ikev1-modecfg-split.lua (IKEv1 mode config,
#     strongSwan client, libreswan gateway) fails exactly points 4 and 8 (the
#     tunnel, ESP), while the client's log line about the malformed
#     CONFIGURATION_ATTRIBUTE_V1 list and the IKEv1 exchanges on the wire pass
#   - the generated ipsec.conf and pluto's log are in the results folder
#   - bad scenario input, exit 2 at the user's line: an unknown field, a
#     field pluto cannot honour, a wrong type, a pool on a client, the
#     userspace data plane, an Ed25519 certificate, a CA without a
#     certificate; virtual_private on a client or with IKEv2; libreswan missing from the cache names `vpnlab vm prepare`
#   - vm prepare finds libreswan current and returns at once
#   - doctor reports libreswan: fetched (the default cache), or missing with
#     the hint for an empty --cache
#
# Needs `vpnlab vm prepare` (the kernel image and libreswan in the cache).
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=70-libreswan
. "$(dirname "$0")/lib.sh"

# --- the interop scenarios and the built-to-fail one: one VM boot -------------------------
start=$(date +%s)
"$VPNLAB" run --backend vm -j 2 --results "$tmp/res" scenarios/interop/ tests/scenarios/interop/ \
	>"$tmp/vm.out" 2>"$tmp/vm.err"
rc=$?
echo "# interop in the VM: $(( $(date +%s) - start )) s"
is "$rc" 1 "exit 1: the built-to-fail scenario fails, nothing errors" "$(tail -n 3 "$tmp/vm.err")"
is "$(grep -c '^# vm: .* for the VM.*: booting' "$tmp/vm.out")" 1 "one VM boot for all of them"
interop=$(find scenarios/interop -name '*.lua' | wc -l)
is "$(grep -cE '^ok [0-9]+ - scenarios/interop/' "$tmp/vm.out")" "$interop" \
	"every interop scenario passes ($interop)" "$(grep -E '^ *not ok' "$tmp/vm.out")"
for f in scenarios/interop/*.lua; do
	line=$(grep -E "^(not )?ok [0-9]+ - $f " "$tmp/vm.out")
	like "$line" "^ok .*\(([0-9]+) passed, 0 failed" "$(basename "$f" .lua): every point passes"
	echo "# $(echo "$line" | sed -n 's/^ok [0-9]* - \([^ ]*\) (.*, \([0-9.]*\) s).*/\1: \2 s/p')"
done
mismatch=$(sed -n '/^# Subtest: tests\/scenarios\/interop\/proposal-mismatch.lua/,/^\(not \)\?ok [0-9]* - /p' "$tmp/vm.out")
is "$(echo "$mismatch" | grep '^    not ok' | awk '{ print $3 }' | tr '\n' ' ')" "2 6 " \
	"proposal-mismatch: exactly points 2 and 6 fail (BUILT TO FAIL)"
like "$(echo "$mismatch" | grep '^    ok 1 ')" "NO_PROPOSAL_CHOSEN" \
	"proposal-mismatch: the IKE_SA_INIT response with NO_PROPOSAL_CHOSEN is seen on the wire"
like "$(echo "$mismatch" | grep '^    ok 3 ')" "logged the notify" "proposal-mismatch: pluto logged it"
like "$(echo "$mismatch" | grep '^    ok 5 ')" "nothing floats to udp/4500" "proposal-mismatch: no float without an IKE SA"
modecfg=$(sed -n '/^# Subtest: tests\/scenarios\/interop\/ikev1-modecfg-split.lua/,/^\(not \)\?ok [0-9]* - /p' "$tmp/vm.out")
is "$(echo "$modecfg" | grep '^    not ok' | awk '{ print $3 }' | tr '\n' ' ')" "4 8 " \
	"ikev1-modecfg-split: exactly points 4 and 8 fail (BUILT TO FAIL)"
like "$(echo "$modecfg" | grep '^    ok 5 ')" "malformed CONFIGURATION_ATTRIBUTE_V1" \
	"ikev1-modecfg-split: strongSwan logged the malformed CONFIGURATION_ATTRIBUTE_V1 list"
like "$(echo "$modecfg" | grep '^    ok 2 ')" "ModeCfg reply, a TRANSACTION on udp/4500" \
	"ikev1-modecfg-split: the gateway's ModeCfg reply is on the wire, after the float"
like "$(echo "$modecfg" | grep '^    ok 7 ')" "no quick mode follows" "ikev1-modecfg-split: no quick mode"
res=$(sed -n 's/^# results: \(.*ikev1-strongswan-client-libreswan-gw\)$/\1/p' "$tmp/vm.out")
like "$(cat "$res/gateway/ipsec.conf" 2>/dev/null | tr '\n' ' ')" "virtual-private=%v4:192\.168\.0\.0/16 .*rightsubnet=vhost:%priv" \
	"virtual_private: the gateway's ipsec.conf has virtual-private and rightsubnet=vhost:%priv"

res=$(sed -n 's/^# results: \(.*ikev2-strongswan-client-libreswan-gw\)$/\1/p' "$tmp/vm.out")
like "$(cat "$res/gateway/ipsec.conf" 2>/dev/null)" "rightaddresspool=10\.99\.0\.1-10\.99\.0\.254" \
	"the gateway's ipsec.conf has the pool as pluto's range"
like "$(cat "$res/gateway/pluto.log" 2>/dev/null)" "responder established Child SA" \
	"pluto's log is in the node's results folder"
like "$(cat "$res/gateway/whack-status.txt" 2>/dev/null)" "STATE_V2_ESTABLISHED_CHILD_SA" \
	"whack's last answer is kept next to it"

# --- bad scenario input: exit 2 at the line ------------------------------------------------
bad_scenario() {   # bad_scenario DESC ERE LUA-LINE...: the scenario's error matches ERE at the last line
	local desc=$1 ere=$2 err
	shift 2
	printf '%s\n' 'local net = vpnlab.start("direct")' "$@" >"$tmp/bad-scenario.lua"
	"$VPNLAB" run --backend host --results "$tmp/res-bad" "$tmp/bad-scenario.lua" >"$tmp/bad-s.out" 2>"$tmp/bad-s.err"
	is "$?" 2 "$desc: exit 2"
	err=$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/bad-s.out" | head -n 1)
	like "$err" "bad-scenario\.lua:$(( $# + 1 )): $ere" "$desc: the error at its line says so"
}
bad_scenario "an unknown field" "libreswan on 'client': unknown field 'bogus' \(known: .*esp_proposals.*\)" \
	'net.nodes.client:libreswan{ psk = "x", remote = "198.51.100.2", bogus = 1 }'
bad_scenario "a field pluto cannot honour" "libreswan on 'client': ah_proposals cannot be honoured: AH is not offered" \
	'net.nodes.client:libreswan{ psk = "x", remote = "198.51.100.2", ah_proposals = "sha256" }'
bad_scenario "a wrong type" "libreswan on 'gateway': version must be a number, not a string" \
	'net.nodes.gateway:libreswan{ psk = "x", version = "2" }'
bad_scenario "a pool on a client" "libreswan on 'client': pool is a gateway field" \
	'net.nodes.client:libreswan{ psk = "x", remote = "198.51.100.2", pool = "10.9.0.0/24" }'
bad_scenario "the userspace data plane" "libreswan on 'client': dataplane must be .{1,2}kernel.{1,2} \\(pluto has no userspace ESP\\)" \
	'net.nodes.client:libreswan{ psk = "x", remote = "198.51.100.2", dataplane = "libipsec" }'
bad_scenario "an Ed25519 certificate" "libreswan on 'gateway': pluto 4\.10 \(NSS\) does not sign with Ed25519 keys" \
	'local ca = vpnlab.pki.ca("Lab CA")' \
	'net.nodes.gateway:libreswan{ ca = ca, cert = ca:issue{ id = "gw.lab", key = "ed25519" } }'
bad_scenario "a CA without a certificate" "libreswan on 'gateway': ca is the trust anchor for cert = <certificate>: give both" \
	'local ca = vpnlab.pki.ca("Lab CA")' \
	'net.nodes.gateway:libreswan{ psk = "x", ca = ca }'
bad_scenario "virtual_private on a client" "libreswan on 'client': virtual_private is a gateway field" \
	'net.nodes.client:libreswan{ psk = "x", version = 1, remote = "198.51.100.2", virtual_private = "192.168.0.0/16" }'
bad_scenario "virtual_private with IKEv2" "libreswan on 'gateway': virtual_private is IKEv1 \(pluto's vhost:\): give version = 1" \
	'net.nodes.gateway:libreswan{ psk = "x", virtual_private = "192.168.0.0/16" }'
mkdir -p "$tmp/empty-cache"
VPNLAB_CACHE=$tmp/empty-cache bad_scenario "libreswan missing from the cache" \
	"libreswan is not in vpnlab's cache \([^)]*empty-cache/libreswan\): run \`vpnlab vm prepare\`" \
	'net.nodes.gateway:libreswan{ psk = "x" }'
# --cache reaches the driver too (the runner hands it on as VPNLAB_CACHE, to the VM's guest in its arguments)
printf '%s\n' 'local net = vpnlab.start("direct")' 'net.nodes.gateway:libreswan{ psk = "x" }' >"$tmp/bad-scenario.lua"
"$VPNLAB" run --backend host --cache "$tmp/empty-cache" --results "$tmp/res-bad" "$tmp/bad-scenario.lua" >"$tmp/bad-s.out" 2>"$tmp/bad-s.err"
is "$?" 2 "--cache EMPTY: exit 2"
like "$(sed -n 's/^      error: "\(.*\)"$/\1/p' "$tmp/bad-s.out" | head -n 1)" \
	"libreswan is not in vpnlab's cache \([^)]*empty-cache/libreswan\)" "--cache EMPTY: the driver looks in that cache, not the default"

# --- vm prepare: libreswan current, at once ---------------------------------------------------
start=$(date +%s%N)
"$VPNLAB" vm prepare >"$tmp/prepare.out" 2>&1
prc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$prc" 0 "vm prepare: exit 0"
like "$(cat "$tmp/prepare.out")" "libreswan [0-9][^ ]* is current" "vm prepare: libreswan is current in the cache"
like "$(cat "$tmp/prepare.out")" "ready: libreswan [0-9][^ ]* in /.*/libreswan$" "vm prepare: it says where"
ok $(( ms > 2000 )) "vm prepare: kernel and libreswan current in ${ms} ms (under 2 s)"

# --- doctor ---------------------------------------------------------------------------------
"$VPNLAB" doctor >"$tmp/doctor.out" 2>&1
like "$(grep '^libreswan ' "$tmp/doctor.out")" "^libreswan +fetched +libreswan [0-9].* \(pluto /.*/libreswan/root/usr/libexec/ipsec/pluto\)" \
	"doctor: libreswan fetched, its version and pluto's path"
"$VPNLAB" doctor --cache "$tmp/empty-cache" >"$tmp/doctor-empty.out" 2>&1
like "$(grep '^libreswan ' "$tmp/doctor-empty.out")" "^libreswan +missing \(optional\) .*run: vpnlab vm prepare" \
	"doctor --cache EMPTY: libreswan missing, with the command that fetches it"

finish
