#!/usr/bin/python3
"""make_seeds.py - writes the fuzz harnesses' seed corpora into tests/fuzz/<name>/.

The seeds are committed (small files only); rerun this only to change them:
    /usr/bin/python3 tests/fuzz/make_seeds.py
Each harness's input format is described at the top of its fuzz_<name>.c.
Needs onnx, numpy and Pillow (Debian's python3-onnx, python3-numpy, python3-pil).
"""
import gzip
import io
import os
import struct
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEP = b"\xffSEP"
rng = np.random.default_rng(23)


def out_dir(name):
    """The seed folder; files other than the seeds written here (regress_*: inputs that
    crashed a harness once, kept as regression cases) are left alone."""
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def w(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3, name)


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def model(nodes, inputs, outputs, inits=(), opset=13, functions=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], functions=list(functions))
    m.ir_version = 8
    return m.SerializeToString()


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def compiler_seeds():
    d = out_dir("compiler")
    N = "N"
    # 1. a small CNN: conv-bn-relu, pool, residual add, global pool, flatten, gemm
    nodes = [
        helper.make_node("Conv", ["x", "c1w", "c1b"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bns", "bnb", "bnm", "bnv"], ["b1"]),
        helper.make_node("Relu", ["b1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2w"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "p1"], ["a2"]),
        helper.make_node("Relu", ["a2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fcw", "fcb"], ["y"], transB=1),
    ]
    inits = [w("c1w", 4, 2, 3, 3), w("c1b", 4), w("bns", 4), w("bnb", 4), w("bnm", 4),
             numpy_helper.from_array(np.ones(4, np.float32), "bnv"), w("c2w", 4, 4, 3, 3), w("fcw", 3, 4), w("fcb", 3)]
    cnn = model(nodes, [vi("x", [N, 2, 8, 8])], [vi("y", [N, 3])], inits)
    write(d, "cnn", b"\x00" + cnn)
    write(d, "cnn_main", b"\x02" + cnn)
    write(d, "cnn_O0_report", b"\x41" + cnn)
    write(d, "cnn_train_head", b"\x1c" + cnn)       # --train-head --train-main --head-classes 2
    write(d, "cnn_unfreeze", b"\x84" + cnn)         # --train-head --unfreeze 1

    # 2. shape arithmetic folded at compile time, views and data movement
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "one"], ["c"], axis=0),
        helper.make_node("Unsqueeze", ["c", "ax0"], ["cu"]),
        helper.make_node("Concat", ["neg1", "cu"], ["shape"], axis=0),
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["t", "shape"], ["r"]),
        helper.make_node("Slice", ["r", "st", "en", "ax1"], ["sl"]),
        helper.make_node("Softmax", ["sl"], ["sm"], axis=-1),
        helper.make_node("Pad", ["x", "pads"], ["pd"], mode="constant"),
        helper.make_node("AveragePool", ["pd"], ["ap"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("ReduceMean", ["ap"], ["rm"], axes=[2, 3], keepdims=0),
        helper.make_node("Sigmoid", ["rm"], ["sg"]),
        helper.make_node("Mul", ["sg", "two"], ["y2"]),
    ]
    inits = [i64("one", 1), i64("ax0", [0]), i64("neg1", [-1]), i64("st", [0]), i64("en", [2]), i64("ax1", [1]),
             i64("pads", [0, 0, 1, 1, 0, 0, 1, 1]), numpy_helper.from_array(np.float32(2.0).reshape(()), "two")]
    shapes = model(nodes, [vi("x", [1, 3, 6, 6])], [vi("sm", None), vi("y2", None)], inits)
    write(d, "shapes", b"\x00" + shapes)
    write(d, "shapes_O0", b"\x01" + shapes)

    # 3. model-local functions, one calling another
    inner = helper.make_function("local", "Scale2", ["a"], ["b"],
                                 [helper.make_node("Constant", [], ["k"], value_float=2.0),
                                  helper.make_node("Mul", ["a", "k"], ["b"])],
                                 [helper.make_opsetid("", 13)])
    outer = helper.make_function("local", "Block", ["a", "cw"], ["b"],
                                 [helper.make_node("Conv", ["a", "cw"], ["c"], kernel_shape=[1, 1]),
                                  helper.make_node("Scale2", ["c"], ["d"], domain="local"),
                                  helper.make_node("Relu", ["d"], ["b"])],
                                 [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)])
    nodes = [helper.make_node("Block", ["x", "cw"], ["h"], domain="local"),
             helper.make_node("Block", ["h", "cw"], ["y"], domain="local")]
    g = helper.make_graph(nodes, "g", [vi("x", [N, 2, 4, 4])], [vi("y", [N, 2, 4, 4])], [w("cw", 2, 2, 1, 1)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("local", 1)],
                          functions=[inner, outer])
    m.ir_version = 8
    write(d, "functions", b"\x00" + m.SerializeToString())

    # 4. matmul + bias, concat, convtranspose, split, elementwise ops
    nodes = [
        helper.make_node("ConvTranspose", ["x", "tw"], ["ct"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Split", ["ct"], ["s0", "s1"], axis=1),
        helper.make_node("Concat", ["s1", "s0"], ["cc"], axis=1),
        helper.make_node("LeakyRelu", ["cc"], ["lr"], alpha=0.1),
        helper.make_node("Clip", ["lr", "lo", "hi"], ["cl"]),
        helper.make_node("Flatten", ["cl"], ["fl"]),
        helper.make_node("MatMul", ["fl", "mw"], ["mm"]),
        helper.make_node("Add", ["mm", "mb"], ["y"]),
    ]
    inits = [w("tw", 2, 4, 2, 2), numpy_helper.from_array(np.float32(-1).reshape(()), "lo"),
             numpy_helper.from_array(np.float32(1).reshape(()), "hi"), w("mw", 64, 5), w("mb", 5)]
    write(d, "mixed", b"\x00" + model(nodes, [vi("x", [1, 2, 2, 2])], [vi("y", [1, 5])], inits))
    # 5. the committed example model, as the command compiles it
    with open(os.path.join(ROOT, "models", "tiny_cnn.onnx"), "rb") as f:
        write(d, "tiny_cnn", b"\x00" + f.read())


def tensor_bytes(arr, name, raw=True):
    t = numpy_helper.from_array(arr.astype(np.float32), name)
    if not raw:
        t2 = TensorProto()
        t2.dims.extend(arr.shape)
        t2.data_type = TensorProto.FLOAT
        t2.name = name
        t2.float_data.extend(arr.astype(np.float32).ravel().tolist())
        t = t2
    return t.SerializeToString()


def runner_seeds():
    d = out_dir("runner")
    x = rng.standard_normal((2, 3, 4))
    z = rng.standard_normal((2, 4))
    wv = np.array([0.5, -1.0])
    write(d, "raw", SEP.join([tensor_bytes(x, "x"), tensor_bytes(z, "z"), tensor_bytes(wv, "w")]))
    write(d, "float_data", SEP.join([tensor_bytes(x[:1], "x", False), tensor_bytes(z[:1], "z", False),
                                     tensor_bytes(wv, "w", False)]))
    write(d, "batch_mismatch", SEP.join([tensor_bytes(x, "x"), tensor_bytes(z[:1], "z"), tensor_bytes(wv, "w")]))
    write(d, "failing_run", SEP.join([tensor_bytes(x, "x"), tensor_bytes(z, "z"),
                                      tensor_bytes(np.array([1.0, -999.0]), "w")]))


def idx(arr):
    return bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">I", n) for n in arr.shape) + arr.astype(np.uint8).tobytes()


