#!/usr/bin/python3
"""check_unfreeze.py - training with unfrozen trunk blocks (onnx2c --unfreeze N), checked
against PyTorch and ONNX Runtime.

    /usr/bin/python3 tests/train/check_unfreeze.py ONNX2C RT_LIB_DIR SOURCE_DIR WORK_DIR [CASE...]

Cases (all by default):
  fashion   models/fashion_resnet_0to4.onnx --unfreeze 1 (its last residual block, layer3),
            Fashion-MNIST classes 5-9 from the IDX files
  fashion_bn      the same trainer with --bn-train (BatchNorm on batch statistics, running ones moved)
  resnet18  torchvision resnet18 (seeded random weights, BatchNorm kept, 64x64 input)
            --unfreeze 2 (layer4: two basic blocks with the strided projection), a folder
            of PNG images (ImageFolder) written here
  resnet18_bn     the same trainer with --bn-train
  resnet18_all    --unfreeze all: full fine-tuning, the stem (7x7 stride-2 conv on the image,
                  BatchNorm, MaxPool) and every stage
  resnet18_all_bn the same trainer with --bn-train
  inception torchvision inception_v3 (the same, 139x139 input) --unfreeze 1 (Mixed_7c: 1x1,
            1x3, 3x1 and 3x3 convs in four branches, nested Concat, zero Pad + AveragePool)
For each: compile with --train-head --head-classes 5 --unfreeze N --train-main, build the
trainer, run 10 steps of SGD (Nesterov momentum, weight decay; the block at 0.1x the rate)
with --dump, and then in PyTorch (models/onnx_torch.py: the same ONNX graph from the cut on,
interpreted with torch.nn.functional, frozen BN or with --bn-train F.batch_norm(training=True))
replay the same steps from the C trainer's cut tensors and initial head:
  - the cut tensors the C trunk computed vs ONNX Runtime's (--unfreeze all: the images) rel 1e-4
  - step-0 logits and loss                                                 rel 1e-5
  - step-0 gradient of every trainable tensor (head and block)             rel 1e-4
  - every parameter after 10 steps                                         rel 1e-4, or within
    twice PyTorch's own spread when its cut tensors move by 1e-6 (ReLU ties, measured each run)
  - the BN running statistics after 10 steps (unchanged without --bn-train)   rel 1e-4
(gradients of deep convs sum thousands of products in another order than PyTorch's, so
1e-4 of the tensor's largest value; measured values are printed).  Then the exported .onnx:
ONNX Runtime on it gives the C model's logits, and only the head and the block changed (with
--bn-train, its statistics are the moved ones).
Bad input: a cut that is not a single tensor (--trainable-from inside a residual block).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import DATA, MEAN, STD, check, fromfile, rel_err, run  # noqa: E402

ONNX2C, RT_LIB, SRC, WORK = sys.argv[1:5]
# case: (model, --unfreeze, --bn-train); the _bn cases rerun the trainer built for their model
SETUP = {"fashion": ("fashion", "1", False), "fashion_bn": ("fashion", "1", True),
         "resnet18": ("resnet18", "2", False), "resnet18_bn": ("resnet18", "2", True),
         "resnet18_all": ("resnet18", "all", False), "resnet18_all_bn": ("resnet18", "all", True),
         "inception": ("inception", "1", False)}
CASES = sys.argv[5:] or list(SETUP)
sys.path.insert(0, os.path.join(SRC, "models"))
from onnx_torch import OnnxBlock  # noqa: E402

N, BATCH, K = 80, 8, 5       # 10 steps in one epoch
MOM, WD, BLOCK_LR = 0.9, 1e-4, 0.1
# Learning rates at which 10 steps stay well-conditioned: at 0.05 random-weight resnet18's loss jumps
# from 1.8 to 8 and PyTorch against itself, with the cut tensors perturbed by 1e-6, ends 1e-2 apart
# (nothing could be compared); at 0.005 that self-sensitivity is 1e-7.  Inception likewise.
# Full fine-tuning of random-weight resnet18 is far more sensitive still: PyTorch against itself, the
# images perturbed by 1e-6, ends 0.9 apart at 0.005 and 1e-4 apart at 1e-4, because the gradient of
# every layer depends on ReLU and MaxPool decisions that a perturbation flips; at 2e-5 it is 1e-6.
# And torch.onnx shares equal initializers: a fresh network's BatchNorm scales (all 1) and biases
# (all 0) become one tensor tied across every BatchNorm of a width, which trains as one very sharp
# parameter (PyTorch against itself then ends 5e-3 apart even at 2e-5).  So the "all" model gets
# each BatchNorm its own scale and bias (1 + N(0, 0.1), N(0, 0.1): what training leaves them).
LRS = {"fashion": 0.05, "resnet18": 0.005, "inception": 0.002, "resnet18_all": 2e-5}


def layout(d):
    """the cut, {parameter: (offset, count)}, {BN statistic: (offset, count)}"""
    cut, params, stats = None, {}, {}
    for line in open(os.path.join(d, "layout.txt")):
        f = line.rstrip("\n").split("\t")
        if f[0] == "cut":
            cut = f[1]
        elif f[0] == "stat":
            stats[f[1]] = (int(f[2]), int(f[3]))
        else:
            params[f[0]] = (int(f[1]), int(f[2]))
    return cut, params, stats


def png_folder(root, n, size, classes):
    """n seeded random RGB images (smooth blobs + noise) in root/<class>/; returns them [n,3,size,size]/255."""
    from PIL import Image
    rng = np.random.default_rng(3)
    per = n // classes
    imgs = []
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class{c}"), exist_ok=True)
        for i in range(per):
            low = rng.random((3, 4, 4)) * 255
            big = np.kron(low, np.ones(((size + 3) // 4, (size + 3) // 4)))[:, :size, :size]
            img = np.clip(0.7 * big + 0.3 * rng.random((3, size, size)) * 255, 0, 255).astype(np.uint8)
            Image.fromarray(img.transpose(1, 2, 0)).save(os.path.join(root, f"class{c}", f"img{i:03d}.png"))
            imgs.append(img)
    # ImageFolder order: classes sorted, files sorted
    return np.stack(imgs).astype(np.float32) / np.float32(255.0)


def untie_bn(path, out):
    """path's model with a scale and bias initializer of its own for every BatchNormalization."""
    m = onnx.load(path)
    # At 64x64, layer4's output is 2x2, so each of its units carries a large share of every gradient,
    # and with some draws one ReLU input of the checked batch lies within float rounding of its kink:
    # C's step-0 gradients then differ ~1e-2 from PyTorch's, as PyTorch's own do with the images
    # perturbed by 1e-6 (measured: 1.4e-2).  Seeds 7, 1, 2 drew such a unit (7 with frozen BN, 1 and
    # 2 with --bn-train; the 10-step parameters agreed to 5e-6 all the same); seed 3 has none.
    rng = np.random.default_rng(3)
    for n in m.graph.node:
        if n.op_type == "BatchNormalization":
            C = next(t for t in m.graph.initializer if t.name == n.input[3]).dims[0]
            for j, base in ((1, 1.0), (2, 0.0)):
                v = (base + 0.1 * rng.standard_normal(C)).astype(np.float32)
                n.input[j] = f"{n.name.strip('/').replace('/', '.')}.{'weight' if j == 1 else 'bias'}"
                m.graph.initializer.append(numpy_helper.from_array(v, n.input[j]))
    onnx.save(m, out)


