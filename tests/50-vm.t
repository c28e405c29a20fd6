#!/bin/bash
# The vm backend. Needs a prepared VM image (`vpnlab vm prepare`, which
# `make check` runs first); without one, every point here fails, on purpose:
# CI must run the VM.
#   - doctor: the table names every feature, daemon, the image and the accelerator.
#   - vm prepare: a second run finds the cache current and returns at once.
#   - --backend vm on a scenario that passes and two BUILT TO FAIL (one an
#     ESP assertion, one each new middlebox: esp drop, stateful, netem), in one
#     boot: exit 1, the guest's points are numbered on from the host's, the
#     failing point's YAML comes through, the pcap it names (written by the
#     guest into the shared results folder) holds ESP packets, prove parses it.
#   - auto with both kinds of scenario: the host runs what it can, one VM
#     boot runs the rest, numbering is continuous.
#   - no VM image (an empty cache): what the host lacks is "# SKIP" with the
#     exact prepare command; --backend vm is a usage error (exit 2).
#   - --backend host: what the host lacks is "# SKIP" saying how to run it.
#   - the deadline: QEMU is killed by its PID, exit 2, a failing "vm backend"
#     point (not a Bail out!: the run itself goes on to its plan), nothing left.
#   - a guest silent past the boot timeout: killed, booted once more, given up.
#   - kill -9 of the runner while the VM runs: no QEMU left.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=50-vm
. "$(dirname "$0")/lib.sh"

V=tests/scenarios/vm
esp_on_host=no
"$VPNLAB" doctor >"$tmp/doctor.out" 2>&1
doctor_rc=$?
grep -Eq '^kernel esp +yes' "$tmp/doctor.out" && esp_on_host=yes

# doctor ---------------------------------------------------------------
missing=""
for row in esp ah l2tp ppp netem userns nftables charon swanctl xl2tpd pppd qemu; do
	grep -Eq "^(kernel )?$row[^ ]* " "$tmp/doctor.out" || missing="$missing $row"
done
is "$missing" "" "doctor: a row for every kernel feature and daemon"
like "$(cat "$tmp/doctor.out")" 'vm image +prepared' "doctor: the VM image is prepared"
like "$(grep -E '^ *accel' "$tmp/doctor.out")" 'kvm|tcg' "doctor: it names the acceleration"
ok $(( doctor_rc > 1 )) "doctor: exit status 0 or 1 (got $doctor_rc)"
"$VPNLAB" doctor --cache "$tmp/empty-cache" >"$tmp/doctor-empty.out" 2>&1
like "$(cat "$tmp/doctor-empty.out")" 'vpnlab vm prepare' "doctor: without an image it says how to prepare one"

# vm prepare is instant when current ------------------------------------
start=$(date +%s%N)
"$VPNLAB" vm prepare >"$tmp/prepare.out" 2>&1
prc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$prc" 0 "vm prepare: exit 0 on a current cache"
like "$(cat "$tmp/prepare.out")" 'is current' "vm prepare: says the cache is current"
ok $(( ms > 2000 )) "vm prepare: a current cache takes ${ms} ms (under 2 s)"

# --backend vm: one boot, a pass and a failure ---------------------------
"$VPNLAB" run --backend vm --results "$tmp/vm" $V/features.lua $V/esp-fail.lua $V/middlebox-fail.lua >"$tmp/vm.out" 2>"$tmp/vm.err"
rc=$?
is "$rc" 1 "backend vm: exit 1 (a point failed in the guest)"
like "$(grep -E '^ok 1 ' "$tmp/vm.out")" "^ok 1 - $V/features.lua" "backend vm: the passing scenario is point 1 (files run in the order given)"
like "$(grep -E '^not ok 2 ' "$tmp/vm.out")" "^not ok 2 - $V/esp-fail.lua" "backend vm: the failing scenario is point 2"
is "$(grep -c '^# vm: 3 scenarios for the VM: booting' "$tmp/vm.out")" 1 "backend vm: one VM boot for the three scenarios"
like "$(grep -E '^# backend: ' "$tmp/vm.out" | head -1)" '^# backend: vm \((tcg|kvm)\), kernel [0-9]' \
	"backend vm: the TAP says which backend and kernel ran the scenario"
is "$(tail -n 1 "$tmp/vm.out")" "1..3" "backend vm: the plan counts the guest's scenarios"
# The middleboxes built to fail: exactly the marked points, nothing else.
mb="$(sed -n 's/^# results: //p' "$tmp/vm.out" | grep middlebox-fail)/tap.txt"
is "$(grep -c '^not ok' "$mb" 2>&1)" 3 "middleboxes: exactly three points fail"
for want in "wan: ESP crossed the firewall" "lan: the gateway's new ping came in" "the WAN round trip is under 50 ms"; do
	like "$(grep '^not ok' "$mb" | tr '\n' ' ')" "$want" "middleboxes: '$want' fails"
