#!/usr/bin/python3
"""check_train_int8.py - --train-head on a quantized model: an int8 trunk, a float head.

    /usr/bin/python3 tests/train/check_train_int8.py ONNX2C RT_LIB_DIR SOURCE_DIR WORK_DIR

1. Quantizes models/fashion_resnet_0to4.onnx with `onnx2c quantize` (64 Fashion-MNIST
   training images), then compiles it with --train-head --head-classes 5 --train-main
   and builds the trainer.  The generated trunk runs on the int8 kernels (QLinearConv
   and no float Conv in --report) up to the features' DequantizeLinear.
2. Features: the C trunk's features of 320 images equal ONNX Runtime's on the same
   int8 model cut at its features (within one step of the features' scale; the int8
   kernels compute what ORT's do, so they are expected equal).
3. Training: 5 SGD steps (momentum 0.9); the head after them against torch.nn.Linear replaying the
   same steps on the C features (rel 1e-5), and the head moved.
4. Export: the exported model passes onnx.checker, has no QuantizeLinear or
   DequantizeLinear left on the head (its int8 weights and output Q/DQ went), keeps
   the trunk's int8 nodes, and ONNX Runtime on it gives the C model's logits
   (features x trained head: rel 1e-4) and predictions.
Exits 1 on any mismatch.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import DATA, MEAN, STD, check, fromfile, rel_err, run  # noqa: E402

ONNX2C, RT_LIB, SRC, WORK = sys.argv[1:5]
MODEL = os.path.join(SRC, "models/fashion_resnet_0to4.onnx")
N, BATCH, K, FD = 320, 64, 5, 64


def main():
    os.makedirs(WORK, exist_ok=True)
    # ---- 1. quantize, compile, build
    cal = os.path.join(WORK, "cal")
    r = run([sys.executable, os.path.join(SRC, "tests/quantize/fashion_pb.py"), cal, "train", "0", "64"])
    if r.returncode:
        sys.exit("fashion_pb.py failed: " + r.stderr)
    q = os.path.join(WORK, "fr_int8.onnx")
    r = run([ONNX2C, "quantize", MODEL, "--calibrate", cal, "-o", q])
    if r.returncode:
        sys.exit("onnx2c quantize failed: " + r.stderr)
    rep = run([ONNX2C, q, "-o", os.path.join(WORK, "rep.c"), "--train-head", "--head-classes", "5", "--report"])
    line = [l for l in rep.stdout.splitlines() if "kernels by op:" in l]
    check("the trunk runs on the int8 kernels", rep.returncode == 0 and line and "QLinearConv=" in line[0] and
          " Conv=" not in line[0], line[0].strip() if line else rep.stderr)
    c = os.path.join(WORK, "fq.c")
    exe = os.path.join(WORK, "fq_train")
    common.build_trainer(ONNX2C, RT_LIB, SRC, q, c, exe, ["--head-classes", "5"])

    # ---- 3. training (and the features it dumps)
    xs, ys = common.fashion("train", 5, 9, N)
    d = os.path.join(WORK, "dump")
    os.makedirs(d, exist_ok=True)
    exp = os.path.join(WORK, "exported.onnx")
    r = run([exe, "--data", f"{DATA}/train-images-idx3-ubyte.gz", "--classes", "5:9", "--limit", str(N),
             "--batch", str(BATCH), "--epochs", "1", "--mean", str(MEAN), "--std", str(STD), "--seed", "7",
             "--optim", "sgd", "--lr", "0.05", "--momentum", "0.9", "--dump", d, "--export", exp])
    if r.returncode:
        sys.exit(f"trainer failed: {r.stderr}")
    feat = fromfile(d, "train_feat.f32").reshape(N, FD)
    check("labels", np.array_equal(fromfile(d, "train_labels.i32", np.int32), ys))
    p0, pend = fromfile(d, "head0.f32"), fromfile(d, "head_final.f32")
    order = fromfile(d, "order_0.i32", np.int32)
    lin = torch.nn.Linear(FD, K)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(p0[:K * FD].reshape(K, FD).copy()))
        lin.bias.copy_(torch.from_numpy(p0[K * FD:K * FD + K].copy()))
    opt = torch.optim.SGD(lin.parameters(), lr=0.05, momentum=0.9)
    ft, lt = torch.from_numpy(feat), torch.from_numpy(ys.astype(np.int64))
    for step in range(N // BATCH):
        idx = torch.from_numpy(order[step * BATCH:(step + 1) * BATCH].astype(np.int64))
        loss = F.cross_entropy(lin(ft[idx]), lt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    Wf, bf = pend[:K * FD].reshape(K, FD), pend[K * FD:K * FD + K]
    e = max(rel_err(Wf, lin.weight.detach().numpy()), rel_err(bf, lin.bias.detach().numpy()))
    check("head after the steps vs PyTorch on the same features", e < 1e-5, f"(rel {e:.2e})")
    check("the head moved", rel_err(pend, p0) > 1e-3)

    # ---- 2. the int8 trunk's features against ONNX Runtime's on the same int8 model
    m = onnx.load(q)
    gemm = [n for n in m.graph.node if n.op_type == "Gemm"][0]
    feat_name = gemm.input[0]
    dq = [n for n in m.graph.node if feat_name in n.output][0]
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info(feat_name, TensorProto.FLOAT, ["batch", FD]))
    cut = os.path.join(WORK, "features.onnx")
    onnx.save(m, cut)
    ref = common.ort(SRC, WORK, cut, xs, "feat").reshape(N, FD)
    scale = float(numpy_helper.to_array([t for t in m.graph.initializer if t.name == dq.input[1]][0]))
    diff = float(np.abs(feat - ref).max())
    check("int8 features vs ONNX Runtime (within one step)", diff <= scale * 1.0001,
          f"(max |diff| {diff:.3g}, step {scale:.3g}, {np.mean(feat == ref) * 100:.2f}% equal)")

    # ---- 4. the exported model
    ex = onnx.load(exp)
    onnx.checker.check_model(ex)
    head = [n for n in ex.graph.node if n.op_type == "Gemm"][0]
    producers = {o: n for n in ex.graph.node for o in n.output}
    check("export: the head reads float initializers",
          all(i in {t.name for t in ex.graph.initializer} for i in head.input[1:]))
    check("export: the head writes the output", head.output[0] == ex.graph.output[0].name)
    check("export: no Q/DQ after the head", producers.get(ex.graph.output[0].name) is head)
    check("export: the trunk is still int8",
          sum(n.op_type == "QuantizeLinear" for n in ex.graph.node) + 1 ==
          sum(n.op_type == "QuantizeLinear" for n in onnx.load(q).graph.node))
    logits_ort = common.ort(SRC, WORK, exp, xs, "exp")
    logits_c = feat.astype(np.float64) @ Wf.T.astype(np.float64) + bf
    e = rel_err(logits_ort, logits_c)
    check("export: ONNX Runtime logits vs the C model", e < 1e-4, f"(rel {e:.2e})")
    check("export: same predictions", np.array_equal(logits_ort.argmax(1), logits_c.argmax(1)))
    common.finish()


if __name__ == "__main__":
    main()
