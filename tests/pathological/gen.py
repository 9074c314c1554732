#!/usr/bin/python3
"""gen.py - pathological graph shapes for the compiler's time and memory bounds.

usage: gen.py OUT_DIR [SCALE]
Writes into OUT_DIR (SCALE 1 = the sizes of issue 23; smaller for quick checks):
  chain.onnx     a chain of 100000*SCALE elementwise nodes (Relu, Neg alternating)
  fanout.onnx    one input read by 10000*SCALE Mul nodes, summed back by a tree of Adds
  nested.onnx    model-local functions nested 1000*SCALE deep, each calling the next
Needs onnx and numpy (/usr/bin/python3 on Debian).
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(path, graph, functions=(), extra_opsets=()):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)] + list(extra_opsets),
                          functions=list(functions))
    m.ir_version = 8
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def chain(n):
    nodes = []
    prev = "x"
    for i in range(n):
        out = "y" if i == n - 1 else f"t{i}"
        nodes.append(helper.make_node("Relu" if i % 2 == 0 else "Neg", [prev], [out], name=f"n{i}"))
        prev = out
    return helper.make_graph(nodes, "chain", [vi("x", [1, 4])], [vi("y", [1, 4])])


def fanout(n):
    """x read by n Mul nodes (n live tensors at once), summed back by a tree of Adds."""
    nodes, inits, level = [], [], []
    for i in range(n):
        inits.append(numpy_helper.from_array(np.array([i + 1], np.float32), f"k{i}"))
        nodes.append(helper.make_node("Mul", ["x", f"k{i}"], [f"m{i}"], name=f"mul{i}"))
        level.append(f"m{i}")
    k = 0
    while len(level) > 1:
        nxt = []
        for j in range(0, len(level) - 1, 2):
            out = "y" if len(level) == 2 else f"s{k}"
            nodes.append(helper.make_node("Add", [level[j], level[j + 1]], [out], name=f"add{k}"))
            nxt.append(out)
            k += 1
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return helper.make_graph(nodes, "fanout", [vi("x", [1, 2])], [vi("y", [1, 2])], inits)


def nested(depth):
    fns = [helper.make_function("local", "F0", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                                [helper.make_opsetid("", 13)])]
    for i in range(1, depth):
        fns.append(helper.make_function("local", f"F{i}", ["a"], ["b"],
                                        [helper.make_node(f"F{i - 1}", ["a"], ["b"], domain="local")],
                                        [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)]))
    g = helper.make_graph([helper.make_node(f"F{depth - 1}", ["x"], ["y"], domain="local", name="top")], "nested",
                          [vi("x", [1, 4])], [vi("y", [1, 4])])
    return g, fns


def main():
    out = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    os.makedirs(out, exist_ok=True)
    save(os.path.join(out, "chain.onnx"), chain(int(100000 * scale)))
    save(os.path.join(out, "fanout.onnx"), fanout(int(10000 * scale)))
    g, fns = nested(int(1000 * scale))
    save(os.path.join(out, "nested.onnx"), g, fns, [helper.make_opsetid("local", 1)])


if __name__ == "__main__":
    main()
