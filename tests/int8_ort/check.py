#!/usr/bin/env python3
"""check.py HARNESS WORKDIR [ROUNDS] - the int8 kernels against ONNX Runtime itself.

Each round draws a shape, scales and zero points (fixed seed), builds one-node
ONNX models with onnx.helper and runs them under onnxruntime-node
(tests/ort/ort_run.js) and under tests/int8_ort/harness.c (the kernel
templates): QLinearAveragePool (count_include_pad 0 and 1, strides, padding,
and a whole-image window, which ORT computes as its global pool), the same
as DequantizeLinear -> AveragePool -> QuantizeLinear (ORT fuses it), MaxPool
on u8, QLinearGlobalAveragePool, QuantizeLinear and DequantizeLinear to and
from u8 and s8 (with values on exact .5 steps), and depthwise QLinearConv
with per-channel weight scales, strides and dilation.  Every output must be
equal: the kernels claim ORT's arithmetic, rounding for rounding.  The one
exception, DequantizeLinear -> GlobalAveragePool to float (a float head),
where ORT sums floats and the kernel sums integers, must agree within 1e-3
of a quantization step (1e-5 seen).  Exits 77
when ONNX Runtime or onnx is not installed, 1 on any difference.
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper, numpy_helper
except ImportError:
    print("check.py: no onnx/numpy in this Python: skipped")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "ort", "ort_run.js")
if not os.path.isdir(os.path.join(HERE, "..", "ort", "node_modules", "onnxruntime-node")):
    print("check.py: onnxruntime-node is not installed (scripts/setup.sh): skipped")
    sys.exit(77)

HARNESS, WORK = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rng = np.random.default_rng(2021)
case_no = 0
totals = {}
worst = [0.0]  # DQ-GlobalAveragePool float: largest |ORT - ours| in steps of x_scale


def scalar(name, v, dt):
    return numpy_helper.from_array(np.array(v, dtype=dt), name)


def run_ort(nodes, x, xtype, inits, ytype=TP.UINT8):
    """One graph x0 -> y under ONNX Runtime; returns (y, the case's folder)."""
    global case_no
    case_no += 1
    d = os.path.join(WORK, "case%03d" % case_no)
    os.makedirs(d + "/in", exist_ok=True)
    os.makedirs(d + "/out", exist_ok=True)
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x0", xtype, x.shape)],
                          [helper.make_tensor_value_info("y", ytype, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    onnx.save(m, d + "/m.onnx")
    with open(d + "/in/input_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(x, "x0").SerializeToString())
    subprocess.run(["node", ORT_RUN, d + "/m.onnx", d + "/in", d + "/out"], check=True, capture_output=True)
    t = onnx.TensorProto()
    with open(d + "/out/output_0.pb", "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t), d


def ours(args, d, n, dtype):
    subprocess.run([HARNESS] + [str(a) for a in args] + [d + "/ours.bin"], check=True)
    return np.fromfile(d + "/ours.bin", dtype=dtype)[:n]


def compare(name, ort, mine, d):
    ort, mine = ort.reshape(-1), mine.reshape(-1)
    bad = int(np.sum(ort != mine))
    t = totals.setdefault(name, [0, 0])
    t[0] += ort.size
    t[1] += bad
    if bad:
        i = int(np.argmax(ort != mine))
        print("%s (%s): %d of %d differ, first [%d] ORT %r ours %r" % (name, d, bad, ort.size, i, ort[i], mine[i]))


def round_(it):
    C = int(rng.choice([3, 17, 64, 100]))
    H, W = int(rng.choice([5, 13, 14])), int(rng.choice([7, 13]))
    xs = float(np.float32(rng.uniform(0.005, 0.1)))
    ys = float(np.float32(xs * rng.uniform(0.4, 1.5)))
    xz, yz = int(rng.integers(0, 256)), int(rng.integers(0, 256))
    x = rng.integers(0, 256, size=(1, C, H, W), dtype=np.uint8)
    q = [scalar("xs", xs, np.float32), scalar("xz", xz, np.uint8), scalar("ys", ys, np.float32),
         scalar("yz", yz, np.uint8)]
    for (K, S, P, cip) in [(3, 1, 1, 0), (3, 1, 1, 1), (3, 2, 1, 0), (2, 2, 0, 0), (H, 1, 0, 0)]:
        KW = W if K == H else K
        attrs = dict(kernel_shape=[K, KW], strides=[S, S], pads=[P, P, P, P], count_include_pad=cip)
        o, d = run_ort([helper.make_node("QLinearAveragePool", ["x0", "xs", "xz", "ys", "yz"], ["y"],
                                         domain="com.microsoft", **attrs)], x, TP.UINT8, q)
        x.tofile(d + "/x.bin")
        mine = ours(["avg", 1, C, H, W, K, KW, S, S, P, P, P, P, cip, repr(xs), xz, repr(ys), yz, d + "/x.bin"], d,
                    o.size, np.uint8)
        compare("QLinearAveragePool" + (" whole image" if K == H else ""), o, mine, d)
        o, d = run_ort([helper.make_node("DequantizeLinear", ["x0", "xs", "xz"], ["f"]),
                        helper.make_node("AveragePool", ["f"], ["g"], **attrs),
                        helper.make_node("QuantizeLinear", ["g", "ys", "yz"], ["y"])], x, TP.UINT8, q)
        compare("DQ-AveragePool-Q", o, mine, d)
    o, d = run_ort([helper.make_node("MaxPool", ["x0"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                     pads=[1, 1, 1, 1])], x, TP.UINT8, [])
    x.tofile(d + "/x.bin")
    compare("MaxPool u8", o, ours(["max", 1, C, H, W, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, d + "/x.bin"], d,
                                  o.size, np.uint8), d)
    o, d = run_ort([helper.make_node("QLinearGlobalAveragePool", ["x0", "xs", "xz", "ys", "yz"], ["y"],
                                     domain="com.microsoft", channels_last=0)], x, TP.UINT8, q)
    x.tofile(d + "/x.bin")
    compare("QLinearGlobalAveragePool", o,
            ours(["gap", 1, C, H * W, repr(xs), xz, repr(ys), yz, d + "/x.bin"], d, o.size, np.uint8), d)
    # DequantizeLinear -> GlobalAveragePool in float: ORT sums floats, the kernel
    # integers then scales once, so they may differ in the last bits only
    o, d = run_ort([helper.make_node("DequantizeLinear", ["x0", "xs", "xz"], ["f"]),
                    helper.make_node("GlobalAveragePool", ["f"], ["y"])], x, TP.UINT8, q, TP.FLOAT)
    x.tofile(d + "/x.bin")
    mine = ours(["gapf", 1, C, H * W, repr(xs), xz, d + "/x.bin"], d, o.size, np.float32)
    err = float(np.max(np.abs(o.reshape(-1) - mine))) / xs
    worst[0] = max(worst[0], err)
    compare("DQ-GlobalAveragePool float", o, np.where(np.abs(o.reshape(-1) - mine) <= 1e-3 * xs, o.reshape(-1), mine),
            d)
    f = (rng.standard_normal(20000) * 2).astype(np.float32)
    f[:2000] = ((np.arange(2000) - 1000 + 0.5) * xs).astype(np.float32)  # on or next to .5 steps
    u = rng.integers(0, 256, size=5000, dtype=np.uint8)
    for s8 in (0, 1):
        zdt, ztp, flip = (np.int8, TP.INT8, 128) if s8 else (np.uint8, TP.UINT8, 0)
        sz = [scalar("s", xs, np.float32), scalar("z", yz - flip, zdt)]
        o, d = run_ort([helper.make_node("QuantizeLinear", ["x0", "s", "z"], ["y"])], f, TP.FLOAT, sz, ztp)
        f.tofile(d + "/x.bin")
        compare("QuantizeLinear " + ("s8" if s8 else "u8"), o.view(np.uint8),
                ours(["q", f.size, repr(xs), yz, flip, d + "/x.bin"], d, f.size, np.uint8), d)
        o, d = run_ort([helper.make_node("DequantizeLinear", ["x0", "s", "z"], ["y"])], u.view(zdt), ztp, sz,
                       TP.FLOAT)
        u.tofile(d + "/x.bin")
        compare("DequantizeLinear " + ("s8" if s8 else "u8"), o,
                ours(["dq", u.size, repr(xs), yz, flip, d + "/x.bin"], d, u.size, np.float32), d)
    for (K, S, D, P) in [(3, 1, 1, 1), (3, 2, 1, 1), (5, 1, 1, 2), (3, 1, 2, 2)]:
        w = rng.integers(-128, 128, size=(C, 1, K, K), dtype=np.int8)
        wsc = rng.uniform(0.001, 0.02, size=C).astype(np.float32)
        b = rng.integers(-5000, 5000, size=C, dtype=np.int32)
        ys2 = float(np.float32(xs * 0.03 * K))
        inits = [scalar("xs", xs, np.float32), scalar("xz", xz, np.uint8), numpy_helper.from_array(w, "w"),
                 numpy_helper.from_array(wsc, "ws"), numpy_helper.from_array(np.zeros(C, np.int8), "wz"),
                 scalar("ys", ys2, np.float32), scalar("yz", yz, np.uint8), numpy_helper.from_array(b, "b")]
        o, d = run_ort([helper.make_node("QLinearConv", ["x0", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"],
                                         group=C, kernel_shape=[K, K], strides=[S, S], dilations=[D, D],
                                         pads=[P, P, P, P])], x, TP.UINT8, inits)
        for name, a in (("x", x), ("w", w), ("ws", wsc), ("b", b)):
            a.tofile("%s/%s.bin" % (d, name))
        mine = ours(["dw", 1, C, H, W, K, S, D, P, repr(xs), xz, repr(ys2), yz] +
                    ["%s/%s.bin" % (d, n) for n in ("x", "w", "ws", "b")], d, o.size, np.uint8)
        compare("QLinearConv depthwise", o, mine, d)


for it in range(ROUNDS):
    round_(it)
bad = 0
for name, (n, diff) in totals.items():
    print("%-28s %7d outputs, %d differ" % (name, n, diff))
    bad += diff
print("DQ-GlobalAveragePool float: largest difference %.3g steps of x_scale (allowed 1e-3)" % worst[0])
sys.exit(1 if bad else 0)
