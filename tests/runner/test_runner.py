#!/usr/bin/python3
"""
Tests for the generated --main runner (templates/runner.c), without the
compiler: tests/runner/fake_model.c stands in for emit.c's output.

1. It must compile clean as C99 (-Wall -Wextra -Werror, gcc and clang, with
   and without OpenMP).
2. Under AddressSanitizer + UBSan it must read ONNX's conformance data and
   what onnx's numpy_helper writes (raw_data, packed float_data, hand-encoded
   unpacked fields), and write files onnx reads back with the right name, dims
   and values (compared with the fake models' answers computed here in numpy).
3. Every bad input (missing files, wrong dtype/dims/batch, short data, every
   truncation of a valid file, random and bit-flipped bytes) must give exit
   status 1 with a message - never a crash, a hang, or a sanitizer report.

usage: test_runner.py WORK_DIR   (the source tree is found from this file)
Exit 0 on success, 1 on any failure, 77 when onnx/numpy are missing (skip).
"""
import os
import random
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print("skip: %s (run with a python that has onnx and numpy)" % e)
    sys.exit(77)

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# ONNX2C_RUNNER_TEMPLATES: test a modified copy (to check that these tests catch its bugs)
TEMPLATES = os.environ.get("ONNX2C_RUNNER_TEMPLATES") or os.path.join(SRC, "templates")
FAKE = os.path.join(SRC, "tests", "runner", "fake_model.c")
RELU = "/usr/share/libonnx-testdata/data/node/test_relu/test_data_set_0"
WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wformat=2",
        "-Wmissing-prototypes", "-Wstrict-prototypes", "-pedantic"]
