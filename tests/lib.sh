# Shared by the self-test scripts: a tiny TAP producer and the common set-up.
# Source it from a tests/*.t script after setting TEST_NAME; it moves to the
# repository root, resolves VPNLAB (default ./vpnlab) and makes $tmp.

case ${VPNLAB:-} in /*|'') ;; */*) VPNLAB=$PWD/$VPNLAB ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
VPNLAB=${VPNLAB:-./vpnlab}
tmp=$(mktemp -d "/tmp/vpnlab-${TEST_NAME:-test}.XXXXXX") || exit 2

n=0
bad=0
ok() {   # ok STATUS DESC [DIAG...]: one test point; STATUS 0 passes
	local status=$1 desc=$2
	shift 2
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		bad=1
		local line
		for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
	fi
}
is() {   # is GOT WANT DESC
	[ "$1" = "$2" ]
	ok $? "$3" "got:      '$1'" "expected: '$2'"
}
like() {   # like GOT ERE DESC
	printf '%s' "$1" | grep -Eq -- "$2"
	ok $? "$3" "got:      '$1'" "expected to match: $2"
}
finish() {   # the plan; keeps $tmp only when something failed
	echo "1..$n"
	if [ $bad -eq 0 ]; then rm -rf "$tmp"; else echo "# results kept in $tmp"; fi
	exit $bad
}
