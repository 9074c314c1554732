#!/usr/bin/python3
"""bench.py - onnx2c's generated code against ONNX Runtime on the same CPU.

    /usr/bin/python3 scripts/bench.py [--models resnet18,mobilenet_v2,... (any torchvision classifier)]
        [--batches 1,8] [--threads 1,2] [--rounds 3] [--runs 5] [--no-spin] [--fixed-batch]
        [--pin alternate|N|none] [--work DIR] [--quick] [--int8]

A benchmark, not a test: nothing here passes or fails on a time.

For each model and batch it exports the torchvision model (models/export_torchvision.py,
random weights, BatchNorm kept; cached in --work), compiles it with onnx2c, builds the
generated C with the README's flags, `gcc -O2 -march=native -fopenmp` (--cflags to change
them), and then, for each thread count, runs
ours and ONNX Runtime (tests/ort/ort_bench.js: onnxruntime-node, intraOpNumThreads = T,
interOpNumThreads = 1, graph optimisations 'all', sequential) ALTERNATELY for --rounds
rounds, each round timing --runs inferences inside the process after a warm-up (start-up
and weight loading are not timed).  The machine may be shared and noisy, so only ratios
from one run mean anything; the median of the round medians is reported.

Batches above 1 use the model exported with a symbolic batch axis (--dynamic-batch) and an
input of that many samples, in both runtimes: onnx2c runs such a model sample by sample
(side by side on the threads when there are at least as many samples as threads).
--fixed-batch exports the batch into the model instead (onnx2c then runs the whole batch
through each kernel).

One-thread runs are pinned with taskset, both sides of a round to the same CPU, round r to
CPU r mod the CPU count (--pin alternate, the default; --pin N: always CPU N; --pin none:
the scheduler places them).  The vCPUs of this machine are not equally fast (at times one
ran 20% slower), and unpinned, one runtime could land on the slow one round after round:
in one run ours alternated between 59.5 and 73 ms on inception_v3 while ORT stayed at 69-72.

--no-spin makes idle threads sleep instead of spin in both: OMP_WAIT_POLICY=passive for
ours, session.intra_op.allow_spinning = 0 for ORT.  On a machine shared with other work
this decides the 2-thread numbers: a thread spinning at the end of one layer's parallel
loop holds a core the other thread needs to finish it.

It prints the measured FMA peak (bench/peak.c) and a markdown table: median latency of each,
ours/ORT (the ratio of the two medians), the median over rounds of each round's ours/ORT
(the two runs of a round are seconds apart, so this cancels the machine's drift between
rounds), achieved GFLOP/s (2 x the MACs onnx2c --report counts for the batch, / latency),
that as a share of the peak for the thread count, and each process's max RSS
(/usr/bin/time -f %M, largest over the rounds).  --quick is --models resnet18 --batches 1
--rounds 2 --runs 3.

--int8 quantizes each model with `onnx2c quantize` (minmax, calibrated on the benchmark's input; the
int8 model is cached beside the float one) and times three things alternately each round: ours on the
int8 model, ONNX Runtime on the same int8 model, and our float build; it prints int8 ours/ORT, int8
against our float (each the median of the per-round ratios) and both builds' weight sizes.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet18", "resnet50", "googlenet", "inception_v3"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, env=None, timeout=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=timeout)
    if r.returncode:
        sys.exit(f"bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def find_onnx2c():
    cands = [os.path.join(ROOT, d, "compiler", "onnx2c") for d in sorted(os.listdir(ROOT)) if d.startswith("build")]
    cands = [c for c in cands if os.access(c, os.X_OK)]
    if not cands:
        sys.exit("bench: no build*/compiler/onnx2c; build the compiler first or pass --onnx2c")
    return max(cands, key=os.path.getmtime)


def newer(target, *sources):
    return os.path.exists(target) and all(os.path.getmtime(target) >= os.path.getmtime(s) for s in sources)


def prepare(a, model, batch):
    """Exports (cached), compiles with onnx2c and builds; returns (binary, onnx, input.pb, input dir, GMACs of the batch)."""
    dynamic = batch > 1 and not getattr(a, "fixed_batch", False)
    stem = f"{model}_dyn_b{batch}" if dynamic else f"{model}_b{batch}"
    onnx = os.path.join(a.work, stem + ".onnx")
    data = os.path.join(a.work, stem + "_in")
    if a.onnx:
        onnx, data = os.path.abspath(a.onnx), os.path.abspath(a.data)
    elif not os.path.exists(onnx) or not os.path.exists(os.path.join(data, "input_0.pb")):
        log(f"exporting {stem}")
        args = ["--model", model, "--bn", "keep", "--opset", "13", "--batch", str(batch), "--out", onnx,
                "--data", data, "--calib-cache", os.path.join(a.work, "calib")]
        run([sys.executable, os.path.join(ROOT, "models", "export_torchvision.py")] + args +
            (["--dynamic-batch"] if dynamic else []))
    exe, gmacs, _ = build(a, onnx, stem)
    # a dynamic-batch model's count is per sample; a fixed batch is one "sample"
    gmacs *= batch if dynamic else 1
    return exe, onnx, os.path.join(data, "input_0.pb"), data, gmacs


def build(a, onnx, stem):
    """onnx2c --main on onnx, then the C built with --cflags (only when the C changed); returns (binary,
    GMACs per sample, weight bytes), both from onnx2c --report."""
    csrc = os.path.join(a.work, stem + ".c")
    exe = os.path.join(a.work, stem)
    # generated into new/ under the same file name (the name sets the C prefix), then compared
    fresh = os.path.join(a.work, "new", stem + ".c")
    os.makedirs(os.path.dirname(fresh), exist_ok=True)
    r = run([a.onnx2c, onnx, "-o", fresh, "--main", "--report"] + a.onnx2c_args.split())
    m = re.search(r"([0-9.]+) GMACs per sample", r.stdout + r.stderr)
    w = re.search(r"weights (\d+) bytes", r.stdout)
    if not m or not w:
        sys.exit(f"bench: no 'GMACs per sample' or weights in onnx2c --report for {onnx}")
    # rebuild only when the generated C changed (the gcc step takes a minute per model)
    flags_file = exe + ".flags"
    same_flags = os.path.exists(flags_file) and open(flags_file).read() == f"{a.cc} {a.cflags}"
    if os.path.exists(csrc) and open(csrc, "rb").read() == open(fresh, "rb").read() and newer(exe, csrc) \
            and same_flags:
        os.remove(fresh)
    else:
        os.replace(fresh, csrc)
        os.replace(fresh[:-2] + ".h", csrc[:-2] + ".h")
        log(f"building {stem} ({a.cc} {a.cflags})")
        run([a.cc, "-std=c99"] + a.cflags.split() + [csrc, "-o", exe, "-lm"])
        with open(flags_file, "w") as f:
            f.write(f"{a.cc} {a.cflags}")
    return exe, float(m.group(1)), int(w.group(1))


def quantized(a, onnx, data, stem):
    """--int8: onnx2c quantize on the float model (cached), calibrated on its input; returns the int8 .onnx."""
    q = os.path.join(a.work, stem + "_int8.onnx")
    if not newer(q, onnx, a.onnx2c):
        log(f"quantizing {stem} (onnx2c quantize, calibrated on {data})")
        run([a.onnx2c, "quantize", onnx, "--calibrate", data, "-o", q])
    return q


def check_pin(pin):
    """Validates --pin (alternate, none or a CPU number) and that taskset is there to do it."""
    if pin not in ("alternate", "none") and not pin.isdigit():
        sys.exit(f"bench: --pin takes 'alternate', 'none' or a CPU number, not '{pin}'")
    if pin != "none" and not shutil.which("taskset"):
        sys.exit("bench: taskset not found (util-linux); use --pin none")


def pin_prefix(pin, threads, rd):
    """The taskset prefix of round rd's runs: one-thread runs only, round r on CPU r mod the CPUs (alternate)."""
    if threads != 1 or pin == "none":
        return []
    cpus = sorted(os.sched_getaffinity(0))
    return ["taskset", "-c", str(cpus[rd % len(cpus)] if pin == "alternate" else int(pin))]


