#!/usr/bin/python3
"""gen_bad.py - writes the bad-input corpus for tests/bad_input.sh.

usage: gen_bad.py OUT_DIR

Every case gets a folder OUT_DIR/<case>/ holding <case>.onnx (plus any files
it refers to), <case>.expect and optionally <case>.args.  <case>.expect has
the allowed exit codes on its first line ("1", "3" or "1 3") and then one
extended regex per line that onnx2c's stderr must match.  The models are
made here at test time from the onnx helpers, so no binary model is kept in
the repository; each one is broken in exactly one way.
"""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP, helper as h, numpy_helper as nh

OUT = sys.argv[1]
CASES = []


def case(name, model, codes, *regexes, args=None, raw=None, files=None):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".onnx")
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    else:
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
    for fname, data in (files or {}).items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    with open(os.path.join(d, name + ".expect"), "w") as f:
        f.write(codes + "\n" + "\n".join(regexes) + "\n")
    if args:
        with open(os.path.join(d, name + ".args"), "w") as f:
            f.write(args + "\n")
    CASES.append(name)
    return d


def vi(name, shape, dt=TP.FLOAT):
    return h.make_tensor_value_info(name, dt, shape)


def model(nodes, inputs, outputs, inits=(), opset=13, functions=None, extra_opsets=()):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    kw = {}
    if functions:
        kw["functions"] = functions
    ops = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v) for d, v in extra_opsets]
    m = h.make_model(g, opset_imports=ops, producer_name="gen_bad", **kw)
    m.ir_version = 8
    return m


def const(name, arr):
    return nh.from_array(np.asarray(arr), name)


def raw_tensor(name, dims, data, dt=TP.FLOAT):
    """A TensorProto taken as given: the helpers would refuse a wrong length."""
    t = TP()
    t.name, t.data_type, t.raw_data = name, dt, data
    t.dims.extend(dims)
    return t


def relu_model():
    return model([h.make_node("Relu", ["X"], ["Y"], name="relu")], [vi("X", [1, 4])], [vi("Y", [1, 4])])


