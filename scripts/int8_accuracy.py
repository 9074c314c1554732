"""int8_accuracy.py - float vs int8 top-1 of a Fashion-MNIST model, through ONNX Runtime.

    /usr/bin/python3 scripts/int8_accuracy.py MODEL.onnx [--onnx2c BUILD/compiler/onnx2c]
        [--classes 0,1,2,3,4] [--calib 500] [--methods minmax,percentile,entropy] [--work DIR] [--ours]

Writes --calib Fashion-MNIST TRAIN images (of --classes, the first ones in file
order) as .pb inputs, runs `onnx2c quantize MODEL --calibrate ... --method M` for
each method, then runs the float model and every int8 model under ONNX Runtime
(tests/ort/ort_run.js, one batch) on the TEST images of --classes and prints
each model's top-1; --ours also compiles each int8 model with onnx2c (the README's
build line) and runs it on the same images.  Inputs are normalised as models/train_fashion_resnet.py
trained ((x/255 - 0.2860) / 0.3530).  A measurement, not a test: nothing here
is timed or asserted.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))
from train_fashion_resnet import DATA, MEAN, STD, read_idx  # noqa: E402


def images(split, classes):
    x = read_idx(f"{DATA}/{split}-images-idx3-ubyte.gz")
    y = read_idx(f"{DATA}/{split}-labels-idx1-ubyte.gz")
    keep = np.isin(y, classes)
    return ((x[keep].astype(np.float32) / 255.0 - MEAN) / STD)[:, None], y[keep]


def write_pb(path, x, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(x, name).SerializeToString())


def ort_top1(model, in_dir, out_dir, y):
    subprocess.run(["node", os.path.join(ROOT, "tests", "ort", "ort_run.js"), model, in_dir, out_dir], check=True)
    logits = numpy_helper.to_array(onnx.load_tensor(os.path.join(out_dir, "output_0.pb")))
    return float((logits.argmax(1) == y).mean()), logits.argmax(1)


def onnx2c_top1(a, model, in_dir, work, y):
    """The model compiled by onnx2c (--main, the README's build line) on the same test batch."""
    os.makedirs(work, exist_ok=True)
    c, exe, out = os.path.join(work, "m.c"), os.path.join(work, "m"), os.path.join(work, "out")
    os.makedirs(out, exist_ok=True)
    subprocess.run([a.onnx2c, model, "-o", c, "--main"], check=True)
    subprocess.run(["cc", "-std=c99", "-O2", "-march=native", "-fopenmp", c, "-o", exe, "-lm"], check=True)
    subprocess.run([exe, in_dir, out], check=True, stdout=subprocess.DEVNULL)
    logits = numpy_helper.to_array(onnx.load_tensor(os.path.join(out, "output_0.pb")))
    return float((logits.argmax(1) == y).mean()), logits.argmax(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--onnx2c", default=os.path.join(ROOT, "build", "compiler", "onnx2c"))
    ap.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--calib", type=int, default=500)
    ap.add_argument("--methods", default="minmax,percentile,entropy")
    ap.add_argument("--work", default="/tmp/int8_accuracy")
    ap.add_argument("--ours", action="store_true", help="also compile each int8 model with onnx2c and run it")
    a = ap.parse_args()
    classes = [int(c) for c in a.classes.split(",")]
    m = onnx.load(a.model)
    iname = [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}][0]

    calib = os.path.join(a.work, "calib")
    os.makedirs(calib, exist_ok=True)
    xc, _ = images("train", classes)
    for k in range(a.calib):
        write_pb(os.path.join(calib, f"input_{k}.pb"), xc[k:k + 1], iname)
    xt, yt = images("t10k", classes)
    test = os.path.join(a.work, "test")
    os.makedirs(test, exist_ok=True)
    write_pb(os.path.join(test, "input_0.pb"), xt, iname)

    acc, pred = ort_top1(a.model, test, os.path.join(a.work, "out_float"), yt)
    print(f"{os.path.basename(a.model)}: {len(yt)} test images of classes {a.classes}")
    print(f"  float        top-1 {acc * 100:.2f}%")
    for method in a.methods.split(","):
        out = os.path.join(a.work, f"model.{method}.onnx")
        t0 = time.time()
        subprocess.run([a.onnx2c, "quantize", a.model, "--calibrate", calib, "-o", out, "--method", method],
                       check=True, stderr=subprocess.DEVNULL)
        took = time.time() - t0
        acc8, pred8 = ort_top1(out, test, os.path.join(a.work, f"out_{method}"), yt)
        print(f"  int8 {method:<10} top-1 {acc8 * 100:.2f}% ({(acc8 - acc) * 100:+.2f} points; arg-max equal to "
              f"float's on {(pred8 == pred).mean() * 100:.2f}%; quantize took {took:.1f} s on {a.calib} images)")
        if a.ours:
            acco, predo = onnx2c_top1(a, out, test, os.path.join(a.work, f"c_{method}"), yt)
            print(f"       onnx2c's build of it: top-1 {acco * 100:.2f}% ({(acco - acc) * 100:+.2f} points against "
                  f"float; arg-max equal to ONNX Runtime's int8 on {(predo == pred8).mean() * 100:.2f}%)")


if __name__ == "__main__":
    main()
