#!/usr/bin/python3
"""Makes models/fashion_resnet_0to4.onnx: a small ResNet (3 stages of 16-32-64
channels, one basic block each, ~77k parameters) trained with torch on
Fashion-MNIST classes 0-4 (Debian's dataset-fashion-mnist, 28x28 grey).

It is the pretrained network of the transfer-learning demonstration (issue 5):
the C runtime later replaces its 5-way head and fine-tunes on classes 5-9.
BatchNorm is kept as BatchNormalization nodes (not folded by the exporter) so
the compiler's own folding and the frozen-BN semantics are exercised; the batch
dimension is dynamic.

Run with Debian's Python (it has torch):
    /usr/bin/python3 models/train_fashion_resnet.py [--epochs 3] [--out models/fashion_resnet_0to4.onnx]
Seeded; validation is the official t10k test split restricted to classes 0-4.
"""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics (of x/255)


def read_idx(path):
    """IDX (the MNIST format): big-endian magic (0,0,type,ndim), ndim u32 dims, then data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split, classes):
    x = read_idx(f"{DATA}/{split}-images-idx3-ubyte.gz")
    y = read_idx(f"{DATA}/{split}-labels-idx1-ubyte.gz")
    keep = np.isin(y, classes)
    x = (x[keep].astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x[:, None]), torch.from_numpy(y[keep].astype(np.int64))


class Block(nn.Module):
    """Basic residual block; a 1x1 strided projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class SmallResNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = Block(16, 16, 1)  # 28x28
        self.layer2 = Block(16, 32, 2)  # 14x14
        self.layer3 = Block(32, 64, 2)  # 7x7
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return 100.0 * correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="models/fashion_resnet_0to4.onnx")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    classes = [0, 1, 2, 3, 4]
    xt, yt = load("train", classes)
    xv, yv = load("t10k", classes)
    model = SmallResNet(len(classes))
    print(f"params: {sum(p.numel() for p in model.parameters())}, train {len(xt)}, val {len(xv)}")
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = args.epochs * ((len(xt) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr * 2, total_steps=steps)
    for epoch in range(args.epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(xt))
        total = 0.0
        for i in range(0, len(xt), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, xv, yv)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / len(xt):.4f}, "
              f"val acc {acc:.2f}% ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), args.out, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      # PRESERVE with the model in eval mode keeps inference-mode BatchNormalization
                      # nodes; EVAL would fold them into the convolutions.
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    print(f"wrote {args.out}; validation accuracy {acc:.2f}% on classes 0-4 (t10k split)")


if __name__ == "__main__":
    main()
