#!/usr/bin/env bash
# run_node_test.sh - one ONNX backend node test through onnx2c.
#
#   run_node_test.sh ONNX2C TEST_DIR WORK [BIND_NAMES]
#
# TEST_DIR is a libonnx-testdata node test (model.onnx, test_data_set_*/).
# BIND_NAMES (comma-separated) are graph inputs to make constants with
# --bind NAME=<set>/input_K.pb; with any, the model is recompiled per data set.
# Each set: onnx2c --main -> cc -std=c99 -O2 -Wall -Wextra -Werror -> run ->
# compare.py --conformance (rtol 1e-3, atol 1e-7, as ONNX's backend tests; a
# test may loosen that only in tests/conformance_tolerance.txt, with a reason).
#
# Exit 77 (CTest SKIP_RETURN_CODE) when onnx2c refuses the model as
# unsupported (exit 3) AND the test is listed in tests/conformance_unsupported.txt.
# An unlisted refusal fails, and so does a listed test that now compiles: the
# list must stay the truth.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SKIP=77

onnx2c=$1 tdir=$2 work=$3 binds=${4:-}
name=$(basename "$tdir")
fail() { echo "$name: FAIL: $*" >&2; exit 1; }

listed=$(grep -E "^${name}([[:space:]]|$)" "$HERE/conformance_unsupported.txt" || true)
tol=$(grep -E "^${name}[[:space:]]" "$HERE/conformance_tolerance.txt" || true)
cmp_args=(--conformance)
if [[ -n "$tol" ]]; then
	read -r _ rtol atol reason <<<"$tol"
	[[ "$reason" == "#"?* ]] || fail "tests/conformance_tolerance.txt: the override for $name needs '# reason'"
	cmp_args+=(--rtol "$rtol" --atol "$atol")
	echo "tolerance override: rtol $rtol atol $atol $reason"
fi

# graph input name -> K (position among graph inputs, which input_K.pb follows)
declare -A index
if [[ -n "$binds" ]]; then
	k=0
	while read -r n; do index[$n]=$k; k=$((k + 1)); done < <("$PY" -c '
import onnx, sys
m = onnx.load(sys.argv[1])
inits = {i.name for i in m.graph.initializer}
for i in m.graph.input:
    if i.name not in inits:
        print(i.name)' "$tdir/model.onnx")
fi

rm -rf "$work"
mkdir -p "$work"
compiled=""
sets=("$tdir"/test_data_set_*)
[[ -d "${sets[0]}" ]] || fail "no test_data_set_* in $tdir"
for set in "${sets[@]}"; do
	s=$(basename "$set")
	if [[ -z "$compiled" || -n "$binds" ]]; then
		args=()
		IFS=, read -r -a bl <<<"$binds"
		for b in "${bl[@]}"; do
			[[ -n "${index[$b]+x}" ]] || fail "input '$b' not among the model's graph inputs"
			args+=(--bind "$b=$set/input_${index[$b]}.pb")
		done
		set +e
		"$onnx2c" "$tdir/model.onnx" -o "$work/m.c" --main "${args[@]}" 2> "$work/onnx2c.err"
		rc=$?
		set -e
		cat "$work/onnx2c.err" >&2
		if [[ $rc == 3 ]]; then
			if [[ -n "$listed" ]]; then
				echo "$name: unsupported, as listed: $listed"
				exit $SKIP
			fi
			fail "onnx2c refused the model as unsupported (exit 3) and it is not listed in tests/conformance_unsupported.txt"
		fi
		[[ $rc == 0 ]] || fail "onnx2c exited $rc"
		[[ -z "$listed" ]] || fail "listed in tests/conformance_unsupported.txt but compiles now: remove the line (then it must pass)"
		cc -std=c99 -O2 -Wall -Wextra -Werror "$work/m.c" -o "$work/m" -lm || fail "the generated C does not compile cleanly"
		compiled=1
	fi
	mkdir -p "$work/out_$s"
	"$work/m" "$set" "$work/out_$s" || fail "the generated program failed on $s (exit $?)"
	"$PY" "$HERE/compare.py" "$set" "$work/out_$s" "${cmp_args[@]}" || fail "$s differs from the expected output"
done
echo "$name: ok (${#sets[@]} data set(s))"
