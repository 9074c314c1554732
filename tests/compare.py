#!/usr/bin/python3
"""compare.py - check a run's output_K.pb files against reference ones.

    /usr/bin/python3 tests/compare.py REF_DIR OUT_DIR [--rel 1e-4]
    /usr/bin/python3 tests/compare.py REF_DIR OUT_DIR --conformance [--rtol 1e-3] [--atol 1e-7]
    /usr/bin/python3 tests/compare.py REF64_DIR OUT_DIR --versus ORT_DIR [--factor 1.5] [--rel 1e-4]

Whole-model mode (default): an output passes if max|out-ref| <= rel * max|ref|,
a tolerance relative to the output's scale, which is what accumulated float32
rounding in a deep network looks like.  Conformance mode (--conformance, or
either of --rtol/--atol) is numpy.testing.assert_allclose as ONNX's backend
tests use it: |out-ref| <= atol + rtol*|ref| elementwise, NaN equal to NaN.

For 2-D outputs (a batch of logits) the arg-max of every row must also agree;
a row whose two candidates are tied within the value tolerance is reported
but not failed, since no float32 implementation is bound to break a tie the
same way.

Versus mode (--versus OTHER) is for models so ill-conditioned that no two
float32 runtimes agree to rel: REF is an exact (float64) reference, and OUT
passes if its max|out-ref| is at most factor times OTHER's max|other-ref|
(or within rel of max|ref| anyway).  A row's arg-max may then differ from
REF's only where OTHER's differs too, or where REF's two candidates are
within OUT's tolerance.

One line per output.  Exit status: 0 pass, 1 mismatch, 2 missing or corrupt
files (including a reference directory with no outputs at all).
"""
import argparse
import glob
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    try:
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        return numpy_helper.to_array(t)
    except Exception as e:  # any decode failure is a corrupt file, exit 2
        print(f"compare: {path}: cannot read TensorProto: {e}", file=sys.stderr)
        sys.exit(2)


def outputs(d):
    files = glob.glob(os.path.join(d, "output_*.pb"))
    idx = {}
    for f in files:
        m = re.fullmatch(r"output_(\d+)\.pb", os.path.basename(f))
        if m:
            idx[int(m.group(1))] = f
    return idx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ref")
    ap.add_argument("out")
    ap.add_argument("--rel", type=float, default=1e-4,
                    help="whole-model mode: max|diff| <= rel * max|ref| (default 1e-4)")
    ap.add_argument("--conformance", action="store_true",
                    help="allclose mode as in ONNX backend tests")
    ap.add_argument("--rtol", type=float, default=None, help="conformance rtol (default 1e-3)")
    ap.add_argument("--atol", type=float, default=None, help="conformance atol (default 1e-7)")
    ap.add_argument("--quiet", action="store_true", help="print only failures")
    ap.add_argument("--versus", metavar="OTHER", help="versus mode: OUT's error at most factor x OTHER's")
    ap.add_argument("--factor", type=float, default=1.5, help="versus mode factor (default 1.5)")
    a = ap.parse_args()
    conformance = a.conformance or a.rtol is not None or a.atol is not None
    rtol = 1e-3 if a.rtol is None else a.rtol
    atol = 1e-7 if a.atol is None else a.atol

    ref, out = outputs(a.ref), outputs(a.out)
    other = outputs(a.versus) if a.versus else None
    if not ref:
        print(f"compare: no output_K.pb in {a.ref}", file=sys.stderr)
        return 2
    status = 0
    for k in sorted(ref):
        if k not in out:
            print(f"compare: {a.out}/output_{k}.pb missing", file=sys.stderr)
            status = max(status, 2)
            continue
        r, o = load(ref[k]), load(out[k])
        tag = f"output_{k}"
        if r.shape != o.shape:
            print(f"{tag}: FAIL shape {list(o.shape)} != reference {list(r.shape)}")
            status = max(status, 1)
            continue
        if r.dtype != o.dtype:
            # onnx2c computes in float32; the values still have to match
            print(f"{tag}: note dtype {o.dtype} vs reference {r.dtype}")
        r64, o64 = r.astype(np.float64), o.astype(np.float64)
        diff = np.abs(o64 - r64)
        both_nan = np.isnan(r64) & np.isnan(o64)
        diff[both_nan] = 0.0
        maxdiff = float(np.max(diff)) if diff.size else 0.0
        finite_ref = np.abs(r64[np.isfinite(r64)])
        maxref = float(np.max(finite_ref)) if finite_ref.size else 0.0
        oth64 = None
        if other is not None:
            if k not in other:
                print(f"compare: {a.versus}/output_{k}.pb missing", file=sys.stderr)
                status = max(status, 2)
                continue
            oth64 = load(other[k]).astype(np.float64)
            if oth64.shape != r64.shape:
                print(f"{tag}: FAIL {a.versus} shape {list(oth64.shape)} != reference {list(r.shape)}")
                status = max(status, 1)
                continue
            err_oth = float(np.max(np.abs(oth64 - r64))) if r64.size else 0.0
            tol = max(a.factor * err_oth, a.rel * maxref)
            ok = bool(maxdiff <= tol) and not np.isnan(maxdiff)
            rr = maxref if maxref else 1.0
            crit = (f"versus {a.versus}: its max|diff| {err_oth:.3g} = {err_oth / rr:.3g} of max|ref|, "
                    f"ours {maxdiff / rr:.3g}, {maxdiff / err_oth if err_oth else 0:.2f}x; limit {a.factor:g}x")
        elif conformance:
            ok = bool(np.all((diff <= atol + rtol * np.abs(r64)) | both_nan)) if diff.size else True
            # inf == inf passes (diff is nan there, so check it explicitly)
            if not ok:
                same_inf = np.isinf(r64) & (r64 == o64)
                ok = bool(np.all((diff <= atol + rtol * np.abs(r64)) | both_nan | same_inf))
            crit = f"rtol {rtol:g} atol {atol:g}"
            tol = atol + rtol * maxref
        else:
            tol = a.rel * maxref
            ok = bool(maxdiff <= tol) and not np.isnan(maxdiff)
            crit = f"rel {a.rel:g}"
        note = ""
        if r.ndim == 2 and r.size:
            ra, oa = np.argmax(r64, axis=1), np.argmax(o64, axis=1)
            bad = np.nonzero(ra != oa)[0]
            real = [i for i in bad if r64[i, ra[i]] - r64[i, oa[i]] > tol]
            if oth64 is not None:  # versus: only where the other runtime found the reference's class
                real = [i for i in real if np.argmax(oth64[i]) == ra[i]]
            if real:
                ok = False
                note = f", arg-max differs in rows {list(map(int, real))[:8]}"
            elif len(bad):
                note = f", arg-max tie within tolerance in {len(bad)} row(s)"
            else:
                note = ", arg-max same"
        if not ok:
            status = max(status, 1)
        if not ok or not a.quiet:
            print(f"{tag}: {'ok  ' if ok else 'FAIL'} shape {list(r.shape)} max|diff| {maxdiff:.3g} "
                  f"max|ref| {maxref:.3g} ({crit}){note}")
    extra = sorted(set(out) - set(ref))
    if extra:
        print(f"compare: {a.out} has outputs the reference lacks: {extra}", file=sys.stderr)
        status = max(status, 2)
    return status


if __name__ == "__main__":
    sys.exit(main())
