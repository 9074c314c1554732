#!/usr/bin/python3
"""make_models.py - small ONNX models for operator behaviour the ONNX 1.12 node
test data does not cover, checked against ONNX Runtime by `onnx2c verify`.

    /usr/bin/python3 tests/op_models/make_models.py --list
    /usr/bin/python3 tests/op_models/make_models.py CASE OUT.onnx

Each case is a graph of float inputs and outputs (so `verify --random` can feed
it standard-normal data) around the operator under test: Gelu (opset 20 does
not exist in that data), ReduceLogSumExp on float (the data has only double),
comparisons and boolean ops running on float tensors at run time (the data's
tests all output bool, which onnx2c refuses as a graph output), Where with a
run-time mask, Expand of a constant to a run-time batch, LayerNormalization
channels-last and the decomposed form older opsets export, Pow as exporters
use it, Resize and Einsum in the forms CNNs and attention use, Mod, Range and
ScatterND as Swin's index arithmetic and masks use them.  Where a case
takes a symbolic batch N, tests/op_models.cmake runs it with --batch 2.
tests/op_models.cmake registers one test per case (label `conformance`).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def const(name, arr):
    arr = np.asarray(arr)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name))


def model(nodes, inputs, outputs, opset, inits=()):
    g = helper.make_graph(nodes, "op_model",
                          [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                          [helper.make_tensor_value_info(n, F, s) for n, s in outputs],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="op_models")
    m.ir_version = 8 if opset < 19 else 9
    return m


N = helper.make_node
rng = np.random.default_rng(5)


@case
def gelu_erf():
    return model([N("Gelu", ["x"], ["y"])], [("x", ["N", 3, 8, 8])], [("y", ["N", 3, 8, 8])], 20)


@case
def gelu_tanh():
    return model([N("Gelu", ["x"], ["y"], approximate="tanh")], [("x", ["N", 16])], [("y", ["N", 16])], 20)


@case
def gelu_decomposed():
    # torch.nn.GELU() exported at opset 13: x * 0.5 * (1 + erf(x / sqrt(2)))
    return model([const("s2", np.float32(1.4142135)), const("one", np.float32(1)), const("half", np.float32(0.5)),
                  N("Div", ["x", "s2"], ["d"]), N("Erf", ["d"], ["e"]), N("Add", ["e", "one"], ["a"]),
                  N("Mul", ["x", "a"], ["m"]), N("Mul", ["m", "half"], ["y"])],
                 [("x", ["N", 4, 6])], [("y", ["N", 4, 6])], 13)


def gelu_erf_nodes(x, y, p, div=True, half="end", s2=np.sqrt(2)):
    """x (1 + erf(x / sqrt2)) / 2 in five nodes (names prefixed p): Div or Mul by 1/sqrt2; the 0.5
    on the product (end), on x (x) or on 1 + erf (a); operands in both orders"""
    nodes = [const(p + "s2", np.float32(s2 if div else 1 / s2)), const(p + "one", np.float32(1)),
             const(p + "half", np.float32(0.5)),
             N("Div", [x, p + "s2"], [p + "d"]) if div else N("Mul", [p + "s2", x], [p + "d"]),
             N("Erf", [p + "d"], [p + "e"]), N("Add", [p + "one", p + "e"], [p + "a"])]
    if half == "end":
        return nodes + [N("Mul", [x, p + "a"], [p + "m"]), N("Mul", [p + "m", p + "half"], [y])]
    if half == "x":
        return nodes + [N("Mul", [p + "half", x], [p + "h"]), N("Mul", [p + "a", p + "h"], [y])]
    return nodes + [N("Mul", [p + "a", p + "half"], [p + "ah"]), N("Mul", [x, p + "ah"], [y])]


def gelu_tanh_nodes(x, y, p, cube="pow"):
    """x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, x^3 as Pow 3 (an int64 exponent) or x * (x * x)"""
    nodes = [const(p + "c", np.float32(0.044715)), const(p + "k", np.float32(np.sqrt(2 / np.pi))),
             const(p + "one", np.float32(1)), const(p + "half", np.float32(0.5))]
    if cube == "pow":
        nodes += [const(p + "three", np.int64(3)), N("Pow", [x, p + "three"], [p + "x3"])]
    else:
        nodes += [N("Mul", [x, x], [p + "x2"]), N("Mul", [x, p + "x2"], [p + "x3"])]
    return nodes + [N("Mul", [p + "c", p + "x3"], [p + "cx3"]), N("Add", [p + "cx3", x], [p + "i"]),
                    N("Mul", [p + "i", p + "k"], [p + "u"]), N("Tanh", [p + "u"], [p + "t"]),
                    N("Add", [p + "t", p + "one"], [p + "a"]), N("Mul", [p + "a", p + "half"], [p + "ah"]),
                    N("Mul", [x, p + "ah"], [y])]


def conv_node(x, y, w, b=None, pad=0):
    return N("Conv", [x, w] + ([b] if b else []), [y], pads=[pad] * 4)


@case
def conv3x3_paths():
    # 3x3 stride-1 convs at 16x16 with 16 and with 32 input channels: the first runs direct (the Winograd
    # transforms cost more than they save at 16 channels), the second F(2x2) (report.conv3x3_paths)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    nodes = [conv_node("x", "a", "w1", "b1", pad=1), conv_node("a", "y", "w2", "b2", pad=1)]
    return model(nodes, [("x", ["N", 16, 16, 16])], [("y", ["N", 32, 16, 16])], 13,
                 inits=[("w1", r(32, 16, 3, 3)), ("b1", r(32)), ("w2", r(32, 32, 3, 3)), ("b2", r(32))])


@case
def gelu_fusion():
    # opt_fuse_gelu: the erf and tanh forms in the epilogue of a Conv, a MatMul and an Add, as a Gelu node
    # where x has no producer to take it or has another reader; and near misses that must stay as they are:
    # Div by 1.5, an Erf output that is also a graph output (report.gelu_fusion counts the kernels)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    nodes = [conv_node("x", "c1", "w3a", "b1", pad=1)] + gelu_erf_nodes("c1", "y1", "g1")
    nodes += [N("MatMul", ["z", "wm"], ["mm"])] + gelu_erf_nodes("mm", "y2", "g2", div=False, half="x")
    nodes += [conv_node("x", "c3", "w1a")] + gelu_tanh_nodes("c3", "y3", "g3")
    nodes += [N("Add", ["z", "bz"], ["az"])] + gelu_tanh_nodes("az", "y4", "g4", cube="mul")
    nodes += [conv_node("x", "c5", "w1b")] + gelu_erf_nodes("c5", "y5", "g5", s2=1.5)
    nodes += [conv_node("x", "c6", "w1c")] + gelu_erf_nodes("c6", "y6", "g6", half="a")
    nodes += gelu_erf_nodes("z", "y7", "g7", half="a") + gelu_tanh_nodes("z", "y8", "g8")
    nodes += [conv_node("x", "c9", "w3b", pad=1)] + gelu_erf_nodes("c9", "y9", "g9")
    xs, zs = ["N", 4, 5, 5], ["N", 6, 8]
    outs = [("y1", xs), ("y2", zs), ("y3", xs), ("y4", zs), ("y5", xs), ("y6", xs), ("g6e", xs), ("y7", zs),
            ("y8", zs), ("y9", xs), ("c9", xs)]
    return model(nodes, [("x", xs), ("z", zs)], outs, 13,
                 inits=[("w3a", r(4, 4, 3, 3)), ("b1", r(4)), ("wm", r(8, 8)), ("w1a", r(4, 4, 1, 1)),
                        ("bz", r(8)), ("w1b", r(4, 4, 1, 1)), ("w1c", r(4, 4, 1, 1)), ("w3b", r(4, 4, 3, 3))])


@case
def gelu_op_fused():
    # opset 20's Gelu after a Conv and a MatMul: opt_fuse_act puts it in their epilogue
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    return model([N("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), N("Gelu", ["c"], ["y"]),
                  N("MatMul", ["z", "wm"], ["m"]), N("Gelu", ["m"], ["y2"], approximate="tanh")],
                 [("x", ["N", 3, 6, 6]), ("z", ["N", 5, 8])], [("y", ["N", 4, 6, 6]), ("y2", ["N", 5, 8])], 20,
                 inits=[("w", r(4, 3, 3, 3)), ("b", r(4)), ("wm", r(8, 8))])


@case
def reduce_logsumexp():
    # x * 40 reaches |x| > 88, where exp overflows float without the max shift
    return model([const("k", np.float32(40)), N("Mul", ["x", "k"], ["xs"]),
                  N("ReduceLogSumExp", ["xs"], ["y0"], axes=[1]),
                  N("ReduceLogSumExp", ["x"], ["y1"], axes=[2, 3], keepdims=0),
                  N("ReduceLogSumExp", ["x"], ["y2"], axes=[1, 3])],
                 [("x", ["N", 5, 4, 3])], [("y0", ["N", 1, 4, 3]), ("y1", ["N", 5]), ("y2", ["N", 1, 4, 1])], 13)


@case
def reduce_family():
    nodes = [N("Abs", ["x"], ["ax"]), const("one", np.float32(1)), N("Add", ["ax", "one"], ["pos"]),
             N("ReduceMax", ["x"], ["max"], axes=[1]),
             N("ReduceMin", ["x"], ["min"], axes=[2, 3], keepdims=0),
             N("ReduceProd", ["pos"], ["prod"], axes=[3]),
             N("ReduceL1", ["x"], ["l1"], axes=[1, 2]),
             N("ReduceL2", ["x"], ["l2"], axes=[2]),
             N("ReduceSumSquare", ["x"], ["ss"], axes=[1, 3]),
             N("ReduceLogSum", ["pos"], ["ls"], axes=[1]),
             N("ReduceSum", ["x", "ax1"], ["sum"]),
             N("ReduceMean", ["x"], ["mean"], axes=[-1, -2])]
    outs = [("max", ["N", 1, 4, 5]), ("min", ["N", 3]), ("prod", ["N", 3, 4, 1]), ("l1", ["N", 1, 1, 5]),
            ("l2", ["N", 3, 1, 5]), ("ss", ["N", 1, 4, 1]), ("ls", ["N", 1, 4, 5]), ("sum", ["N", 1, 4, 5]),
            ("mean", ["N", 3, 1, 1])]
    return model(nodes, [("x", ["N", 3, 4, 5])], outs, 13, inits=[("ax1", np.array([1], np.int64))])


@case
def reduce_opset18():
    # from opset 18 every Reduce takes axes as an input
    return model([N("ReduceMax", ["x", "a"], ["y0"], keepdims=0), N("ReduceL2", ["x", "a"], ["y1"])],
                 [("x", ["N", 6, 7])], [("y0", ["N", 7]), ("y1", ["N", 1, 7])], 18,
                 inits=[("a", np.array([1], np.int64))])


@case
def compare_where():
    z = np.float32(0)
    nodes = [const("zero", z), const("half", np.float32(0.5)), const("lim", np.float32(-0.25)),
             N("Less", ["x", "y"], ["lt"]), N("Where", ["lt", "x", "y"], ["mn"]),
             N("Greater", ["x", "zero"], ["gt"]), N("Not", ["gt"], ["ngt"]),
             N("GreaterOrEqual", ["y", "half"], ["ge"]), N("LessOrEqual", ["x", "lim"], ["le"]),
             N("And", ["ngt", "ge"], ["a"]), N("Or", ["a", "le"], ["o"]), N("Xor", ["o", "gt"], ["xo"]),
             N("Where", ["xo", "x", "zero"], ["w1"]),
             N("Relu", ["x"], ["rx"]), N("Equal", ["rx", "x"], ["eq"]), N("Neg", ["x"], ["nx"]),
             N("Where", ["eq", "x", "nx"], ["absx"]),
             N("Where", ["le", "lim", "y"], ["w2"])]
    s = ["N", 3, 8]
    return model(nodes, [("x", s), ("y", ["N", 1, 8])], [("mn", s), ("w1", s), ("absx", s), ("w2", s)], 16)


@case
def where_const_mask():
    # a causal-style constant mask, broadcast over batch and channels
    mask = np.tril(np.ones((6, 6), bool))[None, None]
    return model([const("m", mask), const("neg", np.float32(-1e4)), N("Where", ["m", "x", "neg"], ["y"]),
                  N("Softmax", ["y"], ["p"], axis=-1)],
                 [("x", ["N", 2, 6, 6])], [("p", ["N", 2, 6, 6])], 13)


@case
def expand_batch():
    # ViT's class token: Expand(token, [N, 1, C]) then Concat with the patches
    tok = rng.standard_normal((1, 1, 8)).astype(np.float32)
    nodes = [N("Shape", ["x"], ["sh"]), const("s0", np.array([0], np.int64)), const("s1", np.array([1], np.int64)),
             N("Slice", ["sh", "s0", "s1"], ["n"]), const("rest", np.array([1, 8], np.int64)),
             N("Concat", ["n", "rest"], ["shape"], axis=0), N("Expand", ["tok", "shape"], ["t"]),
             N("Concat", ["t", "x"], ["cat"], axis=1),
             const("s4", np.array([3, 1, 8], np.int64)), N("Expand", ["b", "s4"], ["bb"]),
             N("Unsqueeze", ["x", "ax"], ["xu"]), N("Add", ["xu", "bb"], ["y2"])]
    return model(nodes, [("x", ["N", 4, 8])], [("cat", ["N", 5, 8]), ("y2", ["N", 3, 4, 8])], 13,
                 inits=[("tok", tok), ("b", rng.standard_normal((3, 1, 1)).astype(np.float32)),
                        ("ax", np.array([1], np.int64))])


@case
def layernorm_channels_last():
    # ConvNeXt's LayerNorm2d: permute to NHWC, normalise over C, permute back
    c = 16
    w = rng.standard_normal(c).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    return model([N("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
                  N("LayerNormalization", ["t", "w", "b"], ["n"], axis=-1, epsilon=1e-6),
                  N("Transpose", ["n"], ["y"], perm=[0, 3, 1, 2]),
                  N("LayerNormalization", ["x", "w2"], ["y2"], axis=2)],
                 [("x", ["N", c, 5, 7])], [("y", ["N", c, 5, 7]), ("y2", ["N", c, 5, 7])], 17,
                 inits=[("w", w), ("b", b), ("w2", rng.standard_normal((1, 7)).astype(np.float32))])


@case
def layernorm_decomposed():
    # torch.nn.LayerNorm exported before opset 17
    c = 12
    nodes = [N("ReduceMean", ["x"], ["m"], axes=[-1]), N("Sub", ["x", "m"], ["d"]),
             const("two", np.float32(2)), N("Pow", ["d", "two"], ["sq"]),
             N("ReduceMean", ["sq"], ["var"], axes=[-1]), const("eps", np.float32(1e-5)),
             N("Add", ["var", "eps"], ["ve"]), N("Sqrt", ["ve"], ["sd"]), N("Div", ["d", "sd"], ["nrm"]),
             N("Mul", ["nrm", "w"], ["sc"]), N("Add", ["sc", "b"], ["y"])]
    return model(nodes, [("x", ["N", 9, c])], [("y", ["N", 9, c])], 13,
                 inits=[("w", rng.standard_normal(c).astype(np.float32)),
                        ("b", rng.standard_normal(c).astype(np.float32))])


def ln_nodes(x, y, p, axis=-1, square="pow", w=None, b=None, eps=1e-6, eps_first=False):
    """LayerNorm as torch exports it before opset 17 (names prefixed p); square: Pow 2 or d * d"""
    nodes = [N("ReduceMean", [x], [p + "m"], axes=[axis]), N("Sub", [x, p + "m"], [p + "d"]),
             const(p + "eps", np.float32(eps))]
    if square == "pow":
        nodes += [const(p + "two", np.float32(2)), N("Pow", [p + "d", p + "two"], [p + "sq"])]
    else:
        nodes += [N("Mul", [p + "d", p + "d"], [p + "sq"])]
    nodes += [N("ReduceMean", [p + "sq"], [p + "v"], axes=[axis]),
              N("Add", [p + "eps", p + "v"] if eps_first else [p + "v", p + "eps"], [p + "ve"]),
              N("Sqrt", [p + "ve"], [p + "sd"])]
    out = p + "n" if w else y
    nodes += [N("Div", [p + "d", p + "sd"], [out])]
    if w:
        nodes += [N("Mul", [w, out], [p + "s" if b else y])]
    if b:
        nodes += [N("Add", [p + "s", b], [y])]
    return nodes


@case
def layernorm_fusion():
    # opt_fuse_layernorm: LayerNorm over the last axis with d * d, no affine, a [1,1,C] weight and eps first;
    # LayerNorm2d (Transpose, LayerNorm, Transpose back) in NCHW per pixel; near misses that stay as they are:
    # a ReduceMean over axis 1, a d that is also a graph output, a LayerNorm whose output is read beside the
    # Transpose back (report.layernorm_fusion counts the kernels)
    c = 12
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    nodes = ln_nodes("x", "y1", "a", square="mul", eps=1e-5)
    nodes += ln_nodes("x", "y2", "b", w="w13", eps_first=True)
    nodes += ln_nodes("x", "y3", "c", axis=1, w="w9", b="b9")
    nodes += ln_nodes("x", "y4", "e", w="w", b="b")
    nodes += [N("Transpose", ["img"], ["t1"], perm=[0, 2, 3, 1])] + ln_nodes("t1", "l1", "f", w="w", b="b") + \
        [N("Transpose", ["l1"], ["y5"], perm=[0, 3, 1, 2])]
    nodes += [N("Transpose", ["img"], ["t2"], perm=[0, 2, 3, 1])] + ln_nodes("t2", "l2", "g", w="w", b="b") + \
        [N("Transpose", ["l2"], ["y6"], perm=[0, 3, 1, 2]), N("Relu", ["l2"], ["y7"])]
    xs, ims = ["N", 9, c], ["N", c, 5, 7]
    return model(nodes, [("x", xs), ("img", ims)],
                 [("y1", xs), ("y2", xs), ("y3", xs), ("y4", xs), ("ed", xs), ("y5", ims), ("y6", ims),
                  ("y7", ["N", 5, 7, c])], 13,
                 inits=[("w13", r(1, 1, c)), ("w9", r(9, 1)), ("b9", r(9, 1)), ("w", r(c)), ("b", r(c))])


@case
def convnext_block():
    # one ConvNeXt CNBlock as torchvision exports it at opset 13 (depthwise 7x7, LayerNorm channels-last,
    # Linear 4C, GELU, Linear C, layer scale, residual), then a downsampling LayerNorm2d and 2x2 conv
    # (report.convnext_block counts the kernels the passes leave)
    c = 16
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    nodes = [N("Conv", ["x", "wdw", "bdw"], ["dw"], group=c, pads=[3, 3, 3, 3]),
             N("Transpose", ["dw"], ["t"], perm=[0, 2, 3, 1])] + ln_nodes("t", "ln", "n", w="lw", b="lb")
    nodes += [N("MatMul", ["ln", "w1"], ["m1"]), N("Add", ["b1", "m1"], ["a1"])] + gelu_erf_nodes("a1", "g", "ge")
    nodes += [N("MatMul", ["g", "w2"], ["m2"]), N("Add", ["b2", "m2"], ["a2"]),
              N("Transpose", ["a2"], ["tb"], perm=[0, 3, 1, 2]), N("Mul", ["tb", "gamma"], ["ls"]),
              N("Add", ["ls", "x"], ["blk"]), N("Transpose", ["blk"], ["t2"], perm=[0, 2, 3, 1])]
    nodes += ln_nodes("t2", "ln2", "d", w="dw_", b="db") + [N("Transpose", ["ln2"], ["t3"], perm=[0, 3, 1, 2]),
                                                           N("Conv", ["t3", "wd", "bd"], ["y"], strides=[2, 2])]
    return model(nodes, [("x", ["N", c, 8, 8])], [("y", ["N", 2 * c, 4, 4])], 13,
                 inits=[("wdw", r(c, 1, 7, 7)), ("bdw", r(c)), ("lw", r(c)), ("lb", r(c)), ("w1", r(c, 4 * c)),
                        ("b1", r(4 * c)), ("w2", r(4 * c, c)), ("b2", r(c)), ("gamma", r(c, 1, 1)),
                        ("dw_", r(c)), ("db", r(c)), ("wd", r(2 * c, c, 2, 2)), ("bd", r(2 * c))])


@case
def pow_forms():
    # LocalResponseNorm's (k + a * sum x^2) ^ -beta, a cube, a square root, per-channel exponents
    e = np.array([[[0.5]], [[1.5]], [[2.0]]], np.float32)
    nodes = [N("Mul", ["x", "x"], ["x2"]), const("k", np.float32(2)), N("Add", ["x2", "k"], ["base"]),
             const("beta", np.float32(-0.75)), N("Pow", ["base", "beta"], ["p0"]),
             const("three", np.int64(3)), N("Pow", ["x", "three"], ["p1"]),
             const("half", np.float32(0.5)), N("Pow", ["base", "half"], ["p2"]),
             N("Pow", ["base", "e"], ["p3"]), N("Pow", ["base", "x"], ["p4"])]
    s = ["N", 3, 4, 4]
    return model(nodes, [("x", s)], [("p0", s), ("p1", s), ("p2", s), ("p3", s), ("p4", s)], 15,
                 inits=[("e", e)])


def resize(name, inputs, **attrs):
    return N("Resize", ["x"] + inputs, [name], **attrs)


@case
def resize_cnn():
    # the forms PyTorch exports: nearest x2 (asymmetric, floor), bilinear with and without align_corners
    # (sizes of the axes named by opset 18's axes), a fractional bilinear downsample (half_pixel, scales),
    # nearest with round_prefer_ceil
    e = np.zeros(0, np.float32)
    nodes = [resize("y0", ["", "s2"], mode="nearest", coordinate_transformation_mode="asymmetric",
                    nearest_mode="floor"),
             resize("y1", ["", "", "sz"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel", axes=[2, 3]),
             resize("y2", ["", "", "sz"], mode="linear", coordinate_transformation_mode="align_corners", axes=[-2, -1]),
             resize("y3", ["", "s06"], mode="linear"),
             resize("y4", ["", "s15"], mode="nearest", nearest_mode="round_prefer_ceil"),
             resize("y5", ["e", "s15"], mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn",
                    nearest_mode="ceil")]
    return model(nodes, [("x", ["N", 3, 5, 6])],
                 [("y0", ["N", 3, 10, 12]), ("y1", ["N", 3, 11, 9]), ("y2", ["N", 3, 11, 9]), ("y3", ["N", 3, 3, 3]),
                  ("y4", ["N", 3, 7, 9]), ("y5", ["N", 3, 7, 9])], 18,
                 inits=[("s2", np.array([1, 1, 2, 2], np.float32)), ("sz", np.array([11, 9], np.int64)),
                        ("s06", np.array([1, 1, 0.6, 0.6], np.float32)),
                        ("s15", np.array([1, 1, 1.5, 1.5], np.float32)), ("e", e)])


@case
def upsample_v9():
    return model([N("Upsample", ["x", "s"], ["y0"], mode="nearest"), N("Upsample", ["x", "s"], ["y1"], mode="linear")],
                 [("x", ["N", 2, 3, 4])], [("y0", ["N", 2, 6, 12]), ("y1", ["N", 2, 6, 12])], 9,
                 inits=[("s", np.array([1, 1, 2, 3], np.float32))])


@case
def einsum_matmul():
    # attention's scores and weighted sum, a projection by a constant, and a product with transposed output
    h, t, d = 2, 5, 4
    nodes = [N("Einsum", ["q", "k"], ["s"], equation="bhid,bhjd->bhij"),
             N("Softmax", ["s"], ["p"], axis=-1),
             N("Einsum", ["p", "k"], ["o"], equation="bhij,bhjd->bhid"),
             N("Einsum", ["o", "w"], ["proj"], equation="bhid,de->bhie"),
             N("Einsum", ["o", "q"], ["tr"], equation="bhid , bhie -> bhed")]
    return model(nodes, [("q", ["N", h, t, d]), ("k", ["N", h, t, d])],
                 [("o", ["N", h, t, d]), ("proj", ["N", h, t, 3]), ("tr", ["N", h, d, d])], 12,
                 inits=[("w", rng.standard_normal((d, 3)).astype(np.float32))])


@case
def einsum_implicit():
    # implicit output: the letters that occur once, alphabetically (bik)
    return model([N("Einsum", ["x", "w"], ["y"], equation="bij,jk")],
                 [("x", ["N", 4, 6])], [("y", ["N", 4, 3])], 12, inits=[("w", rng.standard_normal((6, 3)).astype(np.float32))])


@case
def matmul_channels_last():
    # ConvNeXt's Linear on NHWC: [N,H,W,C] x [C,4C]; the H*W rows are one product (B packed once, not per row
    # of H); a [1,C,C'] B broadcasts the same way, and a B with its own batch axis [H,C,C'] must not collapse
    c, h, w = 16, 5, 7
    nodes = [N("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]), N("MatMul", ["t", "w1"], ["m1"]),
             N("Add", ["m1", "b1"], ["a1"]), N("MatMul", ["a1", "w2"], ["m2"]),
             N("Transpose", ["m2"], ["y"], perm=[0, 3, 1, 2]), N("MatMul", ["t", "w3"], ["y3"])]
    return model(nodes, [("x", ["N", c, h, w])], [("y", ["N", 8, h, w]), ("y3", ["N", h, w, 3])], 13,
                 inits=[("w1", rng.standard_normal((c, 4 * c)).astype(np.float32)),
                        ("b1", rng.standard_normal(4 * c).astype(np.float32)),
                        ("w2", rng.standard_normal((1, 4 * c, 8)).astype(np.float32)),
                        ("w3", rng.standard_normal((h, c, 3)).astype(np.float32))])


@case
def mixed_batch_inputs():
    # a run-time input without the batch axis is read whole by every sample (it was offset by the sample index)
    nodes = [N("Sub", ["x", "y"], ["z"]), N("Mul", ["y", "y"], ["w"])]
    return model(nodes, [("x", ["N", 3, 8]), ("y", [3, 8])], [("z", ["N", 3, 8]), ("w", [3, 8])], 13)


@case
def mod_scatternd_runtime():
    # Mod (fmod=1) and ScatterND on run-time float data: a batched Mod with a broadcast divisor, and
    # ScatterND into an unbatched input with constant indices (k=2, a negative index; k=1 with add over
    # a duplicate row)
    nodes = [const("three", np.float32(3)), N("Mul", ["x", "three"], ["x3"]), N("Mod", ["x3", "div"], ["m"], fmod=1),
             N("ScatterND", ["d", "i2", "u"], ["s"]),
             N("ScatterND", ["d", "i1", "u2"], ["sa"], reduction="add")]
    return model(nodes, [("x", ["N", 4, 5]), ("d", [4, 5]), ("u", [3]), ("u2", [3, 5])],
                 [("m", ["N", 4, 5]), ("s", [4, 5]), ("sa", [4, 5])], 16,
                 inits=[("div", np.array([1.25, -0.75, 2, 0.5, -3], np.float32)),
                        ("i2", np.array([[1, 2], [-1, 0], [0, 4]], np.int64)),
                        ("i1", np.array([[0], [2], [0]], np.int64))])


@case
def range_mod_mask():
    # constant index arithmetic folded at compile time, as Swin's mask: Range (int64, and float whose
    # steps accumulate in float as ONNX Runtime computes them), integer Mod with the divisor's sign,
    # ScatterND into a constant, all added to run-time data
    nodes = [const("s", np.int64(-7)), const("l", np.int64(13)), const("d", np.int64(1)),
             N("Range", ["s", "l", "d"], ["r"]), const("k", np.int64(-4)), N("Mod", ["r", "k"], ["rm"]),
             N("Cast", ["rm"], ["rf"], to=F),
             const("fs", np.float32(0.3)), const("fl", np.float32(7)), const("fd", np.float32(0.1)),
             N("Range", ["fs", "fl", "fd"], ["fr"]),
             const("z", np.zeros((4, 5), np.float32)), const("si", np.array([[1, 1], [3, 4]], np.int64)),
             const("su", np.array([100, -100], np.float32)), N("ScatterND", ["z", "si", "su"], ["mask"]),
             N("Add", ["x", "rf"], ["y0"]), N("Add", ["y", "fr"], ["y1"]), N("Add", ["w", "mask"], ["y2"])]
    return model(nodes, [("x", ["N", 20]), ("y", ["N", 67]), ("w", ["N", 4, 5])],
                 [("y0", ["N", 20]), ("y1", ["N", 67]), ("y2", ["N", 4, 5])], 16)


def qdq(x, name, scale, zp, dtype=np.uint8):
    """Q then DQ of tensor x (per tensor): the two nodes a QDQ model puts on an activation."""
    return [N("QuantizeLinear", [x, name + "_s", name + "_z"], [name + "_q"]),
            N("DequantizeLinear", [name + "_q", name + "_s", name + "_z"], [name])], \
        [(name + "_s", np.float32(scale)), (name + "_z", np.array(zp, dtype))]


@case
def qdq_conv():
    # what ONNX Runtime's quantizer writes for Conv -> Relu -> residual Add -> pool -> Gemm: u8 activations per
    # tensor, s8 weights per output channel, int32 bias with scale x_scale * w_scale; ORT runs it in integer
    # arithmetic (QLinearConv...), onnx2c here in float between the DQs and Qs
    c, m = 3, 8
    w = rng.integers(-127, 128, (m, c, 3, 3)).astype(np.int8)
    ws = (rng.random(m) * 0.01 + 0.002).astype(np.float32)
    xs = 0.02
    b = rng.integers(-2000, 2000, m).astype(np.int32)
    nodes, inits = [], []
    for part in (qdq("x", "xq", xs, 128), qdq("r", "rq", 0.05, 0), qdq("a", "aq", 0.06, 10), qdq("p", "pq", 0.06, 10)):
        nodes += part[0]
        inits += part[1]
    nodes += [N("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=0),
              N("DequantizeLinear", ["b", "bs"], ["bf"], axis=0),
              N("Conv", ["xq", "wf", "bf"], ["y"], pads=[1, 1, 1, 1]), N("Relu", ["y"], ["r"]),
              N("Add", ["rq", "xq2"], ["a"]), N("GlobalAveragePool", ["aq"], ["p"]),
              N("Flatten", ["pq"], ["f"]), N("Gemm", ["f", "gw", "gb"], ["logits"], transB=1)]
    # the residual: x widened to m channels by a quantized 1x1 conv with per-tensor weights.  (A float-weight
    # Conv between a DQ and a Q would not do: ONNX Runtime >= 1.20 quantizes such weights itself
    # (WeightBiasQuantization), so its answer is no longer the model's float one.)
    nodes += [N("DequantizeLinear", ["w1", "w1s"], ["w1f"]), N("Conv", ["xq", "w1f"], ["x2"]),
              *qdq("x2", "xq2", 0.05, 0)[0]]
    inits += qdq("x2", "xq2", 0.05, 0)[1]
    inits += [("w", w), ("ws", ws), ("wz", np.zeros(m, np.int8)), ("b", b), ("bs", (xs * ws).astype(np.float32)),
              ("w1", rng.integers(-127, 128, (m, c, 1, 1)).astype(np.int8)), ("w1s", np.float32(0.003)),
              ("gw", rng.standard_normal((5, m)).astype(np.float32)), ("gb", rng.standard_normal(5).astype(np.float32))]
    return model(nodes, [("x", ["N", c, 9, 7])], [("logits", ["N", 5]), ("aq", ["N", m, 9, 7])], 13, inits=inits)


@case
def qdq_per_axis():
    # Q/DQ at run time per tensor (u8) and per channel (s8, axis 1), on values scaled so that many saturate;
    # a run of exact half steps checks round-half-to-even (x / scale lands on k + 0.5)
    c = 6
    s = (np.arange(1, c + 1) * 0.05).astype(np.float32)
    nodes = [N("Mul", ["x", "k"], ["xk"]),
             N("QuantizeLinear", ["xk", "s", "z"], ["q"], axis=1), N("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1),
             N("QuantizeLinear", ["xk", "s1", "z1"], ["q1"]), N("DequantizeLinear", ["q1", "s1", "z1"], ["y1"]),
             N("QuantizeLinear", ["h", "s1", "z1"], ["qh"]), N("DequantizeLinear", ["qh", "s1", "z1"], ["yh"])]
    return model(nodes, [("x", ["N", c, 4, 5])], [("y", ["N", c, 4, 5]), ("y1", ["N", c, 4, 5]), ("yh", [16])], 13,
                 inits=[("k", np.float32(20)), ("s", s), ("z", np.array([0, 5, -5, 100, -128, 127], np.int8)),
                        ("s1", np.float32(0.25)), ("z1", np.uint8(128)),
                        ("h", ((np.arange(16) - 8) * 0.25 + 0.125).astype(np.float32))])


@case
def qop_cnn():
    # the QOperator format: QLinearConv (per-channel and per-tensor weights, int32 bias), the com.microsoft
    # QLinearAdd, QLinearSigmoid, QLinearLeakyRelu, QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool,
    # and QLinearMatMul with per-column weights; onnx2c lowers each to DequantizeLinear -> float op -> Quantize
    c, m = 3, 8
    f32, u8, s8 = np.float32, np.uint8, np.int8
    # scales as a calibrator gives them, not round numbers: with 0.05 and 0.004 many products land exactly on
    # half steps, where float and integer arithmetic break ties differently
    inits = [("xs", f32(0.0213)), ("xz", u8(128)),
             ("w", rng.integers(-127, 128, (m, c, 3, 3)).astype(s8)), ("ws", (rng.random(m) * 0.01 + 0.002).astype(f32)),
             ("wz", np.zeros(m, s8)), ("b", rng.integers(-2000, 2000, m).astype(np.int32)),
             ("s1", f32(0.0517)), ("z0", u8(0)), ("w1", rng.integers(-127, 128, (m, m, 1, 1)).astype(s8)),
             ("w1s", f32(0.00413)), ("w1z", s8(0)), ("z10", u8(10)), ("s2", f32(0.0611)), ("z5", u8(5)),
             ("ss", f32(1 / 256)), ("wm", rng.integers(-127, 128, (2 * m, 5)).astype(s8)),
             ("wms", (rng.random(5) * 0.01 + 0.005).astype(f32)), ("wmz", np.zeros(5, s8)), ("sm", f32(0.0973)),
             ("z128", u8(128))]
    ms = "com.microsoft"
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             N("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "s1", "z0", "b"], ["c1"], pads=[1, 1, 1, 1]),
             N("QLinearConv", ["c1", "s1", "z0", "w1", "w1s", "w1z", "s1", "z10"], ["c2"]),
             N("QLinearAdd", ["c1", "s1", "z0", "c2", "s1", "z10", "s2", "z5"], ["a"], domain=ms),
             N("QLinearSigmoid", ["a", "s2", "z5", "ss", "z0"], ["sg"], domain=ms),
             N("QLinearLeakyRelu", ["a", "s2", "z5", "s2", "z5"], ["lr"], domain=ms, alpha=0.1),
             N("QLinearConcat", ["s2", "z5", "a", "s2", "z5", "lr", "s2", "z5"], ["cat"], domain=ms, axis=1),
             N("QLinearAveragePool", ["cat", "s2", "z5", "s2", "z5"], ["ap"], domain=ms, kernel_shape=[2, 2],
               strides=[2, 2]),
             N("QLinearGlobalAveragePool", ["ap", "s2", "z5", "s2", "z5"], ["gp"], domain=ms, channels_last=0),
             N("Flatten", ["gp"], ["fl"]),
             N("QLinearMatMul", ["fl", "s2", "z5", "wm", "wms", "wmz", "sm", "z128"], ["mm"]),
             N("DequantizeLinear", ["mm", "sm", "z128"], ["logits"]),
             N("DequantizeLinear", ["sg", "ss", "z0"], ["sig"])]
    g = helper.make_graph(nodes, "qop_cnn", [helper.make_tensor_value_info("x", F, ["N", c, 8, 8])],
                          [helper.make_tensor_value_info("logits", F, ["N", 5]),
                           helper.make_tensor_value_info("sig", F, ["N", m, 8, 8])],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(ms, 1)],
                            producer_name="op_models")
    mdl.ir_version = 8
    return mdl


@case
def qop_conv_exact():
    # QLinearConv at a size where float and integer sums part (K = 3*3*64 taps, calibrator-like scales):
    # onnx2c runs it in integer arithmetic (opt_fuse_qconv, ops/qconv.c): u8 in and out (pads 1), then u8 again
    # with a stride of 2 and uneven pads, and s8 in and out (ORT's two QLinearConv type sets);
    # tests/op_models.cmake checks it against ONNX Runtime with --tol-steps 0 (every element equal)
    c, m, m2 = 64, 48, 40
    f32, u8, s8 = np.float32, np.uint8, np.int8
    inits = [("xs", f32(0.0213)), ("xz", u8(121)), ("xz8", s8(-7)),
             ("w", rng.integers(-127, 128, (m, c, 3, 3)).astype(s8)), ("ws", (rng.random(m) * 0.004 + 0.001).astype(f32)),
             ("wz", np.zeros(m, s8)), ("b", rng.integers(-20000, 20000, m).astype(np.int32)),
             ("ys", f32(0.0917)), ("yz", u8(37)), ("yz8", s8(5)),
             ("w2", rng.integers(-127, 128, (m2, m, 3, 3)).astype(s8)), ("w2s", f32(0.00173)), ("w2z", s8(0)),
             ("zs", f32(0.131)), ("zz", u8(140))]
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             N("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], pads=[1, 1, 1, 1]),
             N("QLinearConv", ["y", "ys", "yz", "w2", "w2s", "w2z", "zs", "zz"], ["z"], pads=[1, 0, 1, 1],
               strides=[2, 2]),
             N("QuantizeLinear", ["x", "xs", "xz8"], ["xq8"]),
             N("QLinearConv", ["xq8", "xs", "xz8", "w", "ws", "wz", "ys", "yz8", "b"], ["y8"], pads=[1, 1, 1, 1]),
             N("DequantizeLinear", ["y", "ys", "yz"], ["yf"]), N("DequantizeLinear", ["z", "zs", "zz"], ["zf"]),
             N("DequantizeLinear", ["y8", "ys", "yz8"], ["y8f"])]
    g = helper.make_graph(nodes, "qop_conv_exact", [helper.make_tensor_value_info("x", F, ["N", c, 11, 9])],
                          [helper.make_tensor_value_info("yf", F, ["N", m, 11, 9]),
                           helper.make_tensor_value_info("zf", F, ["N", m2, 6, 4]),
                           helper.make_tensor_value_info("y8f", F, ["N", m, 11, 9])],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="op_models")
    mdl.ir_version = 8
    return mdl


@case
def qdq_conv_tensor_scales():
    # a QDQ conv whose weight and bias scales are per tensor (the bias still one value per channel) and s8
    # activations, fused into an int8 QLinearConv (report.qconv_*): every channel keeps its own bias
    c, m = 16, 12
    f32, s8 = np.float32, np.int8
    xs, ws = 0.0371, 0.00291
    nodes, inits = [], []
    for part in (qdq("x", "xq", xs, -3, s8), qdq("y", "yq", 0.0813, 4, s8)):
        nodes += part[0]
        inits += part[1]
    nodes += [N("DequantizeLinear", ["w", "ws"], ["wf"]), N("DequantizeLinear", ["b", "bs"], ["bf"]),
              N("Conv", ["xq", "wf", "bf"], ["y"], pads=[1, 1, 1, 1])]
    inits += [("w", rng.integers(-127, 128, (m, c, 3, 3)).astype(s8)), ("ws", f32(ws)),
              ("b", rng.integers(-3000, 3000, m).astype(np.int32)), ("bs", f32(xs * ws))]
    return model(nodes, [("x", ["N", c, 7, 6])], [("yq", ["N", m, 7, 6])], 13, inits=inits)


@case
def qconv_chain():
    # four QLinearConvs 64 -> 64, 3x3, at 56x56 (u8), a resnet stage's shape: int8 at a realistic size, every
    # element equal to ORT's (tests/op_models.cmake: --tol-steps 0), and what docs/int8.md times with bench.py
    c, hw, layers = 64, 56, 4
    f32, u8, s8 = np.float32, np.uint8, np.int8
    inits = [("xs", f32(0.0213)), ("xz", u8(121))]
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["q0"])]
    s_prev, z_prev = "xs", "xz"
    for i in range(layers):
        inits += [(f"w{i}", rng.integers(-127, 128, (c, c, 3, 3)).astype(s8)),
                  (f"ws{i}", (rng.random(c) * 0.004 + 0.001).astype(f32)), (f"wz{i}", np.zeros(c, s8)),
                  (f"b{i}", rng.integers(-20000, 20000, c).astype(np.int32)), (f"ys{i}", f32(0.05 + 0.01 * i)),
                  (f"yz{i}", u8(30 + i))]
        nodes.append(N("QLinearConv", [f"q{i}", s_prev, z_prev, f"w{i}", f"ws{i}", f"wz{i}", f"ys{i}", f"yz{i}",
                                       f"b{i}"], [f"q{i + 1}"], pads=[1, 1, 1, 1]))
        s_prev, z_prev = f"ys{i}", f"yz{i}"
    nodes.append(N("DequantizeLinear", [f"q{layers}", s_prev, z_prev], ["y"]))
    g = helper.make_graph(nodes, "qconv_chain", [helper.make_tensor_value_info("x", F, ["N", c, hw, hw])],
                          [helper.make_tensor_value_info("y", F, ["N", c, hw, hw])],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="op_models")
    mdl.ir_version = 8
    return mdl


@case
def qop_int8_region():
    # an int8 region end to end (ops/qconv.c, qadd.c, qpool.c, qconcat.c, passes/opt_int8_layout.c): a dense
    # 3x3 conv whose zero point 0 is its ReLU, a u8 MaxPool, a depthwise 3x3 conv, a 1x1 conv with the
    # QLinearAdd after it fused as its residual, a second QLinearAdd that no conv can take, a QLinearConcat
    # at one scale, a QLinearAveragePool, a QLinearGlobalAveragePool, a Flatten of the u8 tensor and a
    # QLinearMatMul with per-column weights (QLinearGemm); u8 NHWC from the first Q to the last
    # DQ, an output dequantized from inside it, and an s8 depthwise conv beside it.
    # tests/op_models.cmake checks every element equal to ONNX Runtime's integer kernels (--tol-steps 0).
    c, m = 16, 24
    f32, u8, s8, i32 = np.float32, np.uint8, np.int8, np.int32
    ms = "com.microsoft"
    inits = [("xs", f32(0.0213)), ("xz", u8(121)), ("xz8", s8(-7)),
             ("w1", rng.integers(-127, 128, (m, c, 3, 3)).astype(s8)),
             ("w1s", (rng.random(m) * 0.004 + 0.002).astype(f32)), ("w1z", np.zeros(m, s8)),
             ("s1", f32(0.0731)), ("z0", u8(0)),
             ("wd", rng.integers(-127, 128, (m, 1, 3, 3)).astype(s8)),
             ("wds", (rng.random(m) * 0.01 + 0.01).astype(f32)), ("wdz", np.zeros(m, s8)),
             ("sd", f32(0.0917)), ("zd", u8(100)),
             ("wp", rng.integers(-127, 128, (m, m, 1, 1)).astype(s8)), ("wps", f32(0.00531)), ("wpz", s8(0)),
             ("sp", f32(0.0611)), ("zp", u8(131)),
             ("sa", f32(0.0833)), ("za", u8(77)),
             ("sap", f32(0.0702)), ("zap", u8(60)), ("sg", f32(0.0411)), ("zg", u8(90)),
             ("w8", rng.integers(-127, 128, (c, 1, 3, 3)).astype(s8)), ("w8s", f32(0.0123)), ("w8z", s8(0)),
             ("s8s", f32(0.0577)), ("s8z", s8(3)),
             ("wm", rng.integers(-127, 128, (2 * m, 10)).astype(s8)), ("wms", (rng.random(10) * 0.01 + 0.01).astype(f32)),
             ("wmz", np.zeros(10, s8)), ("sm", f32(0.0391)), ("zm", u8(128))]
    inits += [("b1", rng.integers(-3000, 3000, m).astype(i32)), ("bd", rng.integers(-3000, 3000, m).astype(i32)),
              ("b8", rng.integers(-3000, 3000, c).astype(i32))]
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             N("QLinearConv", ["xq", "xs", "xz", "w1", "w1s", "w1z", "s1", "z0", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             N("MaxPool", ["c1"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
             N("QLinearConv", ["mp", "s1", "z0", "wd", "wds", "wdz", "sd", "zd", "bd"], ["d1"], pads=[1, 1, 1, 1],
               group=m),
             N("QLinearConv", ["d1", "sd", "zd", "wp", "wps", "wpz", "sp", "zp"], ["c2"]),
             N("QLinearAdd", ["c2", "sp", "zp", "mp", "s1", "z0", "sa", "za"], ["a1"], domain=ms),
             N("QLinearAdd", ["mp", "s1", "z0", "a1", "sa", "za", "sa", "za"], ["a2"], domain=ms),
             N("QLinearConcat", ["sa", "za", "a1", "sa", "za", "a2", "sa", "za"], ["cat"], domain=ms, axis=1),
             N("QLinearAveragePool", ["cat", "sa", "za", "sap", "zap"], ["ap"], domain=ms, kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], count_include_pad=0),
             N("QLinearGlobalAveragePool", ["ap", "sap", "zap", "sg", "zg"], ["gp"], domain=ms, channels_last=0),
             N("DequantizeLinear", ["gp", "sg", "zg"], ["pooled"]), N("DequantizeLinear", ["a2", "sa", "za"], ["a2f"]),
             N("Flatten", ["gp"], ["fl"]),
             N("QLinearMatMul", ["fl", "sg", "zg", "wm", "wms", "wmz", "sm", "zm"], ["mm"]),
             N("DequantizeLinear", ["mm", "sm", "zm"], ["logits"]),
             N("QuantizeLinear", ["x", "xs", "xz8"], ["xq8"]),
             N("QLinearConv", ["xq8", "xs", "xz8", "w8", "w8s", "w8z", "s8s", "s8z", "b8"], ["y8"],
               pads=[1, 1, 1, 1], strides=[2, 2], group=c),
             N("DequantizeLinear", ["y8", "s8s", "s8z"], ["y8f"])]
    g = helper.make_graph(nodes, "qop_int8_region", [helper.make_tensor_value_info("x", F, ["N", c, 12, 10])],
                          [helper.make_tensor_value_info("pooled", F, ["N", 2 * m, 1, 1]),
                           helper.make_tensor_value_info("logits", F, ["N", 10]),
                           helper.make_tensor_value_info("a2f", F, ["N", m, 6, 5]),
                           helper.make_tensor_value_info("y8f", F, ["N", c, 6, 5])],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(ms, 1)],
                            producer_name="op_models")
    mdl.ir_version = 8
    return mdl


@case
def qdq_head():
    # a classifier head in QDQ form, as onnx2c quantize and ORT's quantizer write it: DQ -> GlobalAveragePool
    # -> Q, DQ -> Flatten -> Q at one scale (a view of the u8 tensor), DQ -> Gemm (transB, s8 weights per output
    # row, int32 bias) -> Relu -> Q, and DQ -> MatMul (per-tensor weights) -> Q: every node int8 (QLinearGemm);
    # tests/op_models.cmake checks it against ONNX Runtime's QGemm with --tol-steps 0
    c, h, n = 40, 10, 7
    f32, u8, s8, i32 = np.float32, np.uint8, np.int8, np.int32
    xs, ps, fs, ws = 0.0413, 0.0217, 0.0917, (rng.random(h) * 0.004 + 0.002).astype(f32)
    nodes, inits = [], []
    for part in (qdq("x", "xq", xs, 100), qdq("p", "pq", ps, 20), qdq("f", "fq", ps, 20), qdq("r", "rq", fs, 0),
                 qdq("y", "yq", 0.0731, 131)):
        nodes += part[0]
        inits += part[1]
    nodes += [N("GlobalAveragePool", ["xq"], ["p"]), N("Flatten", ["pq"], ["f"]),
              N("DequantizeLinear", ["w", "ws", "wz"], ["wf"], axis=0), N("DequantizeLinear", ["b", "bs"], ["bf"], axis=0),
              N("Gemm", ["fq", "wf", "bf"], ["g"], transB=1), N("Relu", ["g"], ["r"]),
              N("DequantizeLinear", ["w2", "w2s"], ["w2f"]), N("MatMul", ["rq", "w2f"], ["y"])]
    inits += [("w", rng.integers(-127, 128, (h, c)).astype(s8)), ("ws", ws), ("wz", np.zeros(h, s8)),
              ("b", rng.integers(-3000, 3000, h).astype(i32)), ("bs", (ps * ws).astype(f32)),
              ("w2", rng.integers(-127, 128, (h, n)).astype(s8)), ("w2s", f32(0.00731))]
    return model(nodes, [("x", ["N", c, 5, 3])], [("yq", ["N", n])], 13, inits=inits)


@case
def qop_group_conv():
    # grouped QLinearConvs (ResNeXt, RegNet): a 3x3 conv of 4 groups with per-channel weights and a bias, a
    # strided 3x3 of 2 groups, and a 1x1 of 8 groups with its QLinearAdd fused as the residual: each runs as a
    # dense int8 conv per group (ops/qconv.c); tests/op_models.cmake checks every element against ORT
    c, m = 32, 48
    f32, u8, s8, i32 = np.float32, np.uint8, np.int8, np.int32
    ms = "com.microsoft"
    inits = [("xs", f32(0.0213)), ("xz", u8(121)),
             ("w1", rng.integers(-127, 128, (m, c // 4, 3, 3)).astype(s8)),
             ("w1s", (rng.random(m) * 0.004 + 0.004).astype(f32)), ("w1z", np.zeros(m, s8)),
             ("b1", rng.integers(-3000, 3000, m).astype(i32)), ("s1", f32(0.0731)), ("z1", u8(9)),
             ("w2", rng.integers(-127, 128, (m, m // 2, 3, 3)).astype(s8)), ("w2s", f32(0.00213)), ("w2z", s8(0)),
             ("s2", f32(0.0917)), ("z2", u8(130)),
             ("w3", rng.integers(-127, 128, (m, m // 8, 1, 1)).astype(s8)),
             ("w3s", (rng.random(m) * 0.01 + 0.01).astype(f32)), ("w3z", np.zeros(m, s8)),
             ("s3", f32(0.0611)), ("z3", u8(100)), ("sa", f32(0.0833)), ("za", u8(77))]
    nodes = [N("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             N("QLinearConv", ["xq", "xs", "xz", "w1", "w1s", "w1z", "s1", "z1", "b1"], ["c1"], pads=[1, 1, 1, 1],
               group=4),
             N("QLinearConv", ["c1", "s1", "z1", "w2", "w2s", "w2z", "s2", "z2"], ["c2"], pads=[1, 1, 1, 1],
               strides=[2, 2], group=2),
             N("QLinearConv", ["c2", "s2", "z2", "w3", "w3s", "w3z", "s3", "z3"], ["c3"], group=8),
             N("QLinearAdd", ["c3", "s3", "z3", "c2", "s2", "z2", "sa", "za"], ["a"], domain=ms),
             N("DequantizeLinear", ["a", "sa", "za"], ["y"]), N("DequantizeLinear", ["c1", "s1", "z1"], ["y1"])]
    g = helper.make_graph(nodes, "qop_group_conv", [helper.make_tensor_value_info("x", F, ["N", c, 11, 9])],
                          [helper.make_tensor_value_info("y", F, ["N", m, 6, 5]),
                           helper.make_tensor_value_info("y1", F, ["N", m, 11, 9])],
                          initializer=[numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(ms, 1)],
                            producer_name="op_models")
    mdl.ir_version = 8
    return mdl


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print(";".join(CASES))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit(__doc__ + "\ncases: " + " ".join(CASES))
    m = CASES[sys.argv[1]]()
    onnx.save(m, sys.argv[2])


if __name__ == "__main__":
    main()