done
like "$(grep '^ok' "$mb" | tr '\n' ' ')" "IKE passes the firewall.*shows netem" "middleboxes: the control points pass"
like "$(grep -A3 'not ok .* net: never' "$tmp/vm.out" | tr '\n' ' ')" 'message: ' "backend vm: the failing point's YAML diagnostic came through"
pcap=$(grep -m1 -E '^ +pcap: ' "$tmp/vm.out" | sed 's/.*pcap: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/')
[ -n "$pcap" ] && [ -s "$pcap" ]
ok $? "backend vm: the pcap named in the diagnostic exists on the host ($pcap)"
esp=$(tcpdump -nr "$pcap" 'ip proto 50' 2>/dev/null | wc -l)
ok $(( esp < 2 )) "backend vm: that pcap holds IP protocol 50 packets from the guest kernel ($esp)"
like "$(grep '^# vm: first scenario started' "$tmp/vm.out")" 'started [0-9.]+ s after launch' "backend vm: the boot time is reported"
cp "$tmp/vm.out" "$tmp/vm-stream.t"
prove -e cat "$tmp/vm-stream.t" >"$tmp/vm.prove" 2>&1
like "$(cat "$tmp/vm.prove")" 'Failed 2/3 subtests|Failed: 2|FAILED' "backend vm: prove reads the stream and sees the two failures"

# auto: host and VM in one invocation ------------------------------------
"$VPNLAB" run --results "$tmp/auto" scenarios/dataplane/libipsec-no-nat.lua $V/features.lua >"$tmp/auto.out" 2>"$tmp/auto.err"
rc=$?
is "$rc" 0 "auto: exit 0"
is "$(grep -cE '^ok [12] ' "$tmp/auto.out")" 2 "auto: points 1 and 2, in order"
if [ $esp_on_host = no ]; then
	like "$(grep -E '^# backend: ' "$tmp/auto.out" | tr '\n' ' ')" '^# backend: host, .*# backend: vm' \
		"auto: the userspace data plane scenario ran on the host, the feature check in the VM"
else
	ok 0 "auto: (this host has kernel ESP: nothing to compare)"
fi

# no VM image ----------------------------------------------------------
if [ $esp_on_host = no ]; then
	"$VPNLAB" run --cache "$tmp/empty-cache" --results "$tmp/novm" $V/features.lua >"$tmp/novm.out" 2>&1
	rc=$?
	is "$rc" 0 "no VM: exit 0 (a skip is not a failure)"
	like "$(grep '^ok 1 ' "$tmp/novm.out")" "# SKIP needs .*esp.*vpnlab vm prepare --cache $tmp/empty-cache" \
		"no VM: SKIP names what is missing and the exact prepare command"
	"$VPNLAB" run --backend host --results "$tmp/host" $V/features.lua >"$tmp/host.out" 2>&1
	like "$(grep '^ok 1 ' "$tmp/host.out")" '# SKIP needs .*esp.*--backend vm or auto' \
		"--backend host: SKIP says how to run it for real"
else
	for i in 1 2 3; do ok 0 "no VM: (this host has kernel ESP: nothing is skipped)"; done
fi
"$VPNLAB" run --backend vm --cache "$tmp/empty-cache" --results "$tmp/novm2" $V/features.lua >"$tmp/novm2.out" 2>"$tmp/novm2.err"
rc=$?
is "$rc" 2 "--backend vm without an image: exit 2"
like "$(cat "$tmp/novm2.err")" 'vpnlab vm prepare' "--backend vm without an image: the error says how to prepare one"

# qemu processes started for this test's results folders
qemus() { pgrep -f "qemu-system.*$tmp" | wc -l; }

# the deadline ---------------------------------------------------------
"$VPNLAB" run --backend vm --vm-timeout 2 --results "$tmp/deadline" $V/features.lua >"$tmp/deadline.out" 2>&1
rc=$?
is "$rc" 2 "deadline: exit 2"
like "$(grep '^not ok [0-9]* - vm backend: ' "$tmp/deadline.out")" '1 of 1 scenario did not report: .*deadline' "deadline: a failing point says the VM missed its deadline"
is "$(grep -c '^1\.\.1$' "$tmp/deadline.out")" 1 "deadline: the stream still ends with its plan"
is "$(qemus)" 0 "deadline: no QEMU left"

# a boot that says nothing: killed, booted once more, then given up ------
VPNLAB_VM_BOOT_TIMEOUT=0.5 "$VPNLAB" run --backend vm --results "$tmp/noboot" $V/features.lua >"$tmp/noboot.out" 2>&1
rc=$?
is "$rc" 2 "boot timeout: exit 2"
like "$(grep '^# vm: the first boot' "$tmp/noboot.out")" 'booted again' "boot timeout: the TAP says it booted a second time"
like "$(grep '^not ok [0-9]* - vm backend: ' "$tmp/noboot.out")" 'did not boot' "boot timeout: a failing point says the VM did not boot"
is "$(qemus)" 0 "boot timeout: no QEMU left"

# kill -9 of the runner --------------------------------------------------
"$VPNLAB" run --backend vm --results "$tmp/kill" $V/features.lua >"$tmp/kill.out" 2>&1 &
runner=$!
for i in $(seq 100); do [ "$(qemus)" -gt 0 ] && break; sleep 0.1; done
is "$(qemus)" 1 "kill -9: QEMU was running"
kill -9 $runner
wait $runner 2>/dev/null
for i in $(seq 50); do [ "$(qemus)" -eq 0 ] && break; sleep 0.1; done
is "$(qemus)" 0 "kill -9: no QEMU outlives the runner"

finish
