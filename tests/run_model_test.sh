#!/usr/bin/env bash
# run_model_test.sh - one whole-model test: torchvision -> ONNX -> onnx2c -> gcc -> run,
# checked against ONNX Runtime on the same input.
#
#   run_model_test.sh export WORK [--f64-rule] [export_torchvision.py args...]
#       Export the model to WORK/model.onnx with a test input in WORK/data/, run
#       ONNX Runtime on it into WORK/ort/, and check ORT against PyTorch's own
#       logits (so a bad export is caught here, not blamed on onnx2c).  A
#       float64 PyTorch run goes to WORK/torch64/.  Cached: skipped when
#       WORK/export.stamp records the same arguments and script.
#   run_model_test.sh run WORK ONNX2C [--variant V] [onnx2c args...]
#       onnx2c WORK/model.onnx --main -> gcc -O2 -march=native -fopenmp -> run on
#       WORK/data -> compare.py against WORK/ort (rel 1e-4, same arg-max).
#       Prints one summary line and appends it to WORK/../model_summary.txt.
#       --variant V builds in WORK/gen-V and WORK/out-V, so several onnx2c
#       option sets (e.g. -O0) can run on one export side by side.
#       --weights FILE (relative): the weights file goes into the gen folder,
#       beside the program, where its runner finds it by default.
#   --f64-rule (either command, right after WORK): for a model so ill-conditioned that ORT's
#       float32 logits are themselves more than rel away from PyTorch's, both
#       are measured against the float64 run instead: the export reports
#       ORT's error without failing, and the run passes if ours is at most
#       1.5 times ORT's (compare.py --versus).
#
# Used by tests/models.cmake (CTest label `model`); runs by hand the same way.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3   # Debian's python3 with onnx/torch (not whatever is first on PATH)

die() { echo "run_model_test: $*" >&2; exit 1; }

cmd=${1:-}; work=${2:-}
[[ -n "$cmd" && -n "$work" ]] || die "usage: $0 export|run WORK ..."
shift 2
mkdir -p "$work"
f64=0
if [[ "${1:-}" == --f64-rule ]]; then
	f64=1
	shift
fi

case "$cmd" in
export)
	[[ -d "$HERE/ort/node_modules/onnxruntime-node" ]] || die "ONNX Runtime missing: run scripts/setup.sh"
	stamp="$*|$(md5sum < "$ROOT/models/export_torchvision.py")|$(md5sum < "$HERE/ort/ort_run.js")"
	if [[ -f "$work/export.stamp" && "$(cat "$work/export.stamp")" == "$stamp" && -f "$work/ort/output_0.pb" ]]; then
		echo "export: cached in $work"
		exit 0
	fi
	rm -rf "$work/model.onnx" "$work/data" "$work/ort" "$work/torch" "$work/export.stamp"
	# torch.onnx's tracer warnings are noise here; errors still go to stderr
	"$PY" -W ignore "$ROOT/models/export_torchvision.py" "$@" --out "$work/model.onnx" \
		--data "$work/data/test_data_set_0" --torch-ref "$work/torch" --torch-ref64 "$work/torch64" \
		--calib-cache "$(dirname "$work")/calib"
	node "$HERE/ort/ort_run.js" "$work/model.onnx" "$work/data/test_data_set_0" "$work/ort"
	echo "ONNX Runtime vs float64 PyTorch:"
	"$PY" "$HERE/compare.py" "$work/torch64" "$work/ort" --rel 1e-4 || true
	echo "ONNX Runtime vs PyTorch:"
	if ! "$PY" "$HERE/compare.py" "$work/torch" "$work/ort" --rel 1e-4; then
		[[ $f64 == 1 ]] || die "the export itself disagrees with PyTorch (ill-conditioned? see --f64-rule)"
		echo "export: ONNX Runtime and PyTorch disagree beyond rel 1e-4; --f64-rule: the run is judged against float64"
	fi
	echo "$stamp" > "$work/export.stamp"
	;;
