#!/usr/bin/env bash
# run_verify.sh - one test of `onnx2c verify`: runs it, checks the exit status
# and that the output (stdout + stderr) contains every expected string.
#
#   run_verify.sh ORT_DIR EXPECT_RC [-e STRING]... -- ONNX2C verify ARGS...
#
# ORT_DIR is the folder whose node_modules must hold onnxruntime-node; when
# node or ONNX Runtime is missing the test is skipped (exit 77, CTest's
# SKIP_RETURN_CODE).  ORT_DIR '-' means the case does not need them (usage
# errors are found before any tool runs).  Used by tests/verify.cmake.
set -uo pipefail

ort=${1:?ORT_DIR}; want=${2:?EXPECT_RC}
shift 2
expect=()
while (($#)) && [[ $1 != -- ]]; do
	[[ $1 == -e && $# -ge 2 ]] || { echo "run_verify: bad arguments near '$1'" >&2; exit 2; }
	expect+=("$2")
	shift 2
done
[[ ${1:-} == -- ]] || { echo "run_verify: missing -- before the command" >&2; exit 2; }
shift

if [[ $ort != - ]]; then
	if ! command -v node >/dev/null 2>&1; then
		echo "SKIP: node is not installed (run scripts/setup.sh)"
		exit 77
	fi
	if [[ ! -d $ort/node_modules/onnxruntime-node ]]; then
		echo "SKIP: onnxruntime-node is not in $ort/node_modules (run scripts/setup.sh)"
		exit 77
	fi
fi

out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
status=0
if [[ $rc != "$want" ]]; then
	echo "run_verify: FAIL: exit status $rc, expected $want" >&2
	status=1
fi
for s in "${expect[@]}"; do
	if ! grep -qF -- "$s" <<<"$out"; then
		echo "run_verify: FAIL: the output lacks: $s" >&2
		status=1
	fi
done
exit $status
