#!/bin/bash
# int8_model_test.sh - a whole model through the int8 path (issue 21): `onnx2c quantize` on a model test's
# export (calibrated on its test input), then `onnx2c verify --tol-steps 0`: onnx2c's int8 build must equal
# ONNX Runtime's on the same quantized model at every element.
# usage: int8_model_test.sh ONNX2C EXPORT_DIR WORK_DIR
set -euo pipefail
onnx2c=$1 export=$2 work=$3
data="$export/data/test_data_set_0"
[[ -f "$export/model.onnx" && -f "$data/input_0.pb" ]] || { echo "FAIL: no export in $export" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$onnx2c" quantize "$export/model.onnx" --calibrate "$data" -o "$work/int8.onnx"
"$onnx2c" "$work/int8.onnx" -o "$work/report.c" --report | grep "kernels by op:"
if "$onnx2c" "$work/int8.onnx" -o "$work/report.c" --report | grep -q "kernels by op:.* Conv="; then
	echo "FAIL: float Conv kernels left in the quantized model" >&2
	exit 1
fi
"$onnx2c" verify "$work/int8.onnx" --tol-steps 0 --input "$data"
