#!/bin/bash
# Clip without bounds after a kernel whose output overflows to +-inf: ONNX
# Runtime clamps to the float range (+-FLT_MAX), and so must onnx2c's code,
# both with the Clip fused into the Conv/Gemm epilogue (the default) and
# standing alone (-O0).  Three models: Clip-6 with no min/max attributes
# after a Conv and after a Gemm, and Clip-13 with a min input and no max
# after a Conv.  Each is checked against ONNX Runtime with `onnx2c verify`
# (an inf where the reference has a finite value fails it), after checking
# that the inputs really overflow and that ORT's output is finite.
#
#   clip_bounds.sh ONNX2C WORK_DIR      (exit 77: node or ORT missing)
set -euo pipefail
onnx2c=$1 work=$2
src=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
[[ -d $src/ort/node_modules/onnxruntime-node ]] || { echo "SKIP: no onnxruntime-node in $src/ort"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
/usr/bin/python3 - <<'PY'
import os
import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto as TP

BIG = np.float32(3e38)

def save(name, opset, nodes, inits, x, yshape):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info("x", TP.FLOAT, list(x.shape))],
                     [h.make_tensor_value_info("y", TP.FLOAT, yshape)], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    onnx.save(m, f"{name}.onnx")
    os.makedirs(f"{name}_in")
    with open(f"{name}_in/input_0.pb", "wb") as f:
        f.write(nh.from_array(x, "x").SerializeToString())

# 1x1 conv to two channels, weights +3e38 and -3e38: |x| > 1.14 overflows
w = np.array([BIG, -BIG], np.float32).reshape(2, 1, 1, 1)
xc = np.array([0.5, -0.5, 2, -2, 4, -4, 1e-3, 1], np.float32).reshape(1, 1, 2, 4)
with np.errstate(over="ignore"):
    assert np.isinf(xc * w[0, 0, 0, 0]).any() and np.isinf(xc * w[1, 0, 0, 0]).any()
conv = h.make_node("Conv", ["x", "w"], ["c"], name="conv")
save("conv_clip6", 10, [conv, h.make_node("Clip", ["c"], ["y"], name="clip")], [nh.from_array(w, "w")], xc, [1, 2, 2, 4])
save("conv_clip13_min", 13, [conv, h.make_node("Clip", ["c", "lo"], ["y"], name="clip")],
     [nh.from_array(w, "w"), nh.from_array(np.array(0.0, np.float32), "lo")], xc, [1, 2, 2, 4])

# Gemm [2,8] x [8,2]: row 0 sums eight 3e38s (inf, and -inf in column 1), row 1 stays finite
b = np.stack([np.full(8, BIG), np.full(8, -BIG)], 1).astype(np.float32)
xg = np.stack([np.ones(8), np.full(8, 1e-3)]).astype(np.float32)
with np.errstate(over="ignore"):
    assert np.isinf(xg @ b).sum() == 2
gemm = h.make_node("Gemm", ["x", "b", "bias"], ["c"], name="gemm")  # C is required before opset 11
save("gemm_clip6", 10, [gemm, h.make_node("Clip", ["c"], ["y"], name="clip")], [nh.from_array(b, "b"), nh.from_array(np.zeros(2, np.float32), "bias")], xg, [2, 2])
PY
for m in conv_clip6 conv_clip13_min gemm_clip6; do
	mkdir -p "${m}_ort"
	node "$src/ort/ort_run.js" "$m.onnx" "${m}_in" "${m}_ort"
	/usr/bin/python3 - "${m}_ort/output_0.pb" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper as nh
t = onnx.TensorProto()
t.ParseFromString(open(sys.argv[1], "rb").read())
y = nh.to_array(t)
fmax = np.finfo(np.float32).max
assert np.isfinite(y).all() and (y == fmax).any(), f"ONNX Runtime gave {y.ravel()}: not the case this test is for"
PY
	# the default pipeline must fuse the Clip (else only the standalone path is tested)
	"$onnx2c" "$m.onnx" -o "$m.c" --report | grep -q "+act .* + Clip 'clip'" || { echo "$m: Clip not fused"; exit 1; }
	"$onnx2c" verify "$m.onnx" --input "${m}_in"
	"$onnx2c" verify "$m.onnx" --input "${m}_in" -- -O0
done
echo "clip_bounds: PASS"
