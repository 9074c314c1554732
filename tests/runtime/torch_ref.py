#!/usr/bin/python3
"""PyTorch reference dumps for tests/runtime/test_rt_torch.c.

Writes raw little-endian arrays (NAME.f32 float32, NAME.i32 int32) into OUTDIR,
plus the inputs they were computed from, so the C test recomputes everything
with the runtime and compares.  Run at test time by CTest (not committed):
    /usr/bin/python3 tests/runtime/torch_ref.py OUTDIR
Cases:
  xent_*   softmax cross-entropy loss and d loss/d logits, plain and label smoothing 0.1
  topk_*   top-1/top-5 correct counts
  opt_*    10 steps of SGD (nesterov + wd, per-group lr/wd), SGD (momentum + dampening) and AdamW
           on a linear head with fixed data; the parameters after the 10 steps
  sched_*  the learning rate of StepLR, CosineAnnealingLR, LinearLR and warm-up+cosine for 20 steps
  fm_*     a linear head on Fashion-MNIST 5-9 pixels, 40 SGD steps under warm-up + cosine
           (only when Debian's dataset-fashion-mnist is installed)
  blk_*    a conv + BN-folded + ReLU + frozen BN + residual add + concat + pooling + linear block:
           logits, loss and every gradient from autograd
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(1234)


def dump(name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype.kind in "iu":
        a.astype("<i4").tofile(os.path.join(OUT, name + ".i32"))
    else:
        a.astype("<f4").tofile(os.path.join(OUT, name + ".f32"))


# ---- cross-entropy
logits = (torch.randn(8, 10) * 6.0).requires_grad_()  # large logits: stability matters
labels = torch.randint(0, 10, (8,))
dump("xent_logits", logits)
dump("xent_labels", labels)
for tag, eps in (("plain", 0.0), ("smooth", 0.1)):
    logits.grad = None
    loss = F.cross_entropy(logits, labels, label_smoothing=eps)
    loss.backward()
    dump(f"xent_{tag}_loss", loss.reshape(1))
    dump(f"xent_{tag}_grad", logits.grad)

# ---- top-k
tl = torch.randn(64, 20)
ty = torch.randint(0, 20, (64,))
dump("topk_logits", tl)
dump("topk_labels", ty)
top5 = tl.topk(5, dim=1).indices
dump("topk_counts", torch.tensor([(top5[:, 0] == ty).sum().item(), (top5 == ty[:, None]).any(1).sum().item()],
                                 dtype=torch.int32))

# ---- optimizers on a linear head: loss = CE(x W^T + b, y)
B, C, K = 16, 12, 5
x = torch.randn(B, C)
y = torch.randint(0, K, (B,))
W0 = torch.randn(K, C) * 0.3
b0 = torch.randn(K) * 0.1
dump("opt_x", x)
dump("opt_y", y)
dump("opt_W0", W0)
dump("opt_b0", b0)


def run(tag, make):
    W = W0.clone().requires_grad_()
    b = b0.clone().requires_grad_()
    opt = make(W, b)
    for _ in range(10):
        opt.zero_grad()
        F.cross_entropy(x @ W.t() + b, y).backward()
        opt.step()
    dump(f"opt_{tag}_W", W)
    dump(f"opt_{tag}_b", b)


# per-group: the weight at lr 0.1 with wd 1e-3, the bias at lr 0.05 without decay
run("sgd_nesterov", lambda W, b: torch.optim.SGD(
    [{"params": [W]}, {"params": [b], "lr": 0.05, "weight_decay": 0.0}],
    lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3, foreach=False))
run("sgd_damp", lambda W, b: torch.optim.SGD([W, b], lr=0.2, momentum=0.8, dampening=0.1, weight_decay=5e-3,
                                             foreach=False))
run("adamw", lambda W, b: torch.optim.AdamW([W, b], lr=0.02, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.05,
                                            foreach=False))


# ---- schedules: the lr used at steps 0..19
def lrs(make):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = make(opt)
    out = []
    for _ in range(20):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return np.array(out, dtype=np.float64)


sched = torch.optim.lr_scheduler
np.array(lrs(lambda o: sched.StepLR(o, step_size=3, gamma=0.5))).tofile(os.path.join(OUT, "sched_step.f64"))
lrs(lambda o: sched.CosineAnnealingLR(o, T_max=20, eta_min=1e-3)).tofile(os.path.join(OUT, "sched_cosine.f64"))
lrs(lambda o: sched.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5)).tofile(
    os.path.join(OUT, "sched_linear.f64"))
lrs(lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4),
                                     sched.CosineAnnealingLR(o, T_max=16, eta_min=1e-3)], milestones=[4])).tofile(
    os.path.join(OUT, "sched_warmcos.f64"))

# ---- a residual block, BN folded into conv1, frozen BN after conv2 (affine trainable, stats fixed)
N, Cin, H = 2, 4, 9
bx = torch.randn(N, Cin, H, H).requires_grad_()
P = {
    "w1": torch.randn(6, Cin, 3, 3) * 0.3, "b1": torch.randn(6) * 0.1,         # conv1 3x3 s1 p1 (BN folded)
    "w2": torch.randn(6, 3, 3, 3) * 0.3, "b2": torch.randn(6) * 0.1,           # conv2 3x3 s2 p1 groups 2
    "gamma": torch.rand(6) + 0.5, "beta": torch.randn(6) * 0.1,               # frozen BN affine
    "ws": torch.randn(6, Cin, 1, 1) * 0.3, "bs": torch.randn(6) * 0.1,         # shortcut 1x1 s2
    "wd": torch.randn(6, 1, 3, 3) * 0.3,                                       # depthwise 3x3 d2 p2, no bias
    "wf": torch.randn(5, 12) * 0.3, "bf": torch.randn(5) * 0.1,                # linear head
}
mean, var = torch.randn(6) * 0.1, torch.rand(6) + 0.5
blabels = torch.tensor([3, 1])
for k, v in P.items():
    v.requires_grad_()
    dump("blk_" + k, v)
dump("blk_x", bx)
dump("blk_mean", mean)
dump("blk_var", var)
dump("blk_labels", blabels)
h1 = F.relu(F.conv2d(bx, P["w1"], P["b1"], stride=1, padding=1))
h2 = F.conv2d(h1, P["w2"], P["b2"], stride=2, padding=1, groups=2)
h2 = F.batch_norm(h2, mean, var, P["gamma"], P["beta"], training=False, eps=1e-5)
y = F.relu(h2 + F.conv2d(bx, P["ws"], P["bs"], stride=2))                     # [2,6,5,5]
yd = F.conv2d(y, P["wd"], None, padding=2, dilation=2, groups=6)              # depthwise, dilated
cat = torch.cat([F.max_pool2d(y, 3, 1, 1), yd], 1)                            # [2,12,5,5]
pooled = F.avg_pool2d(cat, 3, 2, 1, count_include_pad=True)                   # [2,12,3,3]
feat = pooled.mean((2, 3))                                                     # global average pool [2,12]
blogits = feat @ P["wf"].t() + P["bf"]
bloss = F.cross_entropy(blogits, blabels)
bloss.backward()
dump("blk_logits", blogits)
dump("blk_loss", bloss.reshape(1))
dump("blk_dx", bx.grad)
for k, v in P.items():
    dump("blk_d" + k, v.grad)

# ---- Fashion-MNIST classes 5-9 (relabelled 0-4), first 2000 samples in file order, pixels
# normalised (x/255 - 0.5)/0.25, a linear head trained 40 steps of batch 50 with SGD
# (momentum 0.9, Nesterov, wd 1e-4) under warm-up + cosine: the whole data -> loss -> optimizer
# chain of the runtime in the order a trainer runs it.
FM = "/usr/share/datasets/fashion-mnist"
if os.path.exists(f"{FM}/train-images-idx3-ubyte.gz"):
    import gzip

    def idx(path):
        raw = gzip.open(path, "rb").read()
        nd = raw[3]
        dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
        return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)

    imgs = idx(f"{FM}/train-images-idx3-ubyte.gz")
    labs = idx(f"{FM}/train-labels-idx1-ubyte.gz")
    keep = labs >= 5
    fx = torch.from_numpy((imgs[keep][:2000].reshape(2000, 784).astype(np.float32) / 255 - 0.5) / 0.25)
    fy = torch.from_numpy(labs[keep][:2000].astype(np.int64) - 5)
    g = torch.Generator().manual_seed(7)
    fW = (torch.randn(5, 784, generator=g) * 0.01).requires_grad_()
    fb = torch.zeros(5, requires_grad=True)
    dump("fm_W0", fW)
    opt = torch.optim.SGD([fW, fb], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4, foreach=False)
    sch = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=5),
                                   sched.CosineAnnealingLR(opt, T_max=35, eta_min=0.0)], milestones=[5])
    for s in range(40):
        opt.zero_grad()
        F.cross_entropy(fx[s * 50:(s + 1) * 50] @ fW.t() + fb, fy[s * 50:(s + 1) * 50]).backward()
        opt.step()
        sch.step()
    with torch.no_grad():
        acc = ((fx @ fW.t() + fb).argmax(1) == fy).float().mean().item() * 100
    dump("fm_W", fW)
    dump("fm_b", fb)
    dump("fm_acc", torch.tensor([acc]))
    print(f"fashion-mnist 5-9 linear head: train accuracy after 40 steps {acc:.2f}%")
print("wrote", OUT)
