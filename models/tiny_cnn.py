#!/usr/bin/python3
"""Makes models/tiny_cnn.onnx: a small CNN that exercises the main ops and
passes (conv+BN+ReLU, a residual block, an Inception-style concat, pooling,
an FC head) for the committed example in generated/example/.

Run with Debian's Python (it has torch):  /usr/bin/python3 models/tiny_cnn.py
Weights are seeded; BatchNorm statistics are calibrated on random inputs so
activations are not degenerate.
"""
import argparse

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + x)


class TinyCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(), nn.MaxPool2d(2))
        self.block = Block(8)
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b3 = nn.Conv2d(8, 4, 3, padding=1)
        self.head = nn.Linear(8, classes)

    def forward(self, x):
        x = self.block(self.stem(x))
        x = torch.cat([torch.relu(self.b1(x)), torch.relu(self.b3(x))], 1)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/tiny_cnn.onnx")
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    torch.manual_seed(0)
    m = TinyCNN()
    m.train()
    with torch.no_grad():
        for _ in range(8):
            m(torch.randn(16, 1, 12, 12))
    m.eval()
    x = torch.randn(1, 1, 12, 12)
    torch.onnx.export(m, x, args.out, input_names=["image"], output_names=["logits"], opset_version=args.opset,
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