run)
	onnx2c=${1:-}
	[[ -x "$onnx2c" ]] || die "no onnx2c executable '$onnx2c'"
	shift
	[[ -f "$work/export.stamp" ]] || die "$work has no exported model (the export fixture failed?)"
	name=$(basename "$work")
	gen="$work/gen" out="$work/out"
	if [[ "${1:-}" == --variant ]]; then
		[[ -n "${2:-}" ]] || die "--variant needs a name"
		name="$name.$2" gen="$work/gen-$2" out="$work/out-$2"
		shift 2
	fi
	rm -rf "$gen" "$out"
	mkdir -p "$gen"
	args=()
	while [[ $# -gt 0 ]]; do
		if [[ $1 == --weights && -n "${2:-}" && ${2:0:1} != / ]]; then
			args+=(--weights "$gen/$2")
			shift 2
		else
			args+=("$1")
			shift
		fi
	done
	set -- "${args[@]}"
	now() { date +%s.%N; }

	t0=$(now)
	"$onnx2c" "$work/model.onnx" -o "$gen/m.c" --main "$@"
	t_onnx2c=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	printf 'onnx2c: %.2f s, m.c %s MB\n' "$t_onnx2c" "$(du -m "$gen/m.c" | cut -f1)"

	/usr/bin/time -f '%e %M' -o "$gen/gcc.time" \
		gcc -std=c99 -O2 -march=native -fopenmp -Wall -Wextra -Werror "$gen/m.c" -o "$gen/m" -lm
	read -r t_gcc kb_gcc < "$gen/gcc.time"
	echo "gcc: $t_gcc s, peak $((kb_gcc / 1024)) MB"

	t0=$(now)
	mkdir -p "$out"
	"$gen/m" "$work/data/test_data_set_0" "$out"
	t_run=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')

	set +e
	cmp_out=$("$PY" "$HERE/compare.py" "$work/ort" "$out" --rel 1e-4)
	rc=$?
	if [[ $f64 == 1 ]]; then
		[[ -f "$work/torch64/output_0.pb" ]] || die "--f64-rule: no float64 reference in $work/torch64 (re-export)"
		echo "against ONNX Runtime (informative under --f64-rule): $cmp_out"
		cmp_out=$("$PY" "$HERE/compare.py" "$work/torch64" "$out" --versus "$work/ort" --factor 1.5)
		rc=$?
		name="$name(f64)"
	fi
	f64_note=""
	if [[ $f64 == 0 && -f "$work/torch64/output_0.pb" ]]; then
		# informative: both runtimes' error against the float64 run (the ratio the --f64-rule judges)
		f64_note=$("$PY" "$HERE/compare.py" "$work/torch64" "$out" --versus "$work/ort" --factor 1.5 |
			sed -n 's/.*its max|diff| [^ ]* = \([^ ]*\) of max|ref|, ours \([^,]*\), \([^;]*\);.*/  f64: ORT \1 ours \2 (\3)/p' | head -1)
	fi
	set -e
	echo "$cmp_out"
	diff=$(sed -n 's/.*max|diff| \([^ ]*\) max|ref| \([^ ]*\).*/\1 \2/p' <<<"$cmp_out" | head -1)
	read -r maxdiff maxref <<<"${diff:-? ?}"
	verdict=$([[ $rc == 0 ]] && echo PASS || echo FAIL)
	csize=$(du -m "$gen/m.c" | cut -f1)
	wsize=$(find "$gen" -maxdepth 1 -name '*.bin' -exec du -cm {} + | tail -1 | cut -f1)
	line=$(printf '%-24s %s max|diff| %-9s max|ref| %-7s onnx2c %5.2f s  gcc %6.1f s %5d MB  run %.2f s  C %s MB%s' \
		"$name" "$verdict" "$maxdiff" "$maxref" "$t_onnx2c" "$t_gcc" $((kb_gcc / 1024)) "$t_run" "$csize" \
		"${wsize:+ + weights file $wsize MB}")$f64_note
	echo "$line"
	echo "$line" >> "$(dirname "$work")/model_summary.txt"
	exit $rc
	;;
*)
	die "unknown command '$cmd' (export or run)"
	;;
esac
