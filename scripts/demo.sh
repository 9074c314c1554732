#!/usr/bin/env bash
# demo.sh - the whole pipeline on ResNet-50, from a fresh machine to a verdict.
#
#   scripts/demo.sh            (as root on Debian bookworm: it runs setup.sh)
#
# setup -> build onnx2c -> export torchvision ResNet-50 (BatchNorm kept,
# opset 13, calibrated random weights) -> onnx2c -> generated/resnet50.c ->
# gcc -O2 -march=native -fopenmp -> run on a random image -> ONNX Runtime on the
# same image -> max difference and arg-max agreement.  Exits non-zero on a
# mismatch (compare.py: max|diff| <= 1e-4 * max|ref|, same arg-max).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${ONNX2C_BUILD:-$ROOT/build}   # build dir (the demo files go to $B/demo)
W="$B/demo"
PY=/usr/bin/python3
cd "$ROOT"
step() { echo; echo "==> $*"; }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

step "installing dependencies (scripts/setup.sh)"
if [[ $(id -u) == 0 ]]; then bash scripts/setup.sh; else echo "not root: skipping setup.sh"; fi

step "building onnx2c in build/"
mkdir -p "$B"
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$B/demo-configure.log" 2>&1 ||
	{ cat "$B/demo-configure.log"; exit 1; }
cmake --build "$B" -j2 --target onnx2c

step "exporting torchvision resnet50 (BN kept, opset 13) and a random input"
mkdir -p "$W"
"$PY" -W ignore models/export_torchvision.py --model resnet50 --bn keep --opset 13 \
	--out "$W/resnet50.onnx" --data "$W/input"

step "onnx2c resnet50.onnx -> generated/resnet50.c"
mkdir -p generated
t=$(date +%s.%N)
"$B/compiler/onnx2c" "$W/resnet50.onnx" -o generated/resnet50.c --main -v
echo "onnx2c: $(secs "$t") s; generated/resnet50.c is $(du -m generated/resnet50.c | cut -f1) MB"

step "gcc -std=c99 -O2 -march=native -fopenmp generated/resnet50.c"
t=$(date +%s.%N)
gcc -std=c99 -O2 -march=native -fopenmp -Wall -Wextra -Werror generated/resnet50.c -o "$W/resnet50" -lm
echo "gcc: $(secs "$t") s"

step "running the generated program"
t=$(date +%s.%N)
mkdir -p "$W/onnx2c_out"
"$W/resnet50" "$W/input" "$W/onnx2c_out"
echo "inference: $(secs "$t") s (including reading the input and writing the output)"

step "running ONNX Runtime on the same input"
node tests/ort/ort_run.js "$W/resnet50.onnx" "$W/input" "$W/ort_out"

step "comparing onnx2c with ONNX Runtime"
if "$PY" tests/compare.py "$W/ort_out" "$W/onnx2c_out" --rel 1e-4; then
	echo; echo "demo: PASS - generated/resnet50.c agrees with ONNX Runtime"
else
	echo; echo "demo: FAIL - generated/resnet50.c disagrees with ONNX Runtime" >&2
	exit 1
fi
