#!/usr/bin/env bash
# conformance_candidates.sh - propose lines for tests/conformance_unsupported.txt.
#
#   scripts/conformance_candidates.sh [BUILD_DIR]
#
# Runs the conformance suite in BUILD_DIR (default build), collects every test
# that failed because onnx2c refused the model as unsupported (exit 3) while
# unlisted, and prints "<test>  <onnx2c's message>" for each.  Review every
# line - a refusal is only acceptable for a feature onnx2c deliberately does
# not support (non-float runtime data, 3-D pooling, training-mode BN, ...) -
# then append the reviewed lines to tests/conformance_unsupported.txt.
# Tests that fail for any other reason are listed on stderr: those are bugs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$B" && ctest -L conformance -j2 --output-on-failure) > "$log" 2>&1 || true
grep -E '(tests passed|tests failed)' "$log" >&2 || true
for t in $(sed -n 's/^\(test_[A-Za-z0-9_]*\): FAIL: onnx2c refused the model as unsupported.*/\1/p' "$log" | sort -u); do
	msg=$(grep -m1 'unsupported' "$B/node_tests/$t/onnx2c.err" 2>/dev/null | sed 's/^[^ ]*: unsupported: //')
	echo "$t  ${msg:-(no message)}"
done
echo "other failures (bugs, not candidates):" >&2
grep -E '^[a-z0-9_]+: FAIL: ' "$log" | grep -v 'onnx2c refused the model as unsupported' >&2 || echo "  none" >&2
