"""make_fashion_mbv2.py - a small MobileNetV2-style CNN trained on Fashion-MNIST (all 10 classes).

    /usr/bin/python3 models/make_fashion_mbv2.py [OUT.onnx] [--epochs 2] [--threads 2] [--train-images 30000]

The int8 accuracy model of issue 21: inverted residual blocks (1x1 expand,
3x3 depthwise, 1x1 linear projection, BatchNorm, ReLU6, a residual add where
the shape allows), as MobileNetV2 is built, on 28x28 grey inputs normalised as
train_fashion_resnet.py does ((x/255 - 0.2860) / 0.3530).  Seeded; two epochs
of Adam (one-cycle) over a seeded 30k of the 60k training images, to stay
within a few minutes on two shared cores.
Exports ONNX (opset 13, input 'input' [batch,1,28,28], output 'logits'
[batch,10]) and prints the float test top-1 on the 10k test images.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_resnet import load  # noqa: E402


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hid = cin * expand
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
            nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MBV2(nn.Module):
    def __init__(self):
        super().__init__()
        # a stride-2 stem as MobileNetV2's: 14x14 from the start keeps training within minutes
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 16, 1, 1),
            InvertedResidual(16, 24, 1, 3), InvertedResidual(24, 24, 1, 3),   # 14x14
            InvertedResidual(24, 32, 2, 3), InvertedResidual(32, 32, 1, 3))   # 7x7
        self.head = nn.Sequential(nn.Conv2d(32, 96, 1, bias=False), nn.BatchNorm2d(96), nn.ReLU6())
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        y = self.head(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "fashion_mbv2.onnx"))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-images", type=int, default=30000, help="a seeded subset of the 60k, for time")
    a = ap.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(a.threads)
    classes = list(range(10))
    xtr, ytr = load("train", classes)
    keep = torch.randperm(len(xtr))[:a.train_images]
    xtr, ytr = xtr[keep], ytr[keep]
    xte, yte = load("t10k", classes)
    net = MBV2()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    steps = a.epochs * ((len(xtr) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 4e-3, total_steps=steps)
    t0 = time.time()
    for ep in range(a.epochs):
        net.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            idx = perm[i:i + 128]
            loss = nn.functional.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if i // 128 % 100 == 0:
                print(f"  epoch {ep + 1}: {i}/{len(xtr)} ({time.time() - t0:.0f} s)", flush=True)
        net.eval()
        with torch.no_grad():
            acc = float((torch.cat([net(xte[i:i + 1000]) for i in range(0, len(xte), 1000)]).argmax(1) == yte)
                        .float().mean())
        print(f"epoch {ep + 1}: loss {loss.item():.3f}, test top-1 {acc * 100:.2f}% ({time.time() - t0:.0f} s)",
              flush=True)
    torch.onnx.export(net, xte[:1], a.out, input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")


if __name__ == "__main__":
    main()
