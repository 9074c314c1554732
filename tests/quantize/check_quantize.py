"""check_quantize.py - tests of `onnx2c quantize` (tests/quantize.cmake, label quantize).

    check_quantize.py CASE ONNX2C SOURCE_DIR WORK_DIR

CASE:
  resnet   models/fashion_resnet_0to4.onnx calibrated on 48 Fashion-MNIST train
           images: the QDQ structure (no BN left, s8 per-channel weights with
           DQ axis 0, int32 biases at x_scale * w_scale, the 16 Q->DQ pairs the
           form asks for, Relu fused), ONNX Runtime's int8 arg-max agrees with
           the float model's on >= 95% of 200 test images, and
           `onnx2c verify --tol-steps 1` passes on the int8 model.
  methods  minmax, percentile and entropy each give a model ORT runs (arg-max
           agreement >= 90%), every activation scale of percentile and entropy
           is <= minmax's, and --per-tensor gives scalar weight scales.
  shared   a small torch CNN with MaxPool, Concat, Reshape, Sigmoid * x and a
           Clip: the Concat's inputs and output share one scale, MaxPool and
           Reshape outputs their input's, the Sigmoid/Mul stay float, a MatMul's
           [K,N] weights get N scales on axis 1, ORT runs it within a few steps
           of the float model, and `onnx2c verify --tol-steps 1` passes.
  views    Identity/Unsqueeze/Squeeze outputs, which the C model never writes, take their input's range.
  images   solid-colour PNG and JPEG images calibrate the ImageNet-style example model: the input range
           seen is the colours after the classify preprocessing (x/255, ImageNet mean/std, RGB).
  bad      a missing folder, an empty one, a .pb of the wrong shape, a file that
           is not an image: exit status 2, a message naming the file, no crash.
ONNX Runtime is run through tests/ort/ort_run.js (node), independently of onnx2c.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

CASE, ONNX2C, SRC, WORK = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
RESNET = os.path.join(SRC, "models", "fashion_resnet_0to4.onnx")
ORT_JS = os.path.join(SRC, "tests", "ort", "ort_run.js")
failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def run(args, expect_rc=0):
    p = subprocess.run(args, capture_output=True, text=True)
    if expect_rc is not None and p.returncode != expect_rc:
        print(p.stdout, p.stderr)
        sys.exit(f"{' '.join(args)}: exit {p.returncode}, expected {expect_rc}")
    return p


def fashion(out, split, first, count, labels=None):
    args = ["/usr/bin/python3", os.path.join(HERE, "fashion_pb.py"), out, split, str(first), str(count)]
    run(args + (["--labels", labels] if labels else []))


def quantize(model, calib, out, *extra):
    return run([ONNX2C, "quantize", model, "--calibrate", calib, "-o", out, *extra])


def ort(model, x, name):
    """ONNX Runtime's outputs on x (a batch)."""
    d = os.path.join(WORK, "ort_" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/in")
    m = onnx.load(model)
    iname = [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}][0]
    with open(d + "/in/input_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(x, iname).SerializeToString())
    run(["node", ORT_JS, model, d + "/in", d + "/out"])
    return numpy_helper.to_array(onnx.load_tensor(d + "/out/output_0.pb"))


def test_batch(n):
    d = os.path.join(WORK, "test_images")
    if not os.path.isdir(d):
        fashion(d, "t10k", 0, n)
    return np.concatenate([numpy_helper.to_array(onnx.load_tensor(f"{d}/input_{k}.pb")) for k in range(n)])


class Graph:
    def __init__(self, path):
        self.m = onnx.load(path)
        onnx.checker.check_model(self.m)
        g = self.m.graph
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.dtype = {t.name: t.data_type for t in g.initializer}
        self.producer = {o: n for n in g.node for o in n.output}
        self.readers = {}
        for n in g.node:
            for i in n.input:
                self.readers.setdefault(i, []).append(n)

    def ops(self, op):
        return [n for n in self.m.graph.node if n.op_type == op]

    def dq_of(self, tensor):
        """The DequantizeLinear writing tensor, or None."""
        p = self.producer.get(tensor)
        return p if p is not None and p.op_type == "DequantizeLinear" else None

    def act_scale(self, tensor):
        """(scale, zero point) of the Q->DQ pair that writes tensor."""
        dq = self.dq_of(tensor)
        q = self.producer.get(dq.input[0]) if dq is not None else None
        if q is None or q.op_type != "QuantizeLinear":
            return None
        return float(self.init[q.input[1]]), int(self.init[q.input[2]])

    def q_after(self, node):
        """(scale, zero point) of the QuantizeLinear that alone reads node's output, or None."""
        r = self.readers.get(node.output[0], [])
        if len(r) != 1 or r[0].op_type != "QuantizeLinear":
            return None
        return float(self.init[r[0].input[1]]), int(self.init[r[0].input[2]])

    def scales(self):
        return {q.output[0]: float(self.init[q.input[1]]) for q in self.ops("QuantizeLinear")}


def check_weights(g, node, axis, x_scale):
    dq = g.dq_of(node.input[1])
    check(dq is not None and g.dtype[dq.input[0]] == onnx.TensorProto.INT8,
          f"{node.op_type} {node.output[0]}: weights are s8 through a DequantizeLinear")
    if dq is None:
        return
    w, s, z = (g.init[i] for i in dq.input)
    ax = [a.i for a in dq.attribute if a.name == "axis"]
    check(s.shape == (w.shape[axis],) and ax == [axis] and not z.any() and (s > 0).all(),
          f"{node.op_type}: per-channel scale of {w.shape[axis]} along axis {axis}, zero points 0")
    check(np.abs(w).max() == 127, f"{node.op_type}: symmetric s8 weights reach +-127")
    if len(node.input) > 2:
        bq = g.dq_of(node.input[2])
        ok = bq is not None and g.dtype[bq.input[0]] == onnx.TensorProto.INT32
        ok = ok and np.allclose(g.init[bq.input[1]], (np.float32(x_scale) * s).astype(np.float32), rtol=1e-6)
        check(ok and not g.init[bq.input[2]].any(), f"{node.op_type}: int32 bias at x_scale * w_scale, zero point 0")


def case_resnet():
    cal = os.path.join(WORK, "calib")
    fashion(cal, "train", 0, 48)
    out = os.path.join(WORK, "resnet.int8.onnx")
    quantize(RESNET, cal, out)
    g = Graph(out)
    check(not g.ops("BatchNormalization"), "BatchNormalization folded away")
    check(len(g.ops("QuantizeLinear")) == 16, f"16 QuantizeLinear (7 Relu, 5 Conv->Add, input, GAP, Flatten, "
                                              f"Gemm): {len(g.ops('QuantizeLinear'))}")
    for n in g.ops("Conv"):
        check_weights(g, n, 0, g.act_scale(n.input[0])[0])
        check(g.act_scale(n.input[0]) is not None, f"Conv {n.output[0]} reads a Q->DQ activation")
        r = g.readers.get(n.output[0], [])
        if len(r) == 1 and r[0].op_type == "Relu":
            check(g.q_after(r[0]) is not None and g.dq_of(n.output[0]) is None,
                  f"Conv {n.output[0]} -> Relu fused: Q->DQ after the Relu only")
    gemm = g.ops("Gemm")[0]
    check_weights(g, gemm, 0, g.act_scale(gemm.input[0])[0])
    flat = g.ops("Flatten")[0]
    check(g.q_after(flat) == g.act_scale(flat.input[0]), "Flatten output shares its input's scale")
    check(g.dq_of(g.m.graph.output[0].name) is not None, "the graph output is written by a DequantizeLinear")
    for q in g.ops("QuantizeLinear"):
        zp = g.init[q.input[2]]
        check(zp.dtype == np.uint8 and float(g.init[q.input[1]]) > 0, f"{q.output[0]}: u8, scale > 0")

    x = test_batch(200)
    f, i8 = ort(RESNET, x, "float"), ort(out, x, "int8")
    agree = float((f.argmax(1) == i8.argmax(1)).mean())
    check(agree >= 0.95, f"int8 arg-max agrees with float on {agree:.1%} of 200 images (>= 95%)")

    one = os.path.join(WORK, "one")
    os.makedirs(one, exist_ok=True)
    shutil.copy(os.path.join(WORK, "test_images", "input_7.pb"), os.path.join(one, "input_0.pb"))
    p = run([ONNX2C, "verify", "--tol-steps", "1", out, "--input", one], None)
    print(p.stdout[-600:])
    check(p.returncode == 0 and "PASS" in p.stdout, "onnx2c verify --tol-steps 1 passes on the int8 model")


def case_methods():
    cal = os.path.join(WORK, "calib")
    fashion(cal, "train", 100, 32)
    x = test_batch(100)
    f = ort(RESNET, x, "float")
    scales = {}
    for method in ["minmax", "percentile", "entropy"]:
        out = os.path.join(WORK, f"resnet.{method}.onnx")
        quantize(RESNET, cal, out, "--method", method)
        g = Graph(out)
        scales[method] = g.scales()
        agree = float((f.argmax(1) == ort(out, x, method).argmax(1)).mean())
        check(agree >= 0.90, f"--method {method}: ORT runs it, arg-max agrees on {agree:.1%} (>= 90%)")
    for method in ["percentile", "entropy"]:
        over = [t for t, s in scales[method].items() if s > scales["minmax"][t] * (1 + 1e-6)]
        smaller = [t for t, s in scales[method].items() if s < scales["minmax"][t] * (1 - 1e-6)]
        check(not over, f"--method {method}: every scale <= minmax's ({len(smaller)} smaller) {over[:3]}")
        check(len(smaller) > 0, f"--method {method}: clips some range")
    out = os.path.join(WORK, "resnet.pt.onnx")
    quantize(RESNET, cal, out, "--per-tensor", "--method", "percentile", "--percentile", "99.9")
    g = Graph(out)
    dq = g.dq_of(g.ops("Conv")[0].input[1])
    check(g.init[dq.input[1]].shape == () and not [a for a in dq.attribute if a.name == "axis"],
          "--per-tensor: one weight scale per tensor")


def make_shared_model(path):
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.a = nn.Conv2d(8, 8, 3, padding=1)
            self.b = nn.Conv2d(8, 4, 1)
            self.c = nn.Conv2d(12, 8, 3, padding=1)
            self.fc = nn.Linear(8 * 2 * 2, 6)
            self.proj = nn.Parameter(torch.randn(6, 5) * 0.5)

        def forward(self, x):
            y = torch.clamp(self.stem(x), 0, 6)                        # Conv -> Clip fused
            y = nn.functional.max_pool2d(y, 2)                         # shares its input's scale
            y = torch.cat([torch.relu(self.a(y)), self.b(y) * 3], 1)   # Concat: one scale (b's Mul is float)
            y = self.c(y)
            y = y * torch.sigmoid(y)                                   # stays float
            y = nn.functional.avg_pool2d(y, 2)
            return self.fc(y.reshape(y.shape[0], -1)) @ self.proj      # Reshape shares, Gemm, MatMul [K,N]

    torch.manual_seed(3)
    net = Net().eval()
    torch.onnx.export(net, torch.randn(1, 3, 8, 8), path, input_names=["x"], output_names=["y"],
                      opset_version=13,
                      dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})


