#!/bin/bash
# One scenario, one meaning: every bundled scenario through each backend.
#   - --backend vm: the whole set in one VM boot; every scenario passes, each
#     on the vm backend. ports/12-blocked-4500's time bound (issue 7, item 8) is its
#     own point here.
#   - --backend auto: what the host can run runs there (the userspace data
#     plane scenarios on a host without kernel ESP), the rest in one VM boot;
#     every scenario passes.
#   - --backend host: every scenario passes or is "# SKIP" saying how to run
#     it (--backend vm or auto); none fails.
# Each run's stream must be accepted by prove. The runs' results folders go
# under VPNLAB_RESULTS (default results/), so results/latest is the last run.
#
# Runs from the repository root; VPNLAB names the binary (default ./vpnlab).

TEST_NAME=40-scenarios
. "$(dirname "$0")/lib.sh"

results=${VPNLAB_RESULTS:-results}
mapfile -t files < <(find scenarios -name '*.lua' | LC_ALL=C sort)
total=${#files[@]}

# run NAME ARGS...: the runner on scenarios/, leaving $tmp/NAME.{out,err,rc}.
run() {
	local name=$1
	shift
	"$VPNLAB" run "$@" --results "$results" scenarios/ >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

# The top-level result lines of a run ("ok 3 - file ...", "not ok ...").
tops() { grep -E '^(not )?ok [0-9]+ - ' "$tmp/$1.out"; }

# Checks shared by every backend: exit 0, one top-level line per file (auto
# runs the host's share first), nothing "not ok", and prove reads the stream.
check_common() {   # check_common NAME
	local name=$1 got
	is "$(cat "$tmp/$name.rc")" 0 "$name: exit 0"
	got=$(tops "$name" | sed -E 's/^(not )?ok [0-9]+ - ([^ ]+).*/\2/' | LC_ALL=C sort)
	is "$got" "$(printf '%s\n' "${files[@]}")" "$name: one result per bundled scenario ($total)"
	is "$(tops "$name" | grep -c '^not ok')" 0 "$name: no scenario fails" \
		"$(tops "$name" | grep '^not ok')"
	cp "$tmp/$name.out" "$tmp/$name.t"
	prove -e cat "$tmp/$name.t" >"$tmp/$name.prove" 2>&1
	ok $? "$name: prove accepts the stream" "$(tail -n 5 "$tmp/$name.prove")"
	# The runner's own timing per scenario, for the log.
	tops "$name" | sed -n 's/^ok [0-9]* - \([^ ]*\) (.*, \([0-9.]*\) s).*/# \1: \2 s/p'
}

# --backend vm: the whole set, one boot --------------------------------------
start=$(date +%s)
run vm --backend vm
echo "# --backend vm: $(( $(date +%s) - start )) s"
check_common vm
is "$(grep -c '^# vm: .* for the VM.*: booting' "$tmp/vm.out")" 1 "vm: one VM boot for the whole set"
is "$(grep -c '^# backend: vm ' "$tmp/vm.out")" "$total" "vm: every scenario ran on the vm backend"
bound=$(grep -E '^ +ok [0-9]+ - it gives up in bounded time' "$tmp/vm.out")
like "$bound" '^ +ok .*\([0-9.]+ s < 4\.5 s\)' "vm: blocked-4500 gives up within its own time bound in the VM"
echo "# blocked-4500 in the VM:${bound#*time}"

# --backend auto: host where possible, the VM for the rest -------------------
start=$(date +%s)
run auto --backend auto
echo "# --backend auto: $(( $(date +%s) - start )) s"
check_common auto
is "$(grep -c '^# backend: ' "$tmp/auto.out")" "$total" "auto: every scenario names its backend"
if grep -Eq '^# vpnlab .*host kernel .*kernel ESP: yes\)' "$tmp/auto.out" ||
   [ "$(grep -c '^# backend: vm ' "$tmp/auto.out")" -eq 0 ]; then
	ok 0 "auto: (this host runs everything itself: nothing to hand over)"
else
	is "$(grep -c '^# vm: .* for the VM.*: booting' "$tmp/auto.out")" 1 "auto: one VM boot for what the host lacks"
fi
# The userspace data plane needs nothing from the kernel: always the host.
got=$(awk '/^(not )?ok [0-9]+ - / { f = $4 } /^# backend: / { print f, $3 }' "$tmp/auto.out" |
      awk '$1 ~ /libipsec/ && $2 != "host,"')
is "$got" "" "auto: the libipsec scenarios ran on the host"

# --backend host: passes or says how to run it -------------------------------
run host --backend host
check_common host
got=$(tops host | grep ' # SKIP' | grep -v -- '--backend vm or auto')
is "$got" "" "host: every SKIP says how to run the scenario (--backend vm or auto)"
got=$(tops host | grep -v ' # SKIP' | sed -E 's/^ok [0-9]+ - ([^ ]+).*/\1/' | tr '\n' ' ')
echo "# host: ran ${got:-nothing}; skipped $(tops host | grep -c ' # SKIP')"
got=$(tops host | grep 'libipsec' | grep ' # SKIP')
is "$got" "" "host: the libipsec scenarios run on any kernel"

finish