# ---- files that are not ONNX models --------------------------------------
good = relu_model().SerializeToString()
case("truncated", None, "1", r"truncated\.onnx: error: not a valid ONNX model", raw=good[: len(good) // 2])
rng = random.Random(1234)
case("garbage", None, "1", r"garbage\.onnx: error: not a valid ONNX model",
     raw=bytes(rng.randrange(256) for _ in range(4096)))
case("empty", None, "1", r"empty\.onnx: error: .*is empty", raw=b"")

# ---- graph structure -----------------------------------------------------
case("cycle", model([h.make_node("Add", ["X", "t2"], ["t1"], name="add"),
                     h.make_node("Relu", ["t1"], ["t2"], name="relu")],
                    [vi("X", [1, 4])], [vi("t2", [1, 4])]),
     "1", r"cycle\.onnx: error: node '(add|relu)' \((Add|Relu)\): .*cycle")
case("missing_input", model([h.make_node("Add", ["X", "W"], ["Y"], name="add")],
                            [vi("X", [1, 4])], [vi("Y", [1, 4])]),
     "1", r"missing_input\.onnx: error: node 'add' \(Add\): input 'W' is not a graph input, an initializer or the output of any node")
case("missing_output", model([h.make_node("Relu", ["X"], ["Y"], name="relu")],
                             [vi("X", [1, 4])], [vi("Z", [1, 4])]),
     "1", r"missing_output\.onnx: error: graph output 'Z' is not produced by any node")
rec = h.make_function("local", "Rec", ["a"], ["b"], [h.make_node("Rec", ["a"], ["b"], name="again", domain="local")],
                      [h.make_opsetid("", 13), h.make_opsetid("local", 1)])
case("function_recursion", model([h.make_node("Rec", ["X"], ["Y"], name="top", domain="local")],
                                 [vi("X", [1, 4])], [vi("Y", [1, 4])], functions=[rec], extra_opsets=[("local", 1)]),
     "1", r"function_recursion\.onnx: error: node 'top/again' \(Rec\): function 'Rec' calls itself")

# ---- operators and opsets ------------------------------------------------
case("unsupported_ops", model([
        h.make_node("Relu", ["X"], ["a"], name="ok"),
        h.make_node("RandomUniformLike", ["a"], ["b"], name="rnd"),
        h.make_node("TopK", ["b", "k"], ["c", "ci"], name="topk"),
        h.make_node("Bernoulli", ["c"], ["Y"], name="bern"),
        h.make_node("Det", ["a"], ["Z"], name="det", domain="com.example")],
        [vi("X", [1, 4])], [vi("Y", [1, 4]), vi("Z", [])], inits=[const("k", np.array([4], np.int64))],
        extra_opsets=[("com.example", 1)]),
     "3", r"unsupported_ops\.onnx: unsupported: node 'rnd' \(RandomUniformLike\)", r"node 'topk' \(TopK\)",
     r"node 'bern' \(Bernoulli\)", r"node 'det' \(com\.example\.Det\)", r"4 nodes with unsupported operators")
case("einsum_not_matmul", model([h.make_node("Einsum", ["X", "W"], ["Y"], name="ein", equation="ij,jk->i")],
                                [vi("X", [1, 4])], [vi("Y", [1])], inits=[const("W", np.ones((4, 3), np.float32))]),
     "3", r"node 'ein' \(Einsum\): equation 'ij,jk->i': letter 'k' of one operand is summed away")
then = h.make_graph([h.make_node("Relu", ["X"], ["t"], name="inner")], "then", [], [vi("t", [1, 4])])
case("subgraph_if", model([h.make_node("If", ["C"], ["Y"], name="if", then_branch=then, else_branch=then)],
                          [vi("X", [1, 4])], [vi("Y", [1, 4])], inits=[const("C", np.array(True))]),
     "3", r"subgraph_if\.onnx: unsupported: node 'if' \(If\): operator not supported")
# opsets 1-6 load where an op's meaning is unchanged; legacy axis broadcasting is refused
m6 = model([h.make_node("Add", ["X", "B"], ["Y"], name="legacy_add", broadcast=1, axis=1)],
           [vi("X", [1, 4, 2])], [vi("Y", [1, 4, 2])], inits=[const("B", np.ones(4, np.float32))])
m6.opset_import[0].version = 6
case("legacy_broadcast", m6, "3", r"legacy_broadcast\.onnx: unsupported: node 'legacy_add' \(Add\): legacy broadcasting")
m99 = relu_model()
m99.opset_import[0].version = 99
case("opset99", m99, "3", r"opset99\.onnx: unsupported: default-domain opset 99")
mno = relu_model()
del mno.opset_import[:]
case("no_opset", mno, "1", r"no_opset\.onnx: error: the model imports no opset for the default ONNX domain")

# ---- shapes and types ----------------------------------------------------
case("shape_add", model([h.make_node("Add", ["A", "B"], ["Y"], name="add")],
                        [vi("A", [2, 3]), vi("B", [4, 5])], [vi("Y", None)]),
     "1", r"shape_add\.onnx: error: node 'add' \(Add\): .*\[2,3\].*\[4,5\]")
case("conv_channels", model([h.make_node("Conv", ["X", "W"], ["Y"], name="conv", kernel_shape=[3, 3])],
                            [vi("X", [1, 3, 8, 8])], [vi("Y", None)],
                            inits=[const("W", np.zeros((4, 5, 3, 3), np.float32))]),
     "1", r"conv_channels\.onnx: error: node 'conv' \(Conv\): .*channel")
case("nonfloat_weight", model([h.make_node("Conv", ["X", "W"], ["Y"], name="conv", kernel_shape=[3, 3])],
                              [vi("X", [1, 3, 8, 8])], [vi("Y", None)],
                              inits=[const("W", np.zeros((4, 3, 3, 3), np.int64))]),
     "3", r"nonfloat_weight\.onnx: unsupported: node 'conv' \(Conv\): .*int64")
case("nonfloat_input", model([h.make_node("Relu", ["X"], ["Y"], name="relu")],
                             [vi("X", [1, 4], TP.INT32)], [vi("Y", None)]),
     "3", r"nonfloat_input\.onnx: unsupported: graph input 'X' is int32; .*--bind X=FILE\.pb")
case("string_init", model([h.make_node("Identity", ["S"], ["Y"], name="id")], [], [vi("Y", None)],
                          inits=[h.make_tensor("S", TP.STRING, [1], [b"hi"])]),
     "3", r"string_init\.onnx: unsupported: initializer 'S' is a string tensor")
case("symbolic_dim", model([h.make_node("Relu", ["X"], ["Y"], name="relu")],
                           [vi("X", ["N", 3, "H", 8])], [vi("Y", None)]),
     "1", r"symbolic_dim\.onnx: error: graph input 'X' has symbolic dimension 'H' at axis 2.*--dim H=VALUE")
case("batch_transpose", model([h.make_node("Transpose", ["X"], ["Y"], name="tr", perm=[1, 0, 2])],
                              [vi("X", ["N", 3, 8])], [vi("Y", None)]),
     "1", r"batch_transpose\.onnx: error: node 'tr' \(Transpose\): .*batch")
huge = raw_tensor("W", [2**40, 2**40], b"\0" * 16)
case("absurd_init", model([h.make_node("Add", ["X", "W"], ["Y"], name="add")],
                          [vi("X", [1, 4])], [vi("Y", None)], inits=[huge]),
     "1", r"absurd_init\.onnx: error: initializer 'W' has dims \[1099511627776,1099511627776\], too large")
case("absurd_input", model([h.make_node("Relu", ["X"], ["Y"], name="relu")],
                           [vi("X", [2**40, 2**40])], [vi("Y", None)]),
     "1", r"absurd_input\.onnx: error: .*'X'.*too large")
short = raw_tensor("W", [4, 4], b"\0" * 8)
case("short_data", model([h.make_node("Add", ["X", "W"], ["Y"], name="add")],
                         [vi("X", [4, 4])], [vi("Y", None)], inits=[short]),
     "1", r"short_data\.onnx: error: initializer 'W' has 8 bytes of data but its dims \[4,4\] need 64")


# ---- quantization (QDQ): the scale and zero point are checked, never trusted ----
def qdq_model(scale, zp, axis=None, x_dt=TP.FLOAT, x_shape=(1, 4, 3, 3), dq_zp=None):
    """X -> QuantizeLinear(scale, zp) -> DequantizeLinear -> Y; dq_zp: a different zero point for the DQ."""
    attrs = {} if axis is None else {"axis": axis}
    return model([h.make_node("QuantizeLinear", ["X", "s", "z"], ["q"], name="quant", **attrs),
                  h.make_node("DequantizeLinear", ["q", "s", "z2" if dq_zp is not None else "z"], ["Y"],
                              name="dequant", **attrs)],
                 [vi("X", list(x_shape), x_dt)], [vi("Y", None)],
                 inits=[const("s", np.asarray(scale, np.float32)), const("z", np.asarray(zp))] +
                       ([const("z2", np.asarray(dq_zp))] if dq_zp is not None else []))


case("q_zero_scale", qdq_model(0.0, np.uint8(0)), "1",
     r"q_zero_scale\.onnx: error: node 'quant' \(QuantizeLinear\): scale 's' element 0 is 0; .*positive")
case("q_negative_scale", qdq_model([0.1, -0.2, 0.1, 0.1], np.array([0, 0, 0, 0], np.uint8), axis=1), "1",
     r"q_negative_scale\.onnx: error: node 'quant' \(QuantizeLinear\): scale 's' element 1 is -0\.2")
case("dq_zero_point_type", qdq_model(0.1, np.uint8(3), dq_zp=np.int8(3)), "1",
     r"dq_zero_point_type\.onnx: error: node 'dequant' \(DequantizeLinear\): zero point 'z2' is int8 but input "
     r"'q' is uint8")
case("q_axis_range", qdq_model([0.1] * 4, np.zeros(4, np.uint8), axis=4), "1",
     r"q_axis_range\.onnx: error: node 'quant' \(QuantizeLinear\): per-axis quantization axis 4 is out of range")
case("q_int8_where_float", model([h.make_node("QuantizeLinear", ["X", "s", "z"], ["q"], name="quant"),
                                  h.make_node("Relu", ["q"], ["Y"], name="relu")],
                                 [vi("X", [1, 4])], [vi("Y", None)],
                                 inits=[const("s", np.float32(0.1)), const("z", np.int8(0))]),
     "3", r"q_int8_where_float\.onnx: unsupported: node 'relu' \(Relu\): input 0 'q' is int8; only float")

# ---- external data -------------------------------------------------------
def ext_model(location, length=None):
    t = raw_tensor("W", [4], b"")
    t.ClearField("raw_data")
    t.data_location = TP.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, v
    return model([h.make_node("Add", ["X", "W"], ["Y"], name="add")], [vi("X", [4])], [vi("Y", None)], inits=[t])


w16 = np.arange(4, dtype=np.float32).tobytes()
with open(os.path.join(OUT, "outside.bin"), "wb") as f:  # exists, so refusals are not "missing file"
    f.write(w16)
case("ext_dotdot", ext_model("../outside.bin"), "1",
     r"ext_dotdot\.onnx: error: initializer 'W': external data path '\.\./outside\.bin' leaves the model's folder")
case("ext_absolute", ext_model("/etc/passwd"), "1",
     r"ext_absolute\.onnx: error: initializer 'W': external data path '/etc/passwd' is absolute")
d = case("ext_symlink", ext_model("link.bin"), "1",
         r"ext_symlink\.onnx: error: initializer 'W': external data path 'link\.bin' resolves to .*outside the model's folder")
if not os.path.lexists(os.path.join(d, "link.bin")):
    os.symlink(os.path.join("..", "outside.bin"), os.path.join(d, "link.bin"))
case("ext_missing", ext_model("missing.bin"), "1",
     r"ext_missing\.onnx: error: initializer 'W': external data file '.*missing\.bin' cannot be opened: No such file")
case("ext_too_long", ext_model("w.bin", "64"), "1",
     r"ext_too_long\.onnx: error: initializer 'W': external data offset 0 \+ length 64 is beyond the end",
     files={"w.bin": w16})

with open(os.path.join(OUT, "cases.txt"), "w") as f:
    f.write("\n".join(CASES) + "\n")
