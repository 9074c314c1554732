#!/usr/bin/python3
"""conv_chain.py - exports a chain of L identical convolutions (ReLU after each) for layer benchmarks.

    /usr/bin/python3 models/conv_chain.py --hw 14 --k 3 --a 256 --b 256 --layers 16 --out s14.onnx --data s14_in

Conv i maps A channels to B (i even) or B to A (i odd), kxk, stride 1, 'same' padding, on an HW x HW
image: a ResNet stage's layer shape repeated, so scripts/bench_layers.sh can time one kind of layer in
onnx2c and ONNX Runtime.  Weights are seeded random; the input (input_0.pb in --data) too.
"""
import argparse
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hw", type=int, required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--a", type=int, required=True)
    ap.add_argument("--b", type=int, required=True)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    torch.manual_seed(0)
    layers = []
    for i in range(a.layers):
        cin, cout = (a.a, a.b) if i % 2 == 0 else (a.b, a.a)
        layers += [torch.nn.Conv2d(cin, cout, a.k, padding=a.k // 2), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers).eval()
    x = torch.randn(1, a.a, a.hw, a.hw)
    torch.onnx.export(model, x, a.out, opset_version=13, input_names=["x"], output_names=["y"])
    os.makedirs(a.data, exist_ok=True)
    t = numpy_helper.from_array(x.numpy().astype(np.float32), "x")
    with open(os.path.join(a.data, "input_0.pb"), "wb") as f:
        f.write(t.SerializeToString())
    onnx.checker.check_model(onnx.load(a.out))


if __name__ == "__main__":
    main()
