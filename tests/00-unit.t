#!/bin/bash
# The C unit tests, each binary as one TAP subtest.
build=${VPNLAB_BUILD:-build}
n=0
fail=0
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	name=$(basename "$t")
	echo "# Subtest: $name"
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc)"
		fail=1
	fi
done
if [ $n -eq 0 ]; then
	echo "1..0 # SKIP no unit tests built in $build (run make unit)"
	exit 0
fi
echo "1..$n"
exit $fail
