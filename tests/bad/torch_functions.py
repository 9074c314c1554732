#!/usr/bin/python3
"""torch_functions.py - the good-path counterpart of the bad-input corpus for
ONNX local functions: exports a small residual network from PyTorch with
export_modules_as_functions (torch >= 1.13 writes FunctionProtos, nested two
deep here: Blk calls LeakyReLU), compiles it with onnx2c --main, runs it on a
batch of 2 and compares with PyTorch's own output.  Exits non-zero on any
difference above 1e-4, or when onnx2c fails.

usage: torch_functions.py ONNX2C WORKDIR [CC]
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper as nh

onnx2c, work = sys.argv[1], sys.argv[2]
cc = sys.argv[3] if len(sys.argv) > 3 else "cc"
os.makedirs(os.path.join(work, "in"), exist_ok=True)
os.makedirs(os.path.join(work, "out"), exist_ok=True)
torch.manual_seed(0)


class Blk(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.a = torch.nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.a(self.c(x)) + x


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.b1, self.b2 = Blk(), Blk()

    def forward(self, x):
        return self.b2(self.b1(x))


net = Net().eval()
model = os.path.join(work, "functions.onnx")
torch.onnx.export(net, torch.randn(1, 3, 8, 8), model, opset_version=15,
                  export_modules_as_functions={Blk, torch.nn.LeakyReLU},
                  input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}})
if not onnx.load(model).functions:
    sys.exit("torch did not write any FunctionProto; the test would prove nothing")
x = torch.randn(2, 3, 8, 8)
with torch.no_grad():
    ref = net(x).numpy()
with open(os.path.join(work, "in", "input_0.pb"), "wb") as f:
    f.write(nh.from_array(x.numpy(), "x").SerializeToString())

c = os.path.join(work, "functions.c")
exe = os.path.join(work, "functions")
subprocess.run([onnx2c, model, "-o", c, "--main"], check=True)
subprocess.run([cc, "-std=c99", "-O2", "-o", exe, c, "-lm"], check=True)
subprocess.run([exe, os.path.join(work, "in"), os.path.join(work, "out")], check=True)
t = onnx.TensorProto()
with open(os.path.join(work, "out", "output_0.pb"), "rb") as f:
    t.ParseFromString(f.read())
got = nh.to_array(t)
err = float(np.abs(got - ref).max()) if got.shape == ref.shape else float("inf")
print(f"functions.onnx: output {got.shape} vs torch {ref.shape}, max abs diff {err:.3g}")
sys.exit(0 if err <= 1e-4 else 1)
