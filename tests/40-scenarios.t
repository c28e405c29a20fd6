#!/bin/bash
# Every bundled scenario, on the backend the runner picks; its TAP is this test's output.
cd "$(dirname "$0")/.." || exit 2
exec "${VPNLAB:-./vpnlab}" run --results "${VPNLAB_RESULTS:-results}" scenarios/