def idx_seeds():
    d = out_dir("idx")
    imgs = rng.integers(0, 256, (3, 5, 4))
    labels = np.array([0, 2, 1])
    write(d, "plain", idx(imgs) + SEP + idx(labels))
    write(d, "gzip", gzip.compress(idx(imgs), mtime=0) + SEP + gzip.compress(idx(labels), mtime=0))
    write(d, "one_class", idx(imgs[:1]) + SEP + idx(labels[:1] * 0))


def image_seeds():
    from PIL import Image
    d = out_dir("image")
    rgb = Image.fromarray(rng.integers(0, 256, (6, 9, 3)).astype(np.uint8), "RGB")
    grey = Image.fromarray(rng.integers(0, 256, (10, 5)).astype(np.uint8), "L")
    for name, img, fmt, flags, kw in [("rgb.png", rgb, "PNG", 0x01, {}), ("grey.png", grey, "PNG", 0x06, {}),
                                      ("rgb.jpg", rgb, "JPEG", 0x13, {"quality": 80}),
                                      ("prog.jpg", grey, "JPEG", 0x0a, {"progressive": True}),
                                      ("rgb.bmp", rgb, "BMP", 0x05, {}),
                                      ("palette.png", rgb.convert("P"), "PNG", 0x01, {})]:
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        write(d, name, bytes([flags]) + b.getvalue())


def checkpoint(params, state, epoch, step, rng4):
    payload = np.asarray(params, np.float32).tobytes() + np.asarray(state, np.float32).tobytes()
    h = b"O2CCKPT1" + struct.pack("<IIQQqq4Q", 1, 88, len(params), len(state), epoch, step, *rng4)
    h += struct.pack("<I", zlib.crc32(payload))
    h += struct.pack("<I", zlib.crc32(h))
    return h + payload


def checkpoint_seeds():
    d = out_dir("checkpoint")
    write(d, "params_state", checkpoint([1, 2, 3], [4, 5, 6, 7, 8, 9], 3, 120, [1, 2, 3, 4]))
    write(d, "params_only", checkpoint(rng.standard_normal(16), [], 0, 0, [5, 6, 7, 8]))
    write(d, "empty", checkpoint([], [], 1, 1, [0, 0, 0, 1]))


def export_seeds():
    d = out_dir("export")
    nodes = [helper.make_node("Conv", ["x", "blk.w"], ["c"], kernel_shape=[1, 1]),
             helper.make_node("Flatten", ["c"], ["f"]),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], transB=1)]
    inits = [w("blk.w", 2, 4, 1, 1), w("fc.weight", 3, 4), w("fc.bias", 3)]
    full = model(nodes, [vi("x", [1, 4, 1, 1])], [vi("logits", [1, 3])], inits)
    write(d, "head_and_block", full)
    nodes = [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["logits"], transB=1)]
    g = helper.make_graph(nodes, "g", [vi("x", [1, 4])], [vi("logits", [1, 5])], [w("fc.weight", 5, 4), w("fc.bias", 5)],
                          value_info=[vi("logits", [1, 5])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    write(d, "head_only", m.SerializeToString())
    nodes = [helper.make_node("MatMul", ["x", "fc.weight"], ["logits"])]
    write(d, "no_bias_fk", model(nodes, [vi("x", [1, 4])], [vi("logits", [1, 3])], [w("fc.weight", 4, 3)]))


def main():
    compiler_seeds()
    runner_seeds()
    idx_seeds()
    image_seeds()
    checkpoint_seeds()
    export_seeds()
    total = 0
    for name in sorted(os.listdir(HERE)):
        p = os.path.join(HERE, name)
        if os.path.isdir(p):
            sizes = [os.path.getsize(os.path.join(p, f)) for f in os.listdir(p)]
            total += sum(sizes)
            print(f"{name}: {len(sizes)} seeds, {sum(sizes)} bytes (largest {max(sizes)})")
    print(f"total {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
