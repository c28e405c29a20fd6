#!/bin/bash
# The fuzz targets (tests/fuzz/): each runs FUZZ_SECONDS (default 40) from
# the checked-in seeds and must end with zero crashes, leaks and timeouts,
# no ASan/UBSan report and no broken invariant, having really executed
# inputs. Then a build of the dissector target with a planted bug
# (FUZZ_SELFTEST: a frame holding a marker makes the harness read past its
# input) must be caught the same way, with an artifact that reproduces the
# crash: a run that reports nothing means nothing only if a bug would have
# been reported.
#
# Builds what it needs (make fuzz-build, in build-fuzz/); the runs and their
# artifacts go to a scratch folder, kept and named when something failed.
# FUZZ_SECONDS and FUZZ_JOBS (targets at once, default all four) override.

TEST_NAME=60-fuzz
. "$(dirname "$0")/lib.sh"

seconds=${FUZZ_SECONDS:-40}
jobs=${FUZZ_JOBS:-4}
targets=(fuzz_dissect fuzz_vici fuzz_topo fuzz_pcapfile)   # the Makefile's FUZZ_TARGETS
marker=VPNLAB-FUZZ-SELFTEST

make -s fuzz-build >"$tmp/build.log" 2>&1
ok $? "make fuzz-build: the targets build with clang, libFuzzer, ASan and UBSan" \
	"$(tail -n 20 "$tmp/build.log")"

# key VALUE of a tests/fuzz/run summary.
get() {
	sed -n "s/^$2=//p" "$1"
}

# ---- 1. every target, bounded, clean ------------------------------------------

tests/fuzz/run -t "$seconds" -j "$jobs" -o "$tmp/fuzz" "${targets[@]}" >"$tmp/fuzz.out" 2>&1
for t in "${targets[@]}"; do
	s=$tmp/fuzz/logs/$t.summary
	runs=$(get "$s" runs)
	[ "$(get "$s" status)" = ok ] && [ "${runs:-0}" -gt 0 ] 2>/dev/null
	ok $? "$t: ran $seconds s, zero crashes, no sanitizer report, inputs executed" \
		"$(grep "^$t: " "$tmp/fuzz.out")" "$(get "$s" report | tr '|' '\n')" \
		"artifacts: $(get "$s" artifacts)" "log: $tmp/fuzz/logs/$t.log"
	echo "# $t: $(get "$s" exec_per_sec) exec/s, $runs runs, seed $(get "$s" seed)," \
		"corpus $(get "$s" corpus_before) -> $(get "$s" corpus_after), coverage $(get "$s" coverage)"
done

# ---- 2. a planted bug is reported ----------------------------------------------

self=$tmp/self
mkdir -p "$self/corpus/fuzz_dissect_selftest"
printf '\0\377\0\0%s' "$marker" >"$tmp/marker-seed"
cp "$tmp/marker-seed" "$self/corpus/fuzz_dissect_selftest/"
build-fuzz/fuzz_dissect "$tmp/marker-seed" >"$tmp/plain.log" 2>&1
ok $? "the marker is harmless to the real fuzz_dissect" "$(tail -n 5 "$tmp/plain.log")"

tests/fuzz/run -t 20 -o "$self" fuzz_dissect_selftest >"$tmp/self.out" 2>&1
rc=$?
s=$self/logs/fuzz_dissect_selftest.summary
art=$(get "$s" artifacts)
[ $rc -eq 1 ] && [ "$(get "$s" status)" = failed ] &&
	grep -q 'AddressSanitizer: heap-buffer-overflow' "$self/logs/fuzz_dissect_selftest.log" &&
	[ -f "${art%% *}" ] && grep -q "$marker" "${art%% *}" && grep -q '^    reproduce: ' "$tmp/self.out"
ok $? "planted bug: the run fails, ASan reports the over-read, the crash input is kept" \
	"run exit $rc (want 1)" "$(cat "$tmp/self.out")"

repro=$(sed -n 's/^    reproduce: //p' "$tmp/self.out" | head -n 1)
if [ -n "$repro" ]; then
	$repro >"$tmp/repro.log" 2>&1
	rc=$?
else
	rc=0
fi
[ $rc -ne 0 ] && grep -q 'AddressSanitizer: heap-buffer-overflow' "$tmp/repro.log"
ok $? "planted bug: the printed reproduce command crashes the same way" \
	"command: ${repro:-(none printed)}" "exit $rc" "$(grep -m 3 -E 'ERROR|SUMMARY' "$tmp/repro.log")"

finish
