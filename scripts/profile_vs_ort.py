#!/usr/bin/python3
"""profile_vs_ort.py - onnx2c against ONNX Runtime layer by layer (a profile, not a test).

    /usr/bin/python3 scripts/profile_vs_ort.py [--model resnet50] [--batch 1] [--threads 1]
        [--runs 20] [--top 15] [--work DIR] [--onnx MODEL.onnx --data IN_DIR]

Builds the model's generated C with -DONNX2C_PROFILE (per-kernel milliseconds, see the
README), runs it --runs times, runs ONNX Runtime with its profiler on (tests/ort/ort_bench.js
--profile) on the same input and thread count, and matches the Conv layers of the two:
ORT renames and fuses nodes, so a Conv is known by its input and weight shapes and by which
of the convs with those shapes it is, in graph order.  Prints the time of each kind of layer
(kernel size, stride, input size) in both, their ratio and the milliseconds lost or won, then
the --top layers that lose most.  The model and input are bench.py's (exported into --work on
first use).  Both sides are medians, so that a run the machine's load stretched does not
move them: ORT's per run (its first, warm-up run dropped), ours per process (the generated
profile reports means over its runs, so the --runs are split over several processes and each
layer takes the median of their means).  A noisy machine still moves them: compare within one
run and repeat.
"""
import argparse
import collections
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (prepare, run, find_onnx2c)


def conv_keys(onnx_path):
    """Conv node name -> ((input shape, weight shape), occurrence), and -> layer kind."""
    import onnx
    from onnx import shape_inference
    g = shape_inference.infer_shapes(onnx.load(onnx_path)).graph
    shapes = {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
              for v in list(g.value_info) + list(g.input) + list(g.output)}
    shapes.update({t.name: tuple(t.dims) for t in g.initializer})
    keys, kinds, seen = {}, {}, collections.Counter()
    for n in g.node:
        if n.op_type != "Conv":
            continue
        k = (shapes.get(n.input[0], ()), shapes.get(n.input[1], ()))
        keys[n.name] = (k, seen[k])
        seen[k] += 1
        strides = [list(a.ints) for a in n.attribute if a.name == "strides"]
        x, w = k
        s = strides[0][0] if strides else 1
        kinds[n.name] = f"{w[2]}x{w[3]} s{s} at {x[2]}x{x[3]}" if len(x) == 4 and len(w) == 4 else "other"
    return keys, kinds