def case_shared():
    model = os.path.join(WORK, "shared.onnx")
    make_shared_model(model)
    cal = os.path.join(WORK, "calib_shared")
    os.makedirs(cal, exist_ok=True)
    rng = np.random.default_rng(5)
    for k in range(24):
        with open(f"{cal}/input_{k}.pb", "wb") as f:
            f.write(numpy_helper.from_array(rng.standard_normal((1, 3, 8, 8)).astype(np.float32), "x").SerializeToString())
    out = os.path.join(WORK, "shared.int8.onnx")
    quantize(model, cal, out)
    g = Graph(out)
    # the export's other Concat builds the Reshape's int64 shape: never quantized
    cats = [c for c in g.ops("Concat") if g.q_after(c)]
    check(len(g.ops("Concat")) == 2 and len(cats) == 1, "the feature Concat is quantized, the int64 shape one is not")
    cat = cats[0]
    s = [g.act_scale(i) for i in cat.input] + [g.q_after(cat)]
    check(None not in s and len(set(s)) == 1, f"Concat inputs and output share one scale/zero point: {s}")
    mp = g.ops("MaxPool")[0]
    check(g.q_after(mp) == g.act_scale(mp.input[0]) is not None, "MaxPool output has its input's scale")
    rs = g.ops("Reshape")[0]
    check(g.q_after(rs) == g.act_scale(rs.input[0]) is not None, "Reshape output has its input's scale")
    clip = g.ops("Clip")[0]
    check(g.dq_of(clip.input[0]) is None and g.q_after(clip) is not None,
          "Conv -> Clip fused: Q->DQ after the Clip only")
    sig = g.ops("Sigmoid")[0]
    check(g.dq_of(sig.input[0]) is not None and all(r.op_type != "QuantizeLinear" for r in g.readers[sig.output[0]]),
          "Sigmoid reads a DQ and writes float")
    mm = g.ops("MatMul")[0]
    dq = g.dq_of(mm.input[1])
    ok = dq is not None and g.init[dq.input[0]].dtype == np.int8 and g.init[dq.input[1]].shape == (5,)
    check(ok and [a.i for a in dq.attribute if a.name == "axis"] == [1], "MatMul [6,5] weights: s8, 5 scales on axis 1")
    check(g.act_scale(mm.input[0]) is not None and g.q_after(mm) is not None, "MatMul reads and writes Q->DQ")
    x = rng.standard_normal((16, 3, 8, 8)).astype(np.float32)
    f, i8 = ort(model, x, "shared_f"), ort(out, x, "shared_i8")
    ys = g.act_scale("y")[0]
    err = float(np.abs(f - i8).max())
    check(err <= 8 * ys, f"ORT: int8 within 8 output steps of float: max|diff| {err:.4g}, step {ys:.4g}")
    p = run([ONNX2C, "verify", "--tol-steps", "1", out, "--random", "--batch", "2"], None)
    check(p.returncode == 0 and "PASS" in p.stdout, "onnx2c verify --tol-steps 1 passes on it")


