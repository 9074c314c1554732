#!/usr/bin/python3
"""check_train.py - head training end to end, checked against PyTorch and ONNX Runtime.

    /usr/bin/python3 tests/train/check_train.py ONNX2C RT_LIB_DIR SOURCE_DIR WORK_DIR

1. Compiles models/fashion_resnet_0to4.onnx with --train-head --head-classes 5
   --train-main and builds the trainer (cc -std=c99 -Wall -Wextra -Werror).
2. Features: the C trunk's features of 640 Fashion-MNIST images (classes 5-9)
   against ONNX Runtime's (the same model with the pooled features as output),
   within 1e-4.
3. Training: the C trainer runs 10 steps of SGD (momentum, Nesterov, weight decay)
   and, separately, 10 steps of AdamW on those features with a shuffled order,
   dumping the order, the initial head, the first step and the final head.
   torch.nn.Linear, torch's cross-entropy and torch.optim replay the same steps
   from the same head on the C features (the trunk is frozen, so the head's
   training given the features is what is compared): logits, loss, gradients of
   the first step and parameters after 10 steps, within 1e-5 relative.
4. Export: the .onnx the trainer exports, run by ONNX Runtime on the same
   images, gives the C model's predictions (arg-max equal, logits within 1e-4
   relative); everything but the head is unchanged.
5. Bad input: a missing folder, labels outside the head, a model without a
   classifier head - each a clear message and a non-zero exit.
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
N, BATCH = 640, 64          # 10 steps in one epoch


def ort(model_path, x, tag):
    return common.ort(SRC, WORK, model_path, x, tag)


def main():
    os.makedirs(WORK, exist_ok=True)
    # ---- 1. compile and build
    c = os.path.join(WORK, "fr.c")
    exe = os.path.join(WORK, "fr_train")
    common.build_trainer(ONNX2C, RT_LIB, SRC, MODEL, c, exe, ["--head-classes", "5"])

    # ---- the images, as the C trainer sees them (first N of classes 5-9, relabelled)
    xs, ys = common.fashion("train", 5, 9, N)

    base = ["--data", f"{DATA}/train-images-idx3-ubyte.gz", "--classes", "5:9", "--limit", str(N),
              "--batch", str(BATCH), "--epochs", "1", "--mean", str(MEAN), "--std", str(STD), "--seed", "7"]
    runs = {
        "sgd": (["--optim", "sgd", "--lr", "0.05", "--momentum", "0.9", "--nesterov", "--wd", "0.001"],
                lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
        "adamw": (["--optim", "adamw", "--lr", "0.01", "--wd", "0.01"],
                  lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    }
    feats = None
    for name, (opts, make_opt) in runs.items():
        d = os.path.join(WORK, "dump_" + name)
        os.makedirs(d, exist_ok=True)
        extra = ["--export", os.path.join(WORK, "exported.onnx")] if name == "sgd" else []
        r = run([exe] + base + opts + ["--dump", d] + extra)
        if r.returncode:
            sys.exit(f"trainer ({name}) failed: {r.stderr}")
        K, Fd = 5, 64
        feat = fromfile(d, "train_feat.f32").reshape(N, Fd)
        labels = fromfile(d, "train_labels.i32", np.int32)
        check(f"{name}: labels", np.array_equal(labels, ys))
        feats = feat
        p0 = fromfile(d, "head0.f32")
        pend = fromfile(d, "head_final.f32")
        W0, b0 = p0[:K * Fd].reshape(K, Fd), p0[K * Fd:K * Fd + K]   # flat [W | pad | b]: W is 320, 16-aligned
        order = fromfile(d, "order_0.i32", np.int32)
        check(f"{name}: order is a permutation", sorted(order.tolist()) == list(range(N)))

        lin = torch.nn.Linear(Fd, K)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W0.copy()))
            lin.bias.copy_(torch.from_numpy(b0.copy()))
        opt = make_opt(lin.parameters())
        ft, lt = torch.from_numpy(feat), torch.from_numpy(labels.astype(np.int64))
        for step in range(N // BATCH):
            idx = torch.from_numpy(order[step * BATCH:(step + 1) * BATCH].astype(np.int64))
            logits = lin(ft[idx])
            loss = F.cross_entropy(logits, lt[idx])
            opt.zero_grad()
            loss.backward()
            if step == 0:
                g = fromfile(d, "step0_grad.f32")
                e = rel_err(fromfile(d, "step0_logits.f32").reshape(BATCH, K), logits.detach().numpy())
                check(f"{name}: step-0 logits", e < 1e-5, f"(rel {e:.2e})")
                e = abs(float(fromfile(d, "step0_loss.f32")[0]) - loss.item()) / abs(loss.item())
                check(f"{name}: step-0 loss", e < 1e-5, f"(rel {e:.2e}, loss {loss.item():.6f})")
                e = rel_err(g[:K * Fd].reshape(K, Fd), lin.weight.grad.numpy())
                check(f"{name}: step-0 weight gradient", e < 1e-5, f"(rel {e:.2e})")
                e = rel_err(g[K * Fd:K * Fd + K], lin.bias.grad.numpy())
                check(f"{name}: step-0 bias gradient", e < 1e-5, f"(rel {e:.2e})")
            opt.step()
        e = rel_err(pend[:K * Fd].reshape(K, Fd), lin.weight.detach().numpy())
        check(f"{name}: weight after 10 steps", e < 1e-5, f"(rel {e:.2e})")
        e = rel_err(pend[K * Fd:K * Fd + K], lin.bias.detach().numpy())
        check(f"{name}: bias after 10 steps", e < 1e-5, f"(rel {e:.2e})")
        moved = rel_err(pend, p0)
        check(f"{name}: the head moved", moved > 1e-3, f"(rel change {moved:.2e})")
        if name == "sgd":
            Wf, bf = pend[:K * Fd].reshape(K, Fd), pend[K * Fd:K * Fd + K]

    # ---- 2. C features against ONNX Runtime's (the model with the pooled features as output)
    m = onnx.load(MODEL)
    gap = [n for n in m.graph.node if n.op_type == "GlobalAveragePool"][0].output[0]
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info(gap, TensorProto.FLOAT, ["batch", 64, 1, 1]))
    cut = os.path.join(WORK, "features.onnx")
    onnx.save(m, cut)
    ref = ort(cut, xs, "feat").reshape(N, 64)
    e = rel_err(feats, ref)
    check("C features vs ONNX Runtime", e < 1e-4, f"(rel {e:.2e})")

    # ---- 4. the exported model
    exp = os.path.join(WORK, "exported.onnx")
    onnx.checker.check_model(onnx.load(exp))
    ex, orig = onnx.load(exp), onnx.load(MODEL)
    inits = {t.name: numpy_helper.to_array(t) for t in ex.graph.initializer}
    same = all(np.array_equal(numpy_helper.to_array(t), inits[t.name]) for t in orig.graph.initializer
               if t.name not in ("fc.weight", "fc.bias"))
    check("export: the trunk is unchanged", same and len(inits) == len(orig.graph.initializer))
    check("export: the head is the trained one",
          np.array_equal(inits["fc.weight"], Wf) and np.array_equal(inits["fc.bias"], bf))
    logits_ort = ort(exp, xs, "exp")
    logits_c = feats.astype(np.float64) @ Wf.T.astype(np.float64) + bf
    e = rel_err(logits_ort, logits_c)
    check("export: ONNX Runtime logits vs the C model", e < 1e-4, f"(rel {e:.2e})")
    check("export: same predictions", np.array_equal(logits_ort.argmax(1), logits_c.argmax(1)))

    # ---- 5. bad input
    r = run([exe, "--data", os.path.join(WORK, "no_such_folder")])
    check("bad input: missing folder", r.returncode == 1 and "no_such_folder" in r.stderr, r.stderr.strip())
    r = run([exe, "--data", f"{DATA}/t10k-images-idx3-ubyte.gz"])
    check("bad input: label out of range", r.returncode == 1 and "outside the head" in r.stderr, r.stderr.strip())
    img = os.path.join(WORK, "bad_images", "cat")
    os.makedirs(img, exist_ok=True)
    with open(os.path.join(img, "broken.png"), "wb") as f:
        f.write(b"not a png")
    r = run([exe, "--data", os.path.dirname(img)])
    check("bad input: unreadable image", r.returncode == 1 and "broken.png" in r.stderr, r.stderr.strip())
    nohead = helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="only_relu")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])]), opset_imports=[helper.make_opsetid("", 13)])
    nh = os.path.join(WORK, "nohead.onnx")
    onnx.save(nohead, nh)
    r = run([ONNX2C, nh, "-o", os.path.join(WORK, "nohead.c"), "--train-head"])
    check("bad input: model without a classifier head",
          r.returncode != 0 and "no classifier head" in r.stderr and "only_relu" in r.stderr, r.stderr.strip())

    common.finish()


if __name__ == "__main__":
    main()