def ours_profile(text):
    """PREFIX_profile_report lines '<id> <ms/call> <share> <GFLOP/s> Conv <name>' -> {name: ms}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*\d+\s+([0-9.]+)\s+[0-9.]+%\s+[0-9.]+\s+Conv (.*)$", line)
        if m:
            out[m.group(2).strip()] = float(m.group(1))
    return out


def ort_profile(path, nconv):
    """ORT profile JSON -> {((x, w), occurrence): median ms over the runs after the first}."""
    seq = []
    for e in json.load(open(path)):
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if e["args"].get("op_name") != "Conv":
            continue
        # ORT's NCHWc transformer runs a standalone BatchNormalization (DenseNet's) as a depthwise
        # 1x1 Conv named after the BN's output: not one of the model's convs
        if "_bn_nchwc_kernel_time" in e["name"]:
            continue
        ins = [tuple(next(iter(d.values()))) for d in e["args"]["input_type_shape"]]
        seq.append(((ins[0], ins[1]), e["dur"] / 1000.0))
    if not nconv or len(seq) % nconv:
        sys.exit(f"profile_vs_ort: {len(seq)} Conv kernels in ORT's profile for {nconv} convs per run")
    per = collections.defaultdict(list)
    for r in range(1, len(seq) // nconv):
        seen = collections.Counter()
        for k, ms in seq[r * nconv:(r + 1) * nconv]:
            per[(k, seen[k])].append(ms)
            seen[k] += 1
    return {k: statistics.median(v) for k, v in per.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--work", default=os.path.join(bench.ROOT, "build-bench"))
    ap.add_argument("--onnx2c")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--onnx2c-args", default="", help="options for onnx2c (as bench.py's)")
    ap.add_argument("--cflags", default="-O2 -march=native -fopenmp", help="bench.py's build of the plain binary")
    ap.add_argument("--onnx", help="a model of your own (with --data: a directory holding input_0.pb)")
    ap.add_argument("--data")
    a = ap.parse_args()
    if bool(a.onnx) != bool(a.data):
        sys.exit("profile_vs_ort: --onnx and --data go together")
    a.onnx2c = a.onnx2c or bench.find_onnx2c()
    os.makedirs(a.work, exist_ok=True)
    exe, onnx_path, input_pb, data, _ = bench.prepare(a, a.model, a.batch)
    csrc = exe + ".c"
    prof = exe + "_prof"
    if not bench.newer(prof, csrc):
        bench.log(f"building {os.path.basename(prof)} (-DONNX2C_PROFILE)")
        bench.run([a.cc, "-std=c99", "-O3", "-march=native", "-fopenmp", "-DONNX2C_PROFILE", csrc, "-o", prof,
                   "-lm"])
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OMP_WAIT_POLICY="passive")
    procs = max(1, min(a.runs // 3, 7))  # at least 3 runs a process; a stretched run moves one process's means
    profs, walls = [], []
    for i in range(procs):
        n = a.runs * (i + 1) // procs - a.runs * i // procs
        r = bench.run([prof, "--bench", str(n), data], env=env)
        profs.append(ours_profile(r.stdout))
        walls.append(float(re.search(r"median ([0-9.]+) ms", r.stdout).group(1)))
    ours = {name: statistics.median(p[name] for p in profs if name in p) for name in profs[0]}
    js = os.path.join(bench.ROOT, "tests", "ort", "ort_bench.js")
    prefix = os.path.join(a.work, os.path.basename(exe) + "_ortprof")
    r2 = bench.run(["node", js, onnx_path, input_pb, str(a.threads), str(a.runs), "nospin", "--profile", prefix])
    m = re.search(r"^profile (.*)$", r2.stdout, re.M)
    if not m:
        sys.exit(f"profile_vs_ort: no profile path in ort_bench.js output:\n{r2.stdout}")
    keys, kinds = conv_keys(onnx_path)
    ort = ort_profile(m.group(1), len(keys))
    os.remove(m.group(1))
    print(f"{a.model} batch {a.batch}, {a.threads} thread(s): ours {a.runs} runs in {procs} processes, "
          f"median wall clock {statistics.median(walls):.3f} ms (per process {', '.join(f'{w:.3f}' for w in walls)})")
    print(f"ORT {r2.stdout.splitlines()[0]}")
    kind = collections.defaultdict(lambda: [0.0, 0.0, 0])
    rows = []
    for name, k in keys.items():
        if name not in ours or k not in ort:
            print(f"unmatched conv {name}")
            continue
        o, t = ours[name], ort[k]
        kind[kinds[name]][0] += o
        kind[kinds[name]][1] += t
        kind[kinds[name]][2] += 1
        rows.append((o - t, name, o, t))
    so, st = sum(r[2] for r in rows), sum(r[3] for r in rows)
    print(f"\nConv layers: ours {so:.2f} ms, ORT {st:.2f} ms, ratio {so / st:.2f}\n")
    print("| kind | layers | ours ms | ORT ms | ours/ORT | ms lost |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, (o, t, n) in sorted(kind.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        print(f"| {k} | {n} | {o:.2f} | {t:.2f} | {o / t:.2f} | {o - t:+.2f} |")
    print(f"\nthe {a.top} layers that lose most:")
    for lost, name, o, t in sorted(rows, reverse=True)[:a.top]:
        print(f"  {lost:+.3f} ms  ours {o:.3f}  ORT {t:.3f}  ({o / t:.2f})  {name}  [{kinds[name]}]")


if __name__ == "__main__":
    main()
