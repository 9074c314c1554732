#!/usr/bin/env bash
# run_case.sh - one case of tests/op_models/make_models.py through `onnx2c verify`.
#
#   run_case.sh ONNX2C CASE WORK_DIR [verify args...]
#
# Writes WORK_DIR/CASE.onnx and compares onnx2c's build of it with ONNX
# Runtime on seeded standard-normal inputs (batch 2).  Skipped (exit 77,
# CTest's SKIP_RETURN_CODE) when node or onnxruntime-node is missing, as the
# verify suite is.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
onnx2c=$1 name=$2 work=$3
shift 3
ort=${ONNX2C_ORT_DIR:-$HERE/../ort}
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed (run scripts/setup.sh)"; exit 77; }
[[ -d $ort/node_modules/onnxruntime-node ]] || { echo "SKIP: onnxruntime-node is missing in $ort"; exit 77; }
mkdir -p "$work"
/usr/bin/python3 "$HERE/make_models.py" "$name" "$work/$name.onnx"
"$onnx2c" verify "$work/$name.onnx" --random --seed 3 --batch 2 "$@"
