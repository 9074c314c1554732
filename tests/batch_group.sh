#!/bin/bash
# A dynamic-batch graph with a node whose weights outweigh its activations (a
# 64-channel 3x3 Conv on a 4x4 image), so that PREFIX_run_v runs the samples a
# group at a time, part by part (PREFIX_group, emit.c): at batch 13 on one and
# on two threads (groups of 8 and a tail, strided samples per thread, and the
# leftover sample on the team), checked against ONNX Runtime with `onnx2c verify`.
set -euo pipefail
onnx2c=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
/usr/bin/python3 - <<'PY'
import numpy as np, onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as TP
rng = np.random.default_rng(3)
w1 = nh.from_array(rng.standard_normal((64, 16, 3, 3)).astype(np.float32) * 0.1, "w1")
w2 = nh.from_array(rng.standard_normal((64, 64, 3, 3)).astype(np.float32) * 0.05, "w2")
b2 = nh.from_array(rng.standard_normal(64).astype(np.float32), "b2")
g = h.make_graph([h.make_node("Relu", ["x"], ["r"], name="relu"),
                  h.make_node("Conv", ["r", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
                  h.make_node("Relu", ["c1"], ["r1"], name="relu1"),
                  h.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
                  h.make_node("GlobalAveragePool", ["c2"], ["p"], name="gap"),
                  h.make_node("Flatten", ["p"], ["y"], name="flat")], "batch_group",
                 [h.make_tensor_value_info("x", TP.FLOAT, ["N", 16, 4, 4])],
                 [h.make_tensor_value_info("y", TP.FLOAT, ["N", 64])], [w1, w2, b2])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), "batch_group.onnx")
PY
"$onnx2c" batch_group.onnx -o batch_group.c
grep -q 'static void batch_group_group(' batch_group.c || { echo "FAIL: no node-major group function"; exit 1; }
OMP_NUM_THREADS=1 "$onnx2c" verify batch_group.onnx --random --batch 13
OMP_NUM_THREADS=2 "$onnx2c" verify batch_group.onnx --random --batch 13
OMP_NUM_THREADS=2 "$onnx2c" verify batch_group.onnx --random --batch 2
