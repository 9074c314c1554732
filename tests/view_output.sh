#!/bin/bash
# A graph whose output is a view (Flatten of a pool) at a run-time batch: the
# pool must write straight into the output buffer (no self-copy), checked
# against ONNX Runtime with `onnx2c verify`.
set -euo pipefail
onnx2c=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
/usr/bin/python3 - <<'PY'
import onnx
from onnx import helper as h, TensorProto as TP
g = h.make_graph([h.make_node("Relu", ["x"], ["r"], name="relu"),
                  h.make_node("GlobalAveragePool", ["r"], ["p"], name="gap"),
                  h.make_node("Flatten", ["p"], ["y"], name="flat")], "view_output",
                 [h.make_tensor_value_info("x", TP.FLOAT, ["N", 4, 5, 5])],
                 [h.make_tensor_value_info("y", TP.FLOAT, ["N", 4])])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), "view_output.onnx")
PY
"$onnx2c" verify view_output.onnx --random --batch 3
"$onnx2c" verify view_output.onnx --random --batch 2 -- -O0
