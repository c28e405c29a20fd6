#!/bin/bash
# The unit tests of the sanitizer build.
cd "$(dirname "$0")/../.." || exit 2
VPNLAB_BUILD=build-asan exec tests/00-unit.t
