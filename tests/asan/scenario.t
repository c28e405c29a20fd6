#!/bin/bash
# One real scenario under AddressSanitizer and UndefinedBehaviorSanitizer.
cd "$(dirname "$0")/../.." || exit 2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec build-asan/vpnlab run --results "${VPNLAB_RESULTS:-results}" scenarios/nat/ikev2-home-nat.lua