# sanitizer reports get their own exit status, so they are never mistaken for
# the runner's clean "exit 1 after a message"
SAN_ENV = dict(os.environ,
               ASAN_OPTIONS="exitcode=99:detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="halt_on_error=1:exitcode=99:print_stacktrace=1")

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def compile_fake(cc, model, out, extra):
    cmd = [cc] + WARN + ["-O1", "-I", TEMPLATES, "-DFAKE_MODEL=%d" % model] + extra + [FAKE, "-o", out, "-lm"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, "compile %s\n%s" % (" ".join(cmd), r.stderr))
    return r.returncode == 0


def run(exe, *args):
    try:
        r = subprocess.run([exe] + list(args), capture_output=True, text=True, env=SAN_ENV, timeout=60)
    except subprocess.TimeoutExpired:
        return (-1000, "", "timeout")
    return (r.returncode, r.stdout, r.stderr)


def expect_fail(exe, args, needle, what):
    rc, _, err = run(exe, *args)
    check(rc == 1 and "error:" in err and "Sanitizer" not in err and "runtime error" not in err,
          "%s: want exit 1 with a message, got %d\n%s" % (what, rc, err[-2000:]))
    if needle:
        check(needle in err, "%s: message lacks %r:\n%s" % (what, needle, err))


def expect_ok(exe, args, what):
    rc, out, err = run(exe, *args)
    check(rc == 0 and "Sanitizer" not in err and "runtime error" not in err,
          "%s: want exit 0, got %d\n%s" % (what, rc, err[-2000:]))
    return rc == 0, out, err


def save(path, data):
    with open(path, "wb") as f:
        f.write(data)


def tensor_bytes(arr, name=""):
    return numpy_helper.from_array(np.asarray(arr), name).SerializeToString()


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# hand encoding, for forms numpy_helper never writes
def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(num, wt, payload):
    key = varint(num << 3 | wt)
    if wt == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def hand_tensor(dims, values, packed_dims=False, packed_floats=False, dtype=1, extra=b""):
    b = b""
    if packed_dims:
        b += field(1, 2, b"".join(varint(d) for d in dims))
    else:
        b += b"".join(field(1, 0, varint(d)) for d in dims)
    b += field(2, 0, varint(dtype))
    vals = np.asarray(values, dtype="<f4")
    if packed_floats:
        b += field(4, 2, vals.tobytes())
    else:
        b += b"".join(field(4, 5, v.tobytes()) for v in vals)
    return b + extra


def test_relu(exe, work):
    """Conformance data in, conformance data out; batches other than 3."""
    out = fresh(os.path.join(work, "relu_out"))
    if os.path.isdir(RELU):
        ok, _, err = expect_ok(exe, [RELU, out], "relu on test_relu")
        if ok:
            got, want = read_tensor(os.path.join(out, "output_0.pb")), read_tensor(os.path.join(RELU, "output_0.pb"))
            check(got.name == "y" and list(got.dims) == [3, 4, 5] and got.data_type == 1,
                  "relu output header: name %r dims %s" % (got.name, list(got.dims)))
            check(np.array_equal(numpy_helper.to_array(got), numpy_helper.to_array(want)),
                  "relu output differs from test_relu's output_0.pb")
            check("warning" not in err, "unexpected warning: " + err)
    else:
        check(False, "missing ONNX conformance data " + RELU)
    rng = np.random.default_rng(1)
    for batch in (1, 7):
        ind = fresh(os.path.join(work, "relu_in%d" % batch))
        x = rng.standard_normal((batch, 4, 5)).astype(np.float32)
        save(os.path.join(ind, "input_0.pb"), tensor_bytes(x, "x"))
        ok, _, _ = expect_ok(exe, [ind, out], "relu batch %d" % batch)
        if ok:
            got = read_tensor(os.path.join(out, "output_0.pb"))
            check(list(got.dims) == [batch, 4, 5], "relu batch %d dims %s" % (batch, list(got.dims)))
            check(np.array_equal(numpy_helper.to_array(got), np.maximum(x, 0)), "relu batch %d values" % batch)
    ok, stdout, _ = expect_ok(exe, ["--bench", "3", ind], "--bench")
    check("median" in stdout and "batch 7" in stdout, "--bench output: " + stdout)


def multi_inputs(d, x, z, w, names=("x", "z", "w")):
    fresh(d)
    for k, (a, n) in enumerate(zip((x, z, w), names)):
        if a is not None:
            save(os.path.join(d, "input_%d.pb" % k), tensor_bytes(np.asarray(a, np.float32), n))
    return d


def test_multi(exe, work):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    z = rng.standard_normal((2, 4)).astype(np.float32)
    w = np.array([0.5, -1.25], np.float32)
    out = fresh(os.path.join(work, "multi_out"))
    ind = os.path.join(work, "multi_in")

    def check_outputs(what):
        want = [("y", 2 * x), ("u", z + w[0]), ("v", 3 * w)]
        for k, (name, val) in enumerate(want):
            got = read_tensor(os.path.join(out, "output_%d.pb" % k))
            check(got.name == name and list(got.dims) == list(val.shape) and got.data_type == 1,
                  "%s: output %d header %r %s" % (what, k, got.name, list(got.dims)))
            check(np.array_equal(numpy_helper.to_array(got), val), "%s: output %d values" % (what, k))

    multi_inputs(ind, x, z, w)
    if expect_ok(exe, [ind, out], "multi")[0]:
        check_outputs("multi")

    # other valid encodings of the same tensors
    save(os.path.join(ind, "input_0.pb"), hand_tensor(x.shape, x.ravel(), packed_dims=True, packed_floats=True))
    save(os.path.join(ind, "input_1.pb"), hand_tensor(z.shape, z.ravel(), extra=field(12, 2, b"doc") + field(99, 5, b"abcd")))
    save(os.path.join(ind, "input_2.pb"), onnx.helper.make_tensor("w", 1, [2], w.tolist()).SerializeToString())
    if expect_ok(exe, [ind, out], "multi, hand-encoded inputs")[0]:
        check_outputs("multi, hand-encoded inputs")

    multi_inputs(ind, x, z, w, names=("x", "wrong", "w"))
    ok, _, err = expect_ok(exe, [ind, out], "name mismatch is only a warning")
    check("warning" in err and "'wrong'" in err, "name mismatch warning: " + err)

    # shape and batch errors, each naming what is wrong
    bad = [
        ((np.zeros((2, 3, 5)), z, w), "must have dims [N,3,4], the file has [2,3,5]", "wrong dims"),
        ((np.zeros((3, 4)), z, w), "must have dims [N,3,4], the file has [3,4]", "wrong rank"),
        ((x, np.zeros((3, 4)), w), "batch mismatch", "batch mismatch"),
        ((np.zeros((0, 3, 4)), np.zeros((0, 4)), w), "batch 0", "batch 0"),
        ((x, z, np.zeros((1, 2))), "'w' must have dims [2], the file has [1,2]", "unbatched rank"),
        ((x, z, np.zeros(3)), "the file has [3]", "unbatched dims"),
        ((x, z, None), "cannot open", "missing input"),
    ]
    for (a, b, c), needle, what in bad:
        multi_inputs(ind, a, b, c)
        expect_fail(exe, [ind, out], needle, what)

    def with_input(k, data):
        multi_inputs(ind, x, z, w)
        save(os.path.join(ind, "input_%d.pb" % k), data)

    raw = tensor_bytes(w, "w")
    dtype_cases = [(np.float64, "DOUBLE"), (np.int64, "INT64"), (np.int32, "INT32"), (np.float16, "FLOAT16")]
    for dt, name in dtype_cases:
        with_input(2, tensor_bytes(w.astype(dt), "w"))
        expect_fail(exe, [ind, out], "data type " + name, "dtype " + name)
    data_cases = [
        (hand_tensor([2], []) + field(9, 2, b"\0" * 4), "need 2 floats (8 bytes), the file holds 4 bytes of raw_data",
         "raw_data short by one float"),
        (hand_tensor([2], []) + field(9, 2, b"\0" * 12), "need 2 floats", "raw_data long by one float"),
        (raw[:-4], "past the end", "raw_data field cut short"),
        (hand_tensor([2], [1.0]), "need 2 floats", "unpacked float_data short"),
        (hand_tensor([2], [1.0, 2.0, 3.0], packed_floats=True), "need 2 floats", "packed float_data long"),
        (hand_tensor([2], [], dtype=1), "need 2 floats", "no data"),
        (hand_tensor([2], [1.0, 2.0]) + field(9, 2, b"\0" * 8), "both raw_data and float_data", "two data fields"),
        (raw + field(14, 0, varint(1)), "external", "external data"),
        (hand_tensor([2], [1, 2], dtype=0), "UNDEFINED", "no data type"),
        (hand_tensor([-2], [1, 2]), "negative dim", "negative dim"),
        (hand_tensor([1] * 9, [1]), "more than 8 dims", "rank 9"),
        (hand_tensor([1 << 40, 1 << 40], [1]), "the file has", "huge dims"),
        (field(4, 2, b"\0\0\0"), "multiple of 4", "packed floats, odd length"),
        (b"\x0b\x0c", "corrupt", "group wire type"),
    ]
    for data, needle, what in data_cases:
        with_input(2, data)
        expect_fail(exe, [ind, out], needle, what)
    # dims that overflow size_t when they are the right rank and batched
    with_input(0, hand_tensor([1 << 61, 3, 4], [1]))
    expect_fail(exe, [ind, out], "it must be 1..", "batch overflowing size_t")
    with_input(0, hand_tensor([1 << 40, 3, 4], [1]))
    expect_fail(exe, [ind, out], "batch 1099511627776", "batch beyond int")

    # a failing run leaves no output files behind
    multi_inputs(ind, x, z, np.array([1, -999], np.float32))
    fresh(out)
    expect_fail(exe, [ind, out], "status 5", "failing model")
    check(os.listdir(out) == [], "failing model left files: %s" % os.listdir(out))

    # directories and command line
    multi_inputs(ind, x, z, w)
    expect_fail(exe, [ind, os.path.join(work, "no_such_dir")], "OUT_DIR must exist", "missing OUT_DIR")
    expect_fail(exe, [ind, os.path.join(ind, "input_0.pb")], "cannot create", "OUT_DIR is a file")
    expect_fail(exe, [os.path.join(work, "no_such_dir"), out], "cannot open", "missing IN_DIR")
    os.remove(os.path.join(ind, "input_0.pb"))
    os.mkdir(os.path.join(ind, "input_0.pb"))
    expect_fail(exe, [ind, out], "input_0.pb", "input file is a directory")
    for args in ([], [ind], ["--bench", "0", ind], ["--bench", "x", ind], ["--nope", ind], [ind, out, "extra"]):
        rc, _, err = run(exe, *args)
        check(rc == 2 and ("usage" in err or "error:" in err), "bad command line %s: rc %d %s" % (args, rc, err))
    rc, stdout, _ = run(exe, "--help")
    check(rc == 0 and "float[N,3,4]" in stdout and "float[2]" in stdout and "output_1.pb" in stdout,
          "--help: " + stdout)


def test_const(exe, work):
    ind, out = fresh(os.path.join(work, "const_in")), fresh(os.path.join(work, "const_out"))
    if expect_ok(exe, [ind, out], "model without inputs")[0]:
        c, s = read_tensor(os.path.join(out, "output_0.pb")), read_tensor(os.path.join(out, "output_1.pb"))
        check(c.name == "c" and list(c.dims) == [2, 2] and np.array_equal(numpy_helper.to_array(c), [[1, 2], [3, 4]]),
              "const output c")
        check(s.name == "s" and list(s.dims) == [] and numpy_helper.to_array(s) == 42, "const output s (rank 0)")


def fuzz(exe, work, valid, k=0, nrandom=80, nflip=100):
    """Truncations at every length, random bytes, bit flips: exit 1 or 0, never a crash."""
    d = os.path.join(work, "fuzz_in")
    out = fresh(os.path.join(work, "fuzz_out"))
    path = os.path.join(d, "input_%d.pb" % k)
    rng = random.Random(3)
    for n in range(len(valid)):
        save(path, valid[:n])
        expect_fail(exe, [d, out], None, "truncated to %d of %d bytes" % (n, len(valid)))
    for i in range(nrandom):
        save(path, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
        expect_fail(exe, [d, out], None, "random bytes #%d" % i)
    for i in range(nflip):
        b = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        save(path, bytes(b))
        rc, _, err = run(exe, d, out)
        clean = "Sanitizer" not in err and "runtime error" not in err
        check(clean and (rc == 1 and "error:" in err or rc == 0),
              "bit flips #%d: rc %d\n%s" % (i, rc, err[-2000:]))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    work = os.path.abspath(sys.argv[1])
    os.makedirs(work, exist_ok=True)

    # 1. clean C99 with every compiler at hand, with and without OpenMP
    for cc in ("gcc", "clang"):
        if not shutil.which(cc):
            print("note: %s not found, not tried" % cc)
            continue
        for omp in ([], ["-fopenmp"]):
            for m in (1, 2, 3):
                compile_fake(cc, m, os.path.join(work, "fake%d_%s%s" % (m, cc, "_omp" if omp else "")), omp)

    # 2-3. behaviour under the sanitizers
    cc = os.environ.get("CC") or "cc"
    san = ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"]
    exes = {}
    for m in (1, 2, 3):
        exe = os.path.join(work, "fake%d_san" % m)
        if not compile_fake(cc, m, exe, san):
            print("note: no sanitizer build, testing a plain one")
            compile_fake(cc, m, exe, [])
        exes[m] = exe
    if failures:
        return 1

    test_relu(exes[2], work)
    test_multi(exes[1], work)
    test_const(exes[3], work)
    relu_in = os.path.join(RELU, "input_0.pb")
    if os.path.exists(relu_in):
        d = fresh(os.path.join(work, "fuzz_in"))
        with open(relu_in, "rb") as f:
            valid = f.read()
        fuzz(exes[2], work, valid)
    # the multi model: a small file with every field, and a second input
    rng = np.random.default_rng(4)
    d = multi_inputs(os.path.join(work, "fuzz_in"), rng.standard_normal((2, 3, 4)),
                     rng.standard_normal((2, 4)), [1, 2])
    with open(os.path.join(d, "input_1.pb"), "rb") as f:
        valid = f.read()
    fuzz(exes[1], work, valid, k=1, nrandom=40, nflip=60)

    print("%d checks, %d failures" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
