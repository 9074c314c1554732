#!/usr/bin/python3
"""bench_cflags.py - the generated code built with the README's flags against the same C built with others.

    /usr/bin/python3 scripts/bench_cflags.py [--models mobilenet_v2,resnet50,...] [--threads 1,2]
        [--other "-O3 -march=native -fopenmp"] [--rounds 3] [--runs 10] [--no-spin] [--pin alternate|N|none]

The kernels that decide the speed are written with explicit SIMD, so the README's `-O2` build should be as
fast as `-O3` within noise (issue 20).  This checks it: for each model (exported, compiled and built as
scripts/bench.py does, in the same --work folder, with the README's flags), the same generated C is built a
second time with --other, and the two binaries run ALTERNATELY, --rounds rounds of --runs inferences each
(after a warm-up), one-thread runs pinned as bench.py pins them.  It prints a table: median latency of
each, README/other (the ratio of the medians) and the median of the rounds' ratios.  A benchmark, not a
test: nothing passes or fails on a time, and only ratios from one run mean anything.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (prepare, timed, run, log: one way to export, build and time)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="mobilenet_v2,efficientnet_b0,mobilenet_v3_large,mnasnet1_0,resnet50")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--other", default="-O3 -march=native -fopenmp", help="the flags to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--work", default=os.path.join(bench.ROOT, "build-bench"))
    ap.add_argument("--onnx2c", help="compiler binary (default: newest build*/compiler/onnx2c)")
    ap.add_argument("--onnx2c-args", default="")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--no-spin", action="store_true", help="idle threads sleep (OMP_WAIT_POLICY=passive)")
    ap.add_argument("--pin", default="alternate", help="one-thread runs: 'alternate', a CPU number or 'none'")
    a = ap.parse_args()
    a.cflags = "-O2 -march=native -fopenmp"  # the README's build line
    a.fixed_batch, a.onnx, a.data = False, None, None
    a.onnx2c = a.onnx2c or bench.find_onnx2c()
    bench.check_pin(a.pin)
    os.makedirs(a.work, exist_ok=True)
    threads = [int(t) for t in a.threads.split(",")]
    rows = []
    for model in [m for m in a.models.split(",") if m]:
        exe, _, _, data, _ = bench.prepare(a, model, 1)
        other = exe + "_other"
        flags_file = other + ".flags"
        if not (bench.newer(other, exe + ".c") and os.path.exists(flags_file) and
                open(flags_file).read() == f"{a.cc} {a.other}"):
            bench.log(f"building {os.path.basename(other)} ({a.cc} {a.other})")
            bench.run([a.cc, "-std=c99"] + a.other.split() + [exe + ".c", "-o", other, "-lm"])
            with open(flags_file, "w") as f:
                f.write(f"{a.cc} {a.other}")
        for t in threads:
            readme, alt = [], []
            for rd in range(a.rounds):
                pin = bench.pin_prefix(a.pin, t, rd)
                # which side goes first alternates too
                for side in ((exe, readme), (other, alt))[::1 if rd % 2 == 0 else -1]:
                    side[1].append(bench.timed(pin + [side[0], "--bench", str(a.runs), data], t, a.no_spin)[0])
            bench.log(f"{model} threads {t}: README flags {readme} ms, other {alt} ms")
            mr, mo = statistics.median(readme), statistics.median(alt)
            rows.append((model, t, mr, mo, mr / mo, statistics.median(x / y for x, y in zip(readme, alt))))
    print(f"\n{a.rounds} rounds x {a.runs} runs, alternating; README flags '{a.cflags}' against '{a.other}'\n")
    print("| model | threads | README flags ms | other ms | README/other | round ratios |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.2f} |")


if __name__ == "__main__":
    main()
