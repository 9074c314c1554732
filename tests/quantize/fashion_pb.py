"""fashion_pb.py - Fashion-MNIST images as ONNX TensorProto files, one input each.

    fashion_pb.py OUT_DIR SPLIT FIRST COUNT [--labels FILE]

Writes OUT_DIR/input_K.pb (K = 0..COUNT-1): images FIRST.. of SPLIT (train or
t10k) as float [1,1,28,28], normalised as models/train_fashion_resnet.py
trained (x/255 - mean) / std.  --labels writes their labels, one per line.
"""
import argparse
import os
import sys

import numpy as np
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))
from train_fashion_resnet import DATA, MEAN, STD, read_idx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("split", choices=["train", "t10k"])
    ap.add_argument("first", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--labels")
    a = ap.parse_args()
    x = read_idx(f"{DATA}/{a.split}-images-idx3-ubyte.gz")[a.first:a.first + a.count]
    y = read_idx(f"{DATA}/{a.split}-labels-idx1-ubyte.gz")[a.first:a.first + a.count]
    x = ((x.astype(np.float32) / 255.0 - MEAN) / STD)[:, None, None]
    os.makedirs(a.out, exist_ok=True)
    for k in range(len(x)):
        t = numpy_helper.from_array(x[k], "input")
        with open(os.path.join(a.out, f"input_{k}.pb"), "wb") as f:
            f.write(t.SerializeToString())
    if a.labels:
        with open(a.labels, "w") as f:
            f.write("".join(f"{int(v)}\n" for v in y))


if __name__ == "__main__":
    main()
