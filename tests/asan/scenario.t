#!/bin/bash
# Real scenarios under AddressSanitizer and UndefinedBehaviorSanitizer: one on
# the host, and one through the vm backend, where the sanitized binary is both
# the host's supervisor and the guest's PID 1. Their TAP is this test's output
# (two streams, each checked by its own exit status below).
cd "$(dirname "$0")/../.." || exit 2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
results=${VPNLAB_RESULTS:-results}
build-asan/vpnlab run --results "$results" scenarios/dataplane/nat-rebind-libipsec.lua \
	| sed -e '/^TAP version/d' -e '/^1\.\./d' -e 's/^\(\(not \)\{0,1\}ok\) 1 /\1 1 /'
host=${PIPESTATUS[0]}
build-asan/vpnlab run --backend vm --results "$results" scenarios/ports/02-no-nat-esp-is-protocol-50.lua \
	| sed -e '/^TAP version/d' -e '/^1\.\./d' -e 's/^\(\(not \)\{0,1\}ok\) 1 /\1 2 /'
vm=${PIPESTATUS[0]}
echo "1..2"
[ "$host" -eq 0 ] && [ "$vm" -eq 0 ]
