"""check_finetune.py - fine-tuned weights back into compiled code (issue 22).

A model is compiled once with --weights and redeployed after each fine-tuning
with no gcc run: the trainer (--train-head --head-classes 5 --unfreeze 1
--train-main, models/fashion_resnet_0to4.onnx) fine-tunes twice (two seeds)
and exports each result (--export); the first export is compiled with --main
--weights; `onnx2c EXPORT --weights FILE` (no -o) writes the second one's
weights file only.  The program compiled from the first export, given each
weights file, must match ONNX Runtime on that export (rel 1e-4, the same
predictions); the two fine-tunings must differ (so the swap is seen); weights
packed with other options (-O0) are refused.

usage: check_finetune.py ONNX2C RT_LIB_DIR SRC WORK
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ONNX2C, RT_LIB, SRC, WORK = sys.argv[1:5]
sys.path.insert(0, os.path.join(SRC, "tests", "train"))
import common  # noqa: E402
from common import DATA, MEAN, STD, check, rel_err, run  # noqa: E402

N = 40
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
model = os.path.join(SRC, "models/fashion_resnet_0to4.onnx")
trainer = os.path.join(WORK, "train")
common.build_trainer(ONNX2C, RT_LIB, SRC, model, os.path.join(WORK, "train.c"), trainer,
                     ["--head-classes", "5", "--unfreeze", "1"])
data = ["--data", f"{DATA}/train-images-idx3-ubyte.gz", "--classes", "5:9", "--limit", "80",
        "--mean", str(MEAN), "--std", str(STD)]
exports = []
for seed in (11, 12):
    exp = os.path.join(WORK, f"finetuned_{seed}.onnx")
    r = run([trainer] + data + ["--batch", "8", "--epochs", "1", "--seed", str(seed), "--optim", "sgd",
                                "--lr", "0.05", "--export", exp])
    if r.returncode:
        sys.exit(f"trainer failed: {r.stderr}")
    exports.append(exp)

# compiled once, from the first fine-tuning
gen = os.path.join(WORK, "deploy")
os.makedirs(gen)
r = run([ONNX2C, exports[0], "-o", os.path.join(gen, "m.c"), "--main", "--weights", os.path.join(gen, "m.bin")])
if r.returncode:
    sys.exit("onnx2c failed: " + r.stderr)
r = run([os.environ.get("CC", "cc"), "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", os.path.join(gen, "m.c"),
         "-o", os.path.join(gen, "m"), "-lm"])
if r.returncode:
    sys.exit("gcc failed: " + r.stderr)
# the second fine-tuning: its weights file only
w2 = os.path.join(WORK, "m2.bin")
r = run([ONNX2C, exports[1], "--weights", w2, "--name", "m"])
if r.returncode:
    sys.exit("onnx2c --weights (no -o) failed: " + r.stderr)
check("weights only: no C written beside them", not [f for f in os.listdir(WORK) if f.endswith((".c.tmp", "-tmp.c", "-tmp.h"))])

xs, _ = common.fashion("t10k", 5, 9, N)
d_in = os.path.join(WORK, "in")
os.makedirs(d_in)
with open(os.path.join(d_in, "input_0.pb"), "wb") as f:
    in_name = onnx.load(exports[0]).graph.input[0].name
    f.write(numpy_helper.from_array(xs, in_name).SerializeToString())

outs = []
for k, (exp, weights) in enumerate([(exports[0], None), (exports[1], w2)]):
    d_out = os.path.join(WORK, f"out{k}")
    os.makedirs(d_out)
    cmd = [os.path.join(gen, "m")] + (["--weights", weights] if weights else []) + [d_in, d_out]
    r = run(cmd)
    check(f"fine-tuning {k + 1}: the compiled program runs on its weights", r.returncode == 0, r.stderr.strip())
    if r.returncode:
        continue
    c = numpy_helper.to_array(onnx.load_tensor(os.path.join(d_out, "output_0.pb")))
    ref = common.ort(SRC, WORK, exp, xs, f"ort{k}", in_name)
    e = rel_err(c, ref)
    check(f"fine-tuning {k + 1}: C with its weights file vs ONNX Runtime on its export", e < 1e-4, f"(rel {e:.2e})")
    check(f"fine-tuning {k + 1}: same predictions", np.array_equal(c.argmax(1), ref.argmax(1)))
    outs.append(c)
if len(outs) == 2:
    d = rel_err(outs[0], outs[1])
    check("the two fine-tunings give different logits (the swap is seen)", d > 1e-3, f"(rel {d:.2e})")

# the same fine-tuning compiled with other options (-O0: other kernels, other packing): refused
w3 = os.path.join(WORK, "m2_O0.bin")
r = run([ONNX2C, exports[1], "--weights", w3, "--name", "m", "-O0"])
if r.returncode:
    sys.exit("onnx2c failed: " + r.stderr)
r = run([os.path.join(gen, "m"), "--weights", w3, d_in, os.path.join(WORK, "out0")])
check("weights packed with other options are refused", r.returncode == 1 and "another model" in r.stderr,
      r.stderr.strip())
common.finish()
