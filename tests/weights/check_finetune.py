"""check_finetune.py - fine-tuned weights back into compiled code (issue 22).

A model is compiled once with --weights and redeployed after each fine-tuning
with no onnx2c or gcc run.  The trainer (--train-head --head-classes 5
--unfreeze 1 --train-main, models/fashion_resnet_0to4.onnx) fine-tunes and
exports (--export); that first export is compiled with --main --weights m.bin
and built.  Then:
  - a second fine-tuning (another seed) with --deploy-weights FILE, FILE a copy
    of m.bin: the trainer replaces FILE with its model's weights itself;
  - `onnx2c EXPORT --weights COPY` without -o, COPY another copy of m.bin,
    compiles with the options COPY records: byte for byte the trainer's file;
  - `onnx2c EXPORT --weights NEW --name m` (a new file, options given).
The program compiled from the first export, given each weights file, must
match ONNX Runtime on that export (rel 1e-4, the same predictions), and the
two fine-tunings must differ (so the swap is seen).  Refused, and the file
left as it was: --deploy-weights into weights for other code (-O0), before
training into a file that is not a weights file, and a model of another
structure for `--weights` without -o.

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


def train(seed, *extra):
    return run([trainer] + data + ["--batch", "8", "--epochs", "1", "--seed", str(seed), "--optim", "sgd",
                                   "--lr", "0.05"] + list(extra))


def read(path):
    with open(path, "rb") as f:
        return f.read()


# the first fine-tuning, compiled once (with options other than the defaults, which the
# weights file records and the later weights-only runs must reuse)
e1 = os.path.join(WORK, "finetuned_11.onnx")
r = train(11, "--export", e1)
if r.returncode:
    sys.exit(f"trainer failed: {r.stderr}")
gen = os.path.join(WORK, "deploy")
os.makedirs(gen)
m_bin = os.path.join(gen, "m.bin")
r = run([ONNX2C, e1, "-o", os.path.join(gen, "m.c"), "--main", "--weights", m_bin, "--winograd=0"])
if r.returncode:
    sys.exit("onnx2c failed: " + r.stderr)
r = run([os.environ.get("CC", "cc"), "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", os.path.join(gen, "m.c"),
         "-o", os.path.join(gen, "m"), "-lm"])
if r.returncode:
    sys.exit("gcc failed: " + r.stderr)

# the second fine-tuning: the trainer writes the deployed program's weights file itself
e2 = os.path.join(WORK, "finetuned_12.onnx")
w_trainer = os.path.join(WORK, "m_trainer.bin")
shutil.copy(m_bin, w_trainer)
r = train(12, "--export", e2, "--deploy-weights", w_trainer)
check("trainer --deploy-weights runs", r.returncode == 0, r.stderr.strip()[-400:])
check("trainer --deploy-weights replaced the file", read(w_trainer) != read(m_bin))
# the same from the command line: options from the existing file, the same bytes
w_cli = os.path.join(WORK, "m_cli.bin")
shutil.copy(m_bin, w_cli)
r = run([ONNX2C, e2, "--weights", w_cli])
check("onnx2c --weights EXISTING (no -o) runs", r.returncode == 0, r.stderr.strip())
check("  it says which options it used", "--winograd=0" in r.stderr and "--name m" in r.stderr, r.stderr.strip())
check("  the trainer's file and onnx2c's are the same bytes", read(w_cli) == read(w_trainer))
# a new file, the options given
w_new = os.path.join(WORK, "m_new.bin")
r = run([ONNX2C, e2, "--weights", w_new, "--name", "m", "--winograd=0"])
if r.returncode:
    sys.exit("onnx2c --weights NEW (no -o) failed: " + r.stderr)
check("weights only: no C written beside them", not [f for f in os.listdir(WORK) if f.endswith((".c.tmp", "-tmp.c", "-tmp.h"))])

xs, _ = common.fashion("t10k", 5, 9, N)
d_in = os.path.join(WORK, "in")
os.makedirs(d_in)
with open(os.path.join(d_in, "input_0.pb"), "wb") as f:
    in_name = onnx.load(e1).graph.input[0].name
    f.write(numpy_helper.from_array(xs, in_name).SerializeToString())

outs = []
for k, (exp, weights) in enumerate([(e1, None), (e2, w_trainer), (e2, w_new)]):
    d_out = os.path.join(WORK, f"out{k}")
    os.makedirs(d_out)
    cmd = [os.path.join(gen, "m")] + (["--weights", weights] if weights else []) + [d_in, d_out]
    r = run(cmd)
    what = f"{os.path.basename(exp)} with {os.path.basename(weights or m_bin)}"
    check(f"{what}: the compiled program runs", r.returncode == 0, r.stderr.strip())
    if r.returncode:
        continue
    c = numpy_helper.to_array(onnx.load_tensor(os.path.join(d_out, "output_0.pb")))
    ref = common.ort(SRC, WORK, exp, xs, f"ort{k}", in_name)
    e = rel_err(c, ref)
    check(f"{what}: C vs ONNX Runtime on the export", e < 1e-4, f"(rel {e:.2e})")
    check(f"{what}: same predictions", np.array_equal(c.argmax(1), ref.argmax(1)))
    outs.append(c)
if len(outs) == 3:
    d = rel_err(outs[0], outs[1])
    check("the two fine-tunings give different logits (the swap is seen)", d > 1e-3, f"(rel {d:.2e})")

# weights packed with other options (-O0: other kernels, other packing): the program refuses them ...
w_o0 = os.path.join(WORK, "m_O0.bin")
r = run([ONNX2C, e2, "--weights", w_o0, "--name", "m", "-O0"])
if r.returncode:
    sys.exit("onnx2c failed: " + r.stderr)
r = run([os.path.join(gen, "m"), "--weights", w_o0, d_in, os.path.join(WORK, "out0")])
check("weights packed with other options are refused", r.returncode == 1 and "another model" in r.stderr,
      r.stderr.strip())
# ... and the trainer's deploy into them keeps them when the model does not fit their code: the
# options they record (-O0) are used, so this one fits; a model of another structure does not
r = run([ONNX2C, model, "--weights", w_o0])  # the original 5-class model: the same structure, fits
check("onnx2c --weights (no -o): the same structure with the recorded -O0 fits", r.returncode == 0, r.stderr.strip())
w_keep = os.path.join(WORK, "m_keep.bin")
shutil.copy(m_bin, w_keep)
r = run([ONNX2C, os.path.join(SRC, "models", "tiny_cnn.onnx"), "--weights", w_keep])
check("onnx2c --weights (no -o): another structure is refused", r.returncode == 1 and "does not fit" in r.stderr,
      r.stderr.strip())
check("  and the file is left as it was", read(w_keep) == read(m_bin))
w_ft = os.path.join(WORK, "m_ft.bin")
shutil.copy(w_o0, w_ft)
before = read(w_ft)
e3 = os.path.join(WORK, "finetuned_13.onnx")
other_trainer = os.path.join(WORK, "train_block2")
# a trainer whose export has another structure than the program w_ft came with: a 3-class head
common.build_trainer(ONNX2C, RT_LIB, SRC, model, os.path.join(WORK, "train3.c"), other_trainer,
                     ["--head-classes", "3"])
r = run([other_trainer] + data[:2] + ["--classes", "5:7", "--limit", "40", "--mean", str(MEAN), "--std", str(STD),
                                      "--batch", "8", "--epochs", "1", "--export", e3, "--deploy-weights", w_ft])
check("trainer --deploy-weights for other code fails", r.returncode == 1 and "does not fit" in r.stderr,
      r.stderr.strip()[-400:])
check("  and leaves the file as it was", read(w_ft) == before)
check("  the export was still written", os.path.exists(e3))
junk = os.path.join(WORK, "junk.bin")
with open(junk, "wb") as f:
    f.write(b"not weights")
r = train(13, "--deploy-weights", junk)
check("trainer --deploy-weights NOT_WEIGHTS fails before training", r.returncode == 1 and
      "not an onnx2c weights file" in r.stderr and "epoch" not in r.stdout, r.stderr.strip()[-300:])
common.finish()
