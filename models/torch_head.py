#!/usr/bin/python3
"""torch_head.py - the PyTorch side of scripts/demo_train.sh: the usual transfer-learning
recipe on models/fashion_resnet_0to4.onnx, for comparison with onnx2c's C trainer.

The trunk is models/train_fashion_resnet.py's SmallResNet with the ONNX initializers
loaded by name (the exporter kept torch's parameter names), frozen and in eval mode
(BatchNorm on its stored statistics); the 5-way head is replaced by a fresh
nn.Linear(64, 5) and trained on Fashion-MNIST classes 5-9 with SGD (Nesterov
momentum, weight decay) and a per-epoch cosine schedule, as a PyTorch user writes it:
every step runs the frozen trunk forward (no feature cache).  Validation: the t10k
split, classes 5-9.  Prints `key value` lines for the demo script.

    /usr/bin/python3 models/torch_head.py [--epochs 5] [--lr 0.05] [--batch 64] [--wd 1e-4] [--threads 2]
        [--unfreeze] [--block-lr-scale 0.1] [--limit N]

--unfreeze also trains the last residual block (layer3: its convs and its BatchNorms' scale
and bias, BN still on its stored statistics) at --block-lr-scale times the rate, the recipe of
`onnx2c --unfreeze 1` and the C trainer's --block-lr-scale.
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_resnet import SmallResNet, load  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "fashion_resnet_0to4.onnx"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--unfreeze", action="store_true", help="also train layer3 (the last block)")
    ap.add_argument("--block-lr-scale", type=float, default=0.1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only (timing runs)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    model = SmallResNet(5)
    state = model.state_dict()
    graph = onnx.load(args.model).graph
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    for n in graph.node:  # the exporter shares equal tensors through Identity nodes
        if n.op_type == "Identity" and n.input[0] in inits:
            inits[n.output[0]] = inits[n.input[0]]
    missing = [k for k in state if k not in inits and not k.endswith("num_batches_tracked")]
    if missing:
        sys.exit(f"torch_head: the ONNX model has no initializer for {missing[:5]}")
    model.load_state_dict({k: inits.get(k, v) for k, v in state.items()})
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = torch.nn.Linear(64, 5)          # fresh head, trainable
    model.eval()                               # frozen BN: stored statistics

    xt, yt = load("train", [5, 6, 7, 8, 9])
    xv, yv = load("t10k", [5, 6, 7, 8, 9])
    yt, yv = yt - 5, yv - 5
    if args.limit > 0:
        xt, yt = xt[:args.limit], yt[:args.limit]
    groups = [{"params": list(model.fc.parameters())}]
    if args.unfreeze:
        for p in model.layer3.parameters():
            p.requires_grad_(True)
        groups.append({"params": list(model.layer3.parameters()), "lr": args.lr * args.block_lr_scale})
    opt = torch.optim.SGD(groups, lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    times = []
    for epoch in range(args.epochs):
        t0 = time.time()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        times.append(time.time() - t0)
        with torch.no_grad():
            acc = 100.0 * sum((model(xv[i:i + 1000]).argmax(1) == yv[i:i + 1000]).sum().item()
                              for i in range(0, len(xv), 1000)) / len(xv)
        print(f"torch epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f} val acc {acc:.2f}% "
              f"({times[-1]:.1f} s)", file=sys.stderr, flush=True)
    # the trunk's one-time cost, measured the same way as the C feature pass
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, len(xt), 256):
            model.layer3(model.layer2(model.layer1(model.stem(xt[i:i + 256]))))
    print(f"trunk_forward_seconds {time.time() - t0:.4f}")
    steps = (len(xt) + args.batch - 1) // args.batch
    print(f"epochs {args.epochs}\nseconds_per_epoch {sum(times) / len(times):.6f}\nval_acc {acc:.4f}")
    print(f"seconds_per_step {sum(times) / len(times) / steps:.6f}")


if __name__ == "__main__":
    main()
