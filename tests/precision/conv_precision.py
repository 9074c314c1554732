#!/usr/bin/python3
"""conv_precision.py ONNX2C WORKDIR - each conv kernel family's (and the fully
connected layer's) rounding error against ONNX Runtime's, one layer at a time.

For one layer per path that compiler/ops/conv.c chooses (direct 3x3 and 1x1,
Winograd F(2x2) over tiles and over channels, the small-image cv path), the
relative RMS error of onnx2c's output and of ONNX Runtime's against a float64
computation of the same float32 weights and input must satisfy
ours <= 1.3 x ORT's.  Errors of a deep network add up layer by layer, so a
kernel that rounds several times worse than ORT's (F(4x4) Winograd: ~6x; one
running sum over 1024 taps: 1.9x) makes a deep ResNet drift past 1e-4 of ORT
although every layer "passes" a loose per-layer tolerance.  Exit 77 (skip)
without node and onnxruntime-node.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_JS = os.path.join(HERE, "..", "ort", "ort_run.js")
# (C, M, H, k, stride, path the compiler takes)
LAYERS = [(64, 64, 28, 3, 1, "F(2x2) Winograd"), (128, 128, 14, 3, 1, "F(2x2) Winograd over channels"),
          (256, 256, 7, 3, 1, "cv (7x7 image)"), (1024, 256, 14, 1, 1, "direct 1x1, 1024 taps"),
          (64, 128, 29, 3, 2, "direct 3x3 stride 2"), (9216, 512, 0, 0, 1, "Gemm, one row of 9216 (a VGG head)")]
LIMIT = 1.3


def conv64(x, w, k, s):
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh = (x.shape[2] + 2 * p - k) // s + 1
    y = np.zeros((1, w.shape[0], oh, oh))
    for ky in range(k):
        for kx in range(k):
            y += np.einsum("mc,nchw->nmhw", w[:, :, ky, kx], xp[:, :, ky:ky + s * oh:s, kx:kx + s * oh:s])
    return y


def rel_rms(path, ref):
    e = numpy_helper.to_array(onnx.load_tensor(path)).astype(np.float64) - ref
    return float(np.sqrt((e ** 2).mean() / (ref ** 2).mean()))


def main():
    onnx2c, work = sys.argv[1:3]
    if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "..", "ort", "node_modules", "onnxruntime-node")):
        print("SKIP: node or onnxruntime-node missing (scripts/setup.sh)")
        return 77
    os.makedirs(work, exist_ok=True)
    bad = 0
    for i, (C, M, H, k, s, what) in enumerate(LAYERS):
        rng = np.random.default_rng(i)
        if k == 0:  # a fully connected layer: y = x W^T
            w = (rng.standard_normal((M, C)) * np.sqrt(2 / C)).astype(np.float32)
            x = np.maximum(rng.standard_normal((1, C)), 0).astype(np.float32)
            node = helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)
            xshape, yshape = [1, C], [1, M]
        else:
            w = (rng.standard_normal((M, C, k, k)) * np.sqrt(2 / (k * k * C))).astype(np.float32)
            x = np.maximum(rng.standard_normal((1, C, H, H)), 0).astype(np.float32)  # post-ReLU activations
            oh = (H + 2 * (k // 2) - k) // s + 1
            node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[k // 2] * 4, strides=[s, s])
            xshape, yshape = [1, C, H, H], [1, M, oh, oh]
        g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, xshape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, yshape)],
                              initializer=[numpy_helper.from_array(w, "w")])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        d = os.path.join(work, f"layer{i}")
        os.makedirs(os.path.join(d, "in"), exist_ok=True)
        os.makedirs(os.path.join(d, "out"), exist_ok=True)
        onnx.save(m, os.path.join(d, "m.onnx"))
        with open(os.path.join(d, "in", "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
        subprocess.run(["node", ORT_JS, os.path.join(d, "m.onnx"), os.path.join(d, "in"), os.path.join(d, "ort")],
                       check=True, capture_output=True)
        subprocess.run([onnx2c, os.path.join(d, "m.onnx"), "-o", os.path.join(d, "m.c"), "--main"], check=True)
        subprocess.run(["cc", "-std=c99", "-O2", "-march=native", "-fopenmp", os.path.join(d, "m.c"), "-o",
                        os.path.join(d, "m"), "-lm"], check=True)
        subprocess.run([os.path.join(d, "m"), os.path.join(d, "in"), os.path.join(d, "out")], check=True,
                       capture_output=True)
        ref = x.astype(np.float64) @ w.astype(np.float64).T if k == 0 else \
            conv64(x.astype(np.float64), w.astype(np.float64), k, s)
        ours, ort = rel_rms(os.path.join(d, "out", "output_0.pb"), ref), rel_rms(os.path.join(d, "ort", "output_0.pb"), ref)
        ok = ours <= LIMIT * ort
        bad += not ok
        shape = f"{C}->{M}" + (f" {k}x{k}/{s} at {H}x{H}" if k else "")
        print(f"{'ok  ' if ok else 'FAIL'} {shape} ({what}): relative RMS error "
              f"ours {ours:.3g}, ORT {ort:.3g}, {ours / ort:.2f}x (limit {LIMIT}x)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
