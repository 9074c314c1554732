"""common.py - what the training checks share (tests/train/check_*.py): pass/fail
bookkeeping, the scale-relative error, Fashion-MNIST IDX reading, the C trainer's
--dump files and ONNX Runtime runs through tests/ort/ort_run.js."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))
from train_fashion_resnet import DATA, MEAN, STD, read_idx  # noqa: E402,F401  (Fashion-MNIST: path, pixel statistics)
failures = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)
    if not ok:
        failures.append(name)


def finish():
    if failures:
        print(f"{len(failures)} check(s) failed: {', '.join(failures)}")
        sys.exit(1)
    print("all checks passed")


def rel_err(a, b):
    """max |a - b| over max |b| (scale-relative: elementwise relative errors of values near 0 mean nothing)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def fashion(split, lo, hi, n):
    """The first n images of classes lo..hi, normalised as the C trainer does, labels - lo."""
    x = read_idx(f"{DATA}/{split}-images-idx3-ubyte.gz")
    y = read_idx(f"{DATA}/{split}-labels-idx1-ubyte.gz")
    keep = (y >= lo) & (y <= hi)
    xs = x[keep][:n].astype(np.float32)
    xs = (xs * np.float32(1.0 / (255.0 * STD)) - np.float32(MEAN / STD))[:, None].astype(np.float32)
    return xs, y[keep][:n].astype(np.int64) - lo


def ort(src, work, model_path, x, tag, input_name="input"):
    """Output 0 of ONNX Runtime (tests/ort/ort_run.js) on x."""
    d_in, d_out = os.path.join(work, tag + "_in"), os.path.join(work, tag + "_out")
    os.makedirs(d_in, exist_ok=True)
    os.makedirs(d_out, exist_ok=True)
    with open(os.path.join(d_in, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, input_name).SerializeToString())
    r = run(["node", os.path.join(src, "tests/ort/ort_run.js"), model_path, d_in, d_out])
    if r.returncode:
        sys.exit(f"ONNX Runtime failed on {model_path}: {r.stderr}")
    return numpy_helper.to_array(onnx.load_tensor(os.path.join(d_out, "output_0.pb")))


def fromfile(d, name, dtype=np.float32):
    return np.fromfile(os.path.join(d, name), dtype=dtype)


def build_trainer(onnx2c, rt_lib, src, model, c_path, exe, flags):
    """onnx2c MODEL --train-head --train-main FLAGS, built with -Wall -Wextra -Werror against onnx2c_rt."""
    r = run([onnx2c, model, "-o", c_path, "--train-head", "--train-main"] + flags)
    if r.returncode:
        sys.exit("onnx2c failed: " + r.stderr)
    # the compiler that built onnx2c_rt (CTest passes it): its OpenMP runtime is the one the library needs
    r = run([os.environ.get("CC", "cc"), "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fopenmp", c_path, "-I",
             os.path.join(src, "runtime"), "-L", rt_lib, "-lonnx2c_rt", "-lprotobuf-c", "-lz", "-lm", "-o", exe])
    if r.returncode:
        sys.exit("building the trainer failed: " + r.stderr)