def case_inputs(name):
    """(model, trainer data options, the images as the trainer normalises them)"""
    if name == "fashion":
        xs, _ = common.fashion("train", 5, 9, N)
        return (os.path.join(SRC, "models/fashion_resnet_0to4.onnx"),
                ["--data", f"{DATA}/train-images-idx3-ubyte.gz", "--classes", "5:9", "--limit", str(N),
                 "--mean", str(MEAN), "--std", str(STD)], xs)
    arch, size = {"resnet18": ("resnet18", 64), "inception": ("inception_v3", 139)}[name]
    model = os.path.join(WORK, f"{arch}_{size}.onnx")
    if not os.path.exists(model):
        r = run(["/usr/bin/python3", os.path.join(SRC, "models/export_torchvision.py"), "--model", arch,
                 "--bn", "keep", "--dynamic-batch", "--size", str(size), "--out", model])
        if r.returncode:
            sys.exit("export failed: " + r.stderr)
    xs = png_folder(os.path.join(WORK, f"images{size}"), N, size, K)
    return model, ["--data", os.path.join(WORK, f"images{size}")], xs


def check_case(name):
    base, unfreeze, bn_train = SETUP[name]
    model, data, xs = case_inputs(base)
    tag = base if unfreeze != "all" else base + "_all"
    if unfreeze == "all":
        untie_bn(model, os.path.join(WORK, tag + ".onnx"))
        model = os.path.join(WORK, tag + ".onnx")
    c, exe = os.path.join(WORK, tag + ".c"), os.path.join(WORK, tag + "_train")
    if not (bn_train and os.path.exists(exe)):
        common.build_trainer(ONNX2C, RT_LIB, SRC, model, c, exe, ["--head-classes", str(K), "--unfreeze", unfreeze])
    d = os.path.join(WORK, name + "_dump")
    os.makedirs(d, exist_ok=True)
    exported = os.path.join(WORK, name + "_finetuned.onnx")
    LR = LRS[tag]
    r = run([exe] + data + ["--batch", str(BATCH), "--epochs", "1", "--seed", "11", "--optim", "sgd", "--lr", str(LR),
                            "--momentum", str(MOM), "--nesterov", "--wd", str(WD), "--block-lr-scale", str(BLOCK_LR),
                            "--dump", d, "--export", exported] + (["--bn-train"] if bn_train else []))
    if r.returncode:
        sys.exit(f"{name}: trainer failed: {r.stderr}")
    cut, lay, stats = layout(d)
    nparams = len([k for k in lay if not k.startswith("head.")])
    print(f"{name}: cut at '{cut}', {nparams} block parameter tensors, {len(stats)} BN statistics", flush=True)

    # the cut tensors: C trunk vs ONNX Runtime (the model with the cut as its output); with
    # --unfreeze all the cut is the input, which the trunk passes through
    xc = fromfile(d, "train_feat.f32").reshape(N, -1)
    m = onnx.load(model)
    images = cut == m.graph.input[0].name
    if images:
        ref = xs
    else:
        del m.graph.output[:]
        m.graph.output.append(helper.make_empty_tensor_value_info(cut))
        cut_model = os.path.join(WORK, name + "_cut.onnx")
        onnx.save(m, cut_model)
        ref = common.ort(SRC, WORK, cut_model, xs, name + "_cut")
    chw = tuple(ref.shape[1:])   # [C, H, W] of the cut
    ref = ref.reshape(N, -1)
    e = rel_err(xc, ref)
    check(f"{name}: cut tensors vs {'the images' if images else 'ONNX Runtime'}", e < 1e-4, f"(rel {e:.2e})")

    # PyTorch replays the steps on the C trainer's cut tensors, from its initial parameters
    p0, pend, g0 = fromfile(d, "head0.f32"), fromfile(d, "head_final.f32"), fromfile(d, "step0_grad.f32")

    def part(buf, key):
        off, cnt = lay[key]
        return buf[off:off + cnt]

    F_ = lay["head.weight"][1] // K
    blk = OnnxBlock(model, cut, part(p0, "head.weight").reshape(K, F_), part(p0, "head.bias"), bn_train=bn_train)
    missing = [k for k in blk.params if k not in lay]
    extra = [k for k in lay if k not in blk.params]
    check(f"{name}: the same trainable tensors", not missing and not extra, f"(missing {missing[:3]}, extra {extra[:3]})")
    check(f"{name}: the same BN statistics", set(stats) == set(blk.stats), f"({len(stats)} vs {len(blk.stats)})")
    check(f"{name}: the initial BN statistics are the model's",
          all(np.array_equal(p0[o:o + c], blk.stats[k].numpy().ravel()) for k, (o, c) in stats.items()))
    x_all = torch.from_numpy(xc.copy())
    labels = torch.from_numpy(fromfile(d, "train_labels.i32", np.int32).astype(np.int64))
    order = fromfile(d, "order_0.i32", np.int32)
    check(f"{name}: order is a permutation", sorted(order.tolist()) == list(range(N)))

    def replay(blk, x_all, step0=None):
        """the C trainer's 10 steps in PyTorch from its initial parameters, on cut tensors x_all"""
        with torch.no_grad():
            for k, p in blk.params.items():
                if k in lay:
                    p.copy_(torch.from_numpy(part(p0, k).reshape(p.shape)))
        head = [blk.params["head.weight"], blk.params["head.bias"]]
        body = [p for k, p in blk.params.items() if not k.startswith("head.")]
        opt = torch.optim.SGD([{"params": head}, {"params": body, "lr": LR * BLOCK_LR}], lr=LR, momentum=MOM,
                              nesterov=True, weight_decay=WD)
        for step in range(N // BATCH):
            idx = torch.from_numpy(order[step * BATCH:(step + 1) * BATCH].astype(np.int64))
            logits = blk(x_all[idx].reshape((BATCH,) + chw))
            loss = F.cross_entropy(logits, labels[idx])
            opt.zero_grad()
            loss.backward()
            if step == 0 and step0:
                step0(logits, loss)
            opt.step()

    def check_step0(logits, loss):
        e = rel_err(fromfile(d, "step0_logits.f32").reshape(BATCH, K), logits.detach().numpy())
        check(f"{name}: step-0 logits", e < 1e-5, f"(rel {e:.2e})")
        e = abs(float(fromfile(d, "step0_loss.f32")[0]) - loss.item()) / abs(loss.item())
        check(f"{name}: step-0 loss", e < 1e-5, f"(rel {e:.2e}, loss {loss.item():.6f})")
        worst_g, bad = 0.0, []
        for k, p in blk.params.items():
            e = rel_err(part(g0, k), p.grad.numpy().ravel())
            worst_g = max(worst_g, e)
            if e >= 1e-4:
                bad.append(f"{k} {e:.2e}")
        check(f"{name}: step-0 gradients of all {len(blk.params)} tensors", not bad,
              f"(worst rel {worst_g:.2e}{'; ' + ', '.join(bad[:4]) if bad else ''})")

    replay(blk, x_all, check_step0)
    # How far PyTorch's own 10 steps move when the cut tensors move by float32 rounding (relative
    # 1e-6, three seeds): a ReLU input that sits within rounding of zero takes the other side and
    # changes its channel's gradients from then on.  Two float32 computations (the C trainer's and
    # PyTorch's) break such ties independently, so after 10 steps a parameter may differ by that much
    # without anything being wrong; past 1e-4, a tensor must stay within twice this measured spread.
    spread = {}
    for seed in range(3):
        g = np.random.default_rng(seed)
        xp = torch.from_numpy((xc * (1 + 1e-6 * g.standard_normal(xc.shape))).astype(np.float32))
        other = OnnxBlock(model, cut, part(p0, "head.weight").reshape(K, F_), part(p0, "head.bias"),
                          bn_train=bn_train)
        replay(other, xp)
        for k, p in other.params.items():
            e = rel_err(p.detach().numpy().ravel(), blk.params[k].detach().numpy().ravel())
            spread[k] = max(spread.get(k, 0.0), e)
    worst, bad, tied = 0.0, [], []
    for k, p in blk.params.items():
        e = rel_err(part(pend, k), p.detach().numpy().ravel())
        worst = max(worst, e)
        if e >= 1e-4 and e > 2 * spread[k]:
            bad.append(f"{k} {e:.2e} (PyTorch's own spread {spread[k]:.1e})")
        elif e >= 1e-4:
            tied.append(f"{k} {e:.2e} within 2x PyTorch's own spread {spread[k]:.1e}")
    check(f"{name}: parameters after 10 steps", not bad,
          f"(worst rel {worst:.2e}{'; ' + ', '.join(bad[:4]) if bad else ''}{'; ' + ', '.join(tied[:4]) if tied else ''})")
    worst, bad = 0.0, []
    for k, (off, cnt) in stats.items():
        e = rel_err(pend[off:off + cnt], blk.stats[k].numpy().ravel())
        worst = max(worst, e)
        if e >= 1e-4:
            bad.append(f"{k} {e:.2e}")
    moved = max((rel_err(pend[o:o + c], p0[o:o + c]) for o, c in stats.values()), default=0.0)
    check(f"{name}: BN running statistics after 10 steps", not bad and (moved > 1e-5 if bn_train else moved == 0),
          f"(worst rel {worst:.2e}, largest change {moved:.2e}{'; ' + ', '.join(bad[:4]) if bad else ''})")
    keys = [k for k in lay if not k.startswith("head.")]
    moved = rel_err(np.concatenate([part(pend, k) for k in keys]), np.concatenate([part(p0, k) for k in keys]))
    check(f"{name}: the block moved", moved > 1e-5, f"(largest change {moved:.2e} of the largest value)")

    # the exported model: ONNX Runtime gives the C model's logits; only the head and the block changed
    onnx.checker.check_model(onnx.load(exported))
    ex, orig = onnx.load(exported), onnx.load(model)
    inits = {t.name: numpy_helper.to_array(t) for t in ex.graph.initializer}
    head_names = ("fc.weight", "fc.bias")
    changed = {t.name for t in orig.graph.initializer if t.name not in head_names
               and not np.array_equal(numpy_helper.to_array(t), inits[t.name])}
    check(f"{name}: export changes only the block and the head", changed <= set(lay) | set(stats) and len(changed) > 0,
          f"({len(changed)} block tensors changed)")
    same = all(np.array_equal(inits[k], part(pend, k).reshape(inits[k].shape)) for k in lay if not k.startswith("head."))
    same_stats = all(np.array_equal(inits[k].ravel(), pend[o:o + c]) for k, (o, c) in stats.items())
    check(f"{name}: export holds the fine-tuned block{' and the moved statistics' if bn_train else ''}",
          same and same_stats)
    with torch.no_grad():
        for k, p in blk.params.items():
            p.copy_(torch.from_numpy(part(pend, k).reshape(p.shape)))
        for k, (o, c) in stats.items():
            blk.stats[k].copy_(torch.from_numpy(pend[o:o + c].reshape(blk.stats[k].shape)))
        blk.bn_train = False   # the exported model is for inference
        logits_c = blk(x_all.reshape((N,) + chw)).numpy()
    logits_ort = common.ort(SRC, WORK, exported, xs, name + "_exp")
    e = rel_err(logits_ort, logits_c)
    check(f"{name}: export: ONNX Runtime logits vs the fine-tuned network", e < 1e-4, f"(rel {e:.2e})")
    check(f"{name}: export: same predictions", np.array_equal(logits_ort.argmax(1), logits_c.argmax(1)))


def main():
    os.makedirs(WORK, exist_ok=True)
    for name in CASES:
        check_case(name)
    # resume: 1 epoch + checkpoint, then --resume to epoch 2, equals 2 epochs straight (same thread count,
    # the runtime's reductions have a fixed order); and --augment (no cache: the trunk runs every step)
    exe = os.path.join(WORK, "fashion_train")
    if "fashion" in CASES and os.path.exists(exe):
        base = ["--data", f"{DATA}/train-images-idx3-ubyte.gz", "--classes", "5:9", "--limit", str(N), "--mean",
                str(MEAN), "--std", str(STD), "--batch", str(BATCH), "--seed", "5", "--lr", "0.05", "--nesterov"]
        ck, da, dc = (os.path.join(WORK, n) for n in ("resume.ckpt", "straight_dump", "resumed_dump"))
        for d in (da, dc):
            os.makedirs(d, exist_ok=True)
        if os.path.exists(ck):
            os.remove(ck)
        r1 = run([exe] + base + ["--epochs", "2", "--dump", da])
        r2 = run([exe] + base + ["--epochs", "1", "--checkpoint", ck])
        r3 = run([exe] + base + ["--epochs", "2", "--checkpoint", ck, "--resume", "--dump", dc])
        ok = not (r1.returncode or r2.returncode or r3.returncode) and "resumed from" in r3.stderr
        check("fashion: --resume continues to the same parameters", ok and np.array_equal(
            fromfile(da, "head_final.f32"), fromfile(dc, "head_final.f32")), (r1.stderr + r3.stderr)[-300:] if not ok else "")
        r = run([exe] + base + ["--epochs", "1", "--augment", "--val-split", "0.25"])
        check("fashion: --augment with an unfrozen block runs", r.returncode == 0 and "val_acc" in r.stdout,
              r.stderr[-300:])
    # bad input: a cut inside a residual block (the shortcut also reads the block's input)
    r = run([ONNX2C, os.path.join(SRC, "models/fashion_resnet_0to4.onnx"), "-o", os.path.join(WORK, "bad.c"),
             "--train-head", "--trainable-from", "/layer3/bn1/BatchNormalization"])
    check("bad input: a cut that is not a single tensor", r.returncode == 1 and "every path to the head must pass through the cut" in r.stderr,
          r.stderr.strip())
    r = run([ONNX2C, os.path.join(SRC, "models/fashion_resnet_0to4.onnx"), "-o", os.path.join(WORK, "bad.c"),
             "--train-head", "--unfreeze", "50"])
    check("bad input: more blocks than the trunk has", r.returncode == 1 and "only" in r.stderr, r.stderr.strip())
    r = run([ONNX2C, os.path.join(SRC, "models/fashion_resnet_0to4.onnx"), "-o", os.path.join(WORK, "bad.c"),
             "--unfreeze", "1"])
    check("bad input: --unfreeze without --train-head", r.returncode == 2, r.stderr.strip())
    # bad input: a Reshape inside the block that regroups channels and pixels (the block's
    # activations are channel-major, so it cannot share its input's memory)
    rng = np.random.default_rng(5)
    w = lambda *d: numpy_helper.from_array(rng.standard_normal(d).astype(np.float32) * 0.1)  # noqa: E731
    inits = [w(4, 1, 3, 3), w(4, 2, 3, 3), w(3, 8), w(3),
             numpy_helper.from_array(np.array([0, 2, 16, 8], np.int64)), numpy_helper.from_array(np.array([0, 8, 8, 8], np.int64))]
    for t, n in zip(inits, ["w1", "w2", "fc_w", "fc_b", "shape_a", "shape_b"]):
        t.name = n
    g = helper.make_graph([
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Reshape", ["r1", "shape_a"], ["v"], name="regroup"),
        helper.make_node("Conv", ["v", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Reshape", ["r2", "shape_b"], ["v2"], name="back"),
        helper.make_node("GlobalAveragePool", ["v2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="fc", transB=1)],
        "regroup", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3])], inits)
    path = os.path.join(WORK, "regroup.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    r = run([ONNX2C, path, "-o", os.path.join(WORK, "bad.c"), "--train-head", "--trainable-from", "relu1"])
    check("bad input: a view that regroups channels inside the block", r.returncode == 3 and "regroup" in r.stderr
          and "channel-major" in r.stderr, r.stderr.strip())
    common.finish()


if __name__ == "__main__":
    main()
