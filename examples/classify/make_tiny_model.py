#!/usr/bin/python3
"""make_tiny_model.py - writes tiny_imagenet_cnn.onnx, a stand-in for a ResNet
with the same interface (image [N,3,224,224] -> logits [N,1000]) and a
residual block, small enough to compile and run in a test in a second.
Its weights are seeded and random: its classes mean nothing, but its outputs
depend on every pixel, which is what the test needs.

    /usr/bin/python3 examples/classify/make_tiny_model.py [--out FILE]
"""
import argparse

import torch
import torch.nn as nn


class TinyImageNetCNN(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 7, stride=4, padding=3, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(), nn.MaxPool2d(2))                       # 8 x 28 x 28
        self.down = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())  # 8 x 14 x 14
        self.res = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        x = self.down(self.stem(x))
        x = torch.relu(self.res(x) + x)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="examples/classify/tiny_imagenet_cnn.onnx")
    args = ap.parse_args()
    torch.manual_seed(1)
    m = TinyImageNetCNN()
    with torch.no_grad():
        m.train()
        for _ in range(4):  # BatchNorm statistics from normalised-image-like inputs
            m(torch.randn(8, 3, 224, 224))
        # a peaked softmax, so the top 5 are well separated
        m.fc.weight.mul_(20.0)
    m.eval()
    torch.onnx.export(m, torch.randn(1, 3, 224, 224), args.out, input_names=["image"], output_names=["logits"],
                      opset_version=13, dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    print("wrote", args.out)


if __name__ == "__main__":
    main()