def timed(cmd, threads, passive):
    """Runs cmd under /usr/bin/time; returns (median ms it printed, max RSS in MB)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if passive:
        env["OMP_WAIT_POLICY"] = "passive"
    r = run(["/usr/bin/time", "-f", "maxrss_kb %M"] + cmd, env=env)
    ms = re.search(r"median ([0-9.]+) ms", r.stdout)
    rss = re.search(r"maxrss_kb (\d+)", r.stderr)
    if not ms or not rss:
        sys.exit(f"bench: cannot parse the output of {' '.join(cmd)}:\n{r.stdout}\n{r.stderr[-2000:]}")
    return float(ms.group(1)), int(rss.group(1)) / 1024.0


def peak(a, threads):
    exe = os.path.join(a.work, "peak")
    src = os.path.join(ROOT, "bench", "peak.c")
    if not newer(exe, src):
        run([a.cc, "-O2", "-march=native", "-fopenmp", src, "-o", exe])
    out = run([exe] + [str(t) for t in threads]).stdout
    best = {}
    for isa, t, gf in re.findall(r"(\w+) threads (\d+) peak ([0-9.]+) GFLOP/s", out):
        best[int(t)] = max(best.get(int(t), 0.0), float(gf))
    return out.strip(), best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--fixed-batch", action="store_true", help="export batches above 1 into the model")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5, help="timed inferences per process")
    ap.add_argument("--work", default=os.path.join(ROOT, "build-bench"), help="models, generated C, binaries")
    ap.add_argument("--onnx2c", help="compiler binary (default: newest build*/compiler/onnx2c)")
    ap.add_argument("--onnx2c-args", default="", help="options for onnx2c (e.g. --winograd=4)")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--cflags", default="-O2 -march=native -fopenmp",
                    help="flags for the generated C (default: the README's build line)")
    ap.add_argument("--no-spin", action="store_true", help="idle threads sleep (OMP_WAIT_POLICY=passive, ORT "
                    "allow_spinning=0)")
    ap.add_argument("--pin", default="alternate", help="one-thread runs: 'alternate' (round r on CPU r mod "
                    "CPUs, both sides), a CPU number, or 'none'")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--onnx", help="bench this model file instead (its batch is that of --data; for a smoke test)")
    ap.add_argument("--data", help="with --onnx: the directory holding its input_0.pb")
    ap.add_argument("--int8", action="store_true", help="quantize each model (onnx2c quantize, calibrated on its "
                    "input) and time ours and ORT on the int8 model, and our float build, alternately")
    a = ap.parse_args()
    if a.quick:
        a.models, a.batches, a.rounds, a.runs = "resnet18", "1", 2, 3
    if a.onnx:
        if not a.data:
            sys.exit("bench: --onnx needs --data DIR with input_0.pb")
        a.models, a.batches = os.path.basename(a.onnx)[:-5], "1"
    models = [m for m in a.models.split(",") if m]
    # any torchvision classifier builder name: models/export_torchvision.py refuses unknown ones
    check_pin(a.pin)
    batches = [int(b) for b in a.batches.split(",")]
    threads = [int(t) for t in a.threads.split(",")]
    a.onnx2c = a.onnx2c or find_onnx2c()
    os.makedirs(a.work, exist_ok=True)
    ort_js = os.path.join(ROOT, "tests", "ort", "ort_bench.js")
    node = shutil.which("node") or sys.exit("bench: node not found (ONNX Runtime runs under onnxruntime-node)")

    peak_text, peaks = peak(a, threads)
    log(peak_text)
    if a.int8:
        return main_int8(a, models, batches, threads, node, ort_js, peaks)
    rows = []
    for model in models:
        for batch in batches:
            exe, onnx, inp, data, gmacs = prepare(a, model, batch)
            gflop = 2.0 * gmacs
            for t in threads:
                ours, ort, rss_o, rss_r = [], [], 0.0, 0.0
                for rd in range(a.rounds):
                    pin = pin_prefix(a.pin, t, rd)
                    ms, rss = timed(pin + [exe, "--bench", str(a.runs), data], t, a.no_spin)
                    ours.append(ms)
                    rss_o = max(rss_o, rss)
                    ms, rss = timed(pin + [node, ort_js, onnx, inp, str(t), str(a.runs)] +
                                    (["nospin"] if a.no_spin else []), t, False)
                    ort.append(ms)
                    rss_r = max(rss_r, rss)
                mo, mr = statistics.median(ours), statistics.median(ort)
                log(f"{model} batch {batch} threads {t}: ours {ours} ms, ORT {ort} ms")
                gf = gflop / (mo / 1e3)
                rr = statistics.median(o / r for o, r in zip(ours, ort))
                rows.append((model, batch, t, mo, mr, mo / mr, gf, gflop / (mr / 1e3),
                             100.0 * gf / peaks[t] if t in peaks else float("nan"), rss_o, rss_r, rr))

    print(f"\nFMA peak (bench/peak.c, best ISA): " +
          ", ".join(f"{t} thread{'s' if t > 1 else ''} {peaks[t]:.1f} GFLOP/s" for t in sorted(peaks)))
    print(f"{a.rounds} rounds x {a.runs} runs each, alternating ours / ORT; medians of the round medians; "
          f"idle threads {'sleep (--no-spin)' if a.no_spin else 'spin (library defaults)'}; one-thread runs "
          f"pinned: {a.pin}\n")
    print("| model | batch | threads | onnx2c ms | ORT ms | onnx2c/ORT | round ratios | onnx2c GFLOP/s "
          "| ORT GFLOP/s | onnx2c % of peak | onnx2c max RSS MB | ORT max RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.2f} | {r[11]:.2f} | {r[6]:.1f} "
              f"| {r[7]:.1f} | {r[8]:.0f}% | {r[9]:.0f} | {r[10]:.0f} |")


def main_int8(a, models, batches, threads, node, ort_js, peaks):
    """--int8: per model, ours and ORT on the quantized model and our float build, alternately each round."""
    rows = []
    for model in models:
        for batch in batches:
            exe, onnx, inp, data, gmacs = prepare(a, model, batch)
            stem = os.path.basename(exe)
            q = quantized(a, onnx, data, stem)
            qexe, _, qbytes = build(a, q, stem + "_int8")
            _, _, fbytes = build(a, onnx, stem)
            for t in threads:
                ours, ort, flt = [], [], []
                for rd in range(a.rounds):
                    pin = pin_prefix(a.pin, t, rd)
                    ours.append(timed(pin + [qexe, "--bench", str(a.runs), data], t, a.no_spin)[0])
                    ort.append(timed(pin + [node, ort_js, q, inp, str(t), str(a.runs)] +
                                     (["nospin"] if a.no_spin else []), t, False)[0])
                    flt.append(timed(pin + [exe, "--bench", str(a.runs), data], t, a.no_spin)[0])
                log(f"{model} batch {batch} threads {t}: ours int8 {ours} ms, ORT int8 {ort} ms, ours float {flt} ms")
                mo, mr, mf = statistics.median(ours), statistics.median(ort), statistics.median(flt)
                rows.append((model, batch, t, mo, mr, mf, statistics.median(o / r for o, r in zip(ours, ort)),
                             statistics.median(o / f for o, f in zip(ours, flt)), 2.0 * gmacs / (mo / 1e3),
                             qbytes / 1e6, fbytes / 1e6))
    print(f"\nFMA peak (bench/peak.c, best ISA): " +
          ", ".join(f"{t} thread{'s' if t > 1 else ''} {peaks[t]:.1f} GFLOP/s" for t in sorted(peaks)))
    print(f"{a.rounds} rounds x {a.runs} runs each, alternating ours int8 / ORT int8 / ours float; ratios are "
          f"medians of the per-round ratios; idle threads {'sleep (--no-spin)' if a.no_spin else 'spin'}; "
          f"one-thread runs pinned: {a.pin}; int8 models from onnx2c quantize (minmax, calibrated on the bench "
          f"input)\n")
    print("| model | batch | threads | onnx2c int8 ms | ORT int8 ms | onnx2c float ms | int8: onnx2c/ORT "
          "| onnx2c int8/float | int8 GOP/s | weights int8 / float MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]:.2f} | {r[7]:.2f} "
              f"| {r[8]:.0f} | {r[9]:.1f} / {r[10]:.1f} |")


if __name__ == "__main__":
    main()