def case_views():
    """x -> Relu -> Identity -> Unsqueeze -> Squeeze -> Conv: the C model never writes the views' outputs (they
    alias their input), so the Conv's input takes the Relu output's range rather than failing for lack of one."""
    from onnx import TensorProto as T
    from onnx import helper as h
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "W")
    ax = numpy_helper.from_array(np.array([0], np.int64), "ax")
    nodes = [h.make_node("Relu", ["x"], ["r"]), h.make_node("Identity", ["r"], ["i"]),
             h.make_node("Unsqueeze", ["i", "ax"], ["u"]), h.make_node("Squeeze", ["u", "ax"], ["s"]),
             h.make_node("Conv", ["s", "W"], ["y"], pads=[1, 1, 1, 1])]
    g = h.make_graph(nodes, "views", [h.make_tensor_value_info("x", T.FLOAT, [1, 2, 4, 4])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 3, 4, 4])], [w, ax])
    model = os.path.join(WORK, "views.onnx")
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), model)
    cal = os.path.join(WORK, "calib_views")
    os.makedirs(cal)
    xs = [rng.standard_normal((1, 2, 4, 4)).astype(np.float32) for _ in range(4)]
    for k, x in enumerate(xs):
        with open(f"{cal}/input_{k}.pb", "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
    out = os.path.join(WORK, "views.int8.onnx")
    quantize(model, cal, out)
    g = Graph(out)
    want = float(np.max(xs)) / 255
    got = g.act_scale("s")
    check(got is not None and got[1] == 0 and abs(got[0] - want) < 1e-6 * want,
          f"the Conv's input 's' has the Relu's range [0, max x]: scale {got} vs {want:.6g}, zero point 0")


def case_images():
    """Image calibration: solid-colour images preprocess to one known value per channel, whatever the resize, so
    the input range that -v prints must be those values.  Reds only: read as BGR, or without the ImageNet
    mean/std, the range would differ.  The JPEG (grey, inside that range) checks that JPEG decodes."""
    from PIL import Image
    d = os.path.join(WORK, "images")
    os.makedirs(d)
    colours = [(255, 0, 0), (200, 30, 10)]
    for k, c in enumerate(colours):
        Image.new("RGB", (300 + 40 * k, 250), c).save(os.path.join(d, f"img{k}.png"))
    Image.new("RGB", (230, 260), (128, 128, 128)).save(os.path.join(d, "grey.jpg"), quality=95)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    vals = np.array([(np.array(c) / 255.0 - mean) / std for c in colours])
    model = os.path.join(SRC, "examples", "classify", "tiny_imagenet_cnn.onnx")
    out = os.path.join(WORK, "tiny.int8.onnx")
    p = quantize(model, d, out, "-v")
    line = [x for x in p.stderr.splitlines() if x.strip().startswith(onnx.load(model).graph.input[0].name + " ")]
    print(line)
    seen = [float(v) for v in line[0].split("seen [")[1].split("]")[0].split(",")] if line else [0, 0]
    check(abs(seen[0] - vals.min()) < 1e-3 and abs(seen[1] - vals.max()) < 1e-3,
          f"input range seen {seen}; the red images after x/255 and ImageNet mean/std span "
          f"[{vals.min():.4f}, {vals.max():.4f}]")
    check("3 calibration inputs" in p.stderr and "(images)" in p.stderr, "the folder was read as 3 images")
    Graph(out)


def case_bad():
    def expect(what, calib, pattern, model=RESNET):
        p = run([ONNX2C, "quantize", model, "--calibrate", calib, "-o", os.path.join(WORK, "bad.onnx")], None)
        msg = p.stderr.strip()
        check(p.returncode == 2 and pattern in msg, f"{what}: exit {p.returncode}, '{msg[-160:]}'")

    expect("missing folder", os.path.join(WORK, "nope"), "nope is not a folder")
    empty = os.path.join(WORK, "empty")
    os.makedirs(empty, exist_ok=True)
    expect("empty folder", empty, "is empty")
    wrong = os.path.join(WORK, "wrong")
    os.makedirs(wrong, exist_ok=True)
    fashion(wrong, "train", 0, 2)
    with open(f"{wrong}/input_1.pb", "wb") as f:
        f.write(numpy_helper.from_array(np.zeros((1, 1, 14, 14), np.float32), "input").SerializeToString())
    expect("a .pb of the wrong shape", wrong, "input_1.pb has shape [1,1,14,14]; the model's input 'input' is [?,1,28,28]")
    junk = os.path.join(WORK, "junk")
    os.makedirs(junk, exist_ok=True)
    with open(f"{junk}/readme.txt", "w") as f:
        f.write("not an image\n")
    expect("a file that is not an image (3-channel model)", junk, "readme.txt is not an image",
           os.path.join(SRC, "examples", "classify", "tiny_imagenet_cnn.onnx"))
    expect("images for a 1-channel model", junk, "readme.txt: images need a model input of shape [N,3,S,S]")
    corrupt = os.path.join(WORK, "corrupt")
    os.makedirs(corrupt, exist_ok=True)
    with open(f"{corrupt}/input_0.pb", "wb") as f:
        f.write(b"\xff\xff\xff garbage")
    expect("a corrupt .pb", corrupt, "input_0.pb is not a TensorProto")


if CASE not in ("bad", "images", "views") and (not shutil.which("node") or
                      not os.path.isdir(os.path.join(SRC, "tests", "ort", "node_modules", "onnxruntime-node"))):
    print("SKIP: node or onnxruntime-node is missing (scripts/setup.sh)")
    sys.exit(77)
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
{"resnet": case_resnet, "methods": case_methods, "shared": case_shared, "images": case_images, "views": case_views,
 "bad": case_bad}[CASE]()
if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("PASS")
