#!/usr/bin/env python3
"""template_needs.py ONNX2C TEMPLATES WORKDIR - the conv families pasted alone.

For one Conv per kernel family in templates/conv/ (dw, direct, wino, cv,
wcv), onnx2c's output must paste exactly the templates that the family's
" * Needs:" header line names, recursively, each once and before what needs
it (the order is worked out here from the template sources, independently of
compiler/backend/emit.c), and run that family's kernel.  Each generated file
must then compile clean on its own with gcc and clang (-std=c99 -Wall
-Wextra -Werror), native and portable, with OpenMP and without: the Needs
lines name everything a family uses.  Exits non-zero on any failure.
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# family: (C, M, group, H = W, kernel, stride, call) chosen so compiler/ops/conv.c picks that family
CASES = {
    "conv/dw.c": (8, 8, 8, 10, 3, 1, "o2c_conv_dw("),
    "conv/direct.c": (3, 8, 1, 20, 5, 2, "o2c_conv_direct("),
    "conv/wino.c": (32, 16, 1, 28, 3, 1, "o2c_conv_wino4("),
    "conv/cv.c": (8, 64, 1, 7, 3, 1, "o2c_conv_cv("),
    "conv/wcv.c": (32, 64, 1, 14, 3, 1, "o2c_conv_wcv("),
}
CONFIGS = [("gcc", "-O2 -march=native -fopenmp"), ("gcc", "-O0"), ("clang", "-O0 -march=native"),
           ("clang", "-O0 -fopenmp")]


def needs(templates, name):
    with open(os.path.join(templates, name)) as f:
        head = f.read().split("*/", 1)[0]
    m = re.search(r"\n \* Needs:([^\n]*)", head)
    return m.group(1).split() if m else []


def order(templates, name, out):
    """name after what it needs, depth first, each once"""
    if name not in out:
        for n in needs(templates, name):
            order(templates, n, out)
        out.append(name)
    return out


def model(path, C, M, G, H, k, s):
    w = np.random.default_rng(1).standard_normal((M, C // G, k, k)).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=G, strides=[s, s], pads=[k // 2] * 4)
    OH = (H + 2 * (k // 2) - k) // s + 1
    graph = helper.make_graph([node], "needs", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, H, H])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, M, OH, OH])],
                              [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    onnx2c, templates, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    bad = 0
    for fam, (C, M, G, H, k, s, call) in CASES.items():
        base = os.path.join(work, fam.replace("/", "_")[:-2])
        model(base + ".onnx", C, M, G, H, k, s)
        # F(4x4) is opt-in (--winograd=4); wcv's case is F(2x2), the default
        extra = ["--winograd=4"] if fam == "conv/wino.c" else []
        subprocess.run([onnx2c, base + ".onnx", "-o", base + ".c", *extra], check=True)
        text = open(base + ".c").read()
        got = re.findall(r"^/\* ---- template (\S+) ---- \*/$", text, flags=re.M)
        want = order(templates, fam, ["common.c"])
        if got != want:
            print(f"{fam}: pasted {got}, want {want}")
            bad += 1
        if not re.search(r"^\t+" + re.escape(call), text, re.M):  # a call site, not the definition
            print(f"{fam}: the model does not call {call.rstrip('(')}")
            bad += 1
        for cc, flags in CONFIGS:
            r = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", *flags.split(), "-c", base + ".c",
                                "-o", base + ".o"], capture_output=True, text=True)
            if r.returncode:
                print(f"{fam}: {cc} {flags}:\n{r.stderr[:2000]}")
                bad += 1
        print(f"{fam}: {' '.join(got)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
