#!/usr/bin/python3
"""conformance_list.py - pick the ONNX backend node tests onnx2c should pass.

    /usr/bin/python3 tests/conformance_list.py DATA_DIR OPS_DEF OUT.txt

Reads compiler/ops/ops.def for the op table (the OP( rows) and every
DATA_DIR/<test>/model.onnx, and writes OUT.txt with one line per test whose
nodes all come from the op table (default ONNX domain only):

    <test>|<op,op,...>|<names of graph inputs to --bind>

The inputs to bind are the non-float32 graph inputs (shapes, axes, indices):
onnx2c's runtime data is float32 only, so such inputs become compile-time
constants read from the data set.  So do graph inputs that feed a node's
parameter positions (WEIGHTS below): Conv weights, BatchNormalization
statistics, Clip bounds, Pad amounts, Resize scales, Dropout's ratio, Range's
scalars, quantization scales and zero points.  In an exported network these are always initializers and onnx2c
requires them constant; the node tests make them graph inputs only for
convenience.  tests/conformance.cmake calls this at
configure time and caches the result in the build directory.
"""
import os
import re
import sys

import onnx

FLOAT = onnx.TensorProto.FLOAT

# op -> input positions that are parameters (constants in any real model)
WEIGHTS = {
    "Conv": {1, 2},
    "ConvTranspose": {1, 2},
    "BatchNormalization": {1, 2, 3, 4},
    "Clip": {1, 2},
    "Pad": {1, 2, 3},
    "Resize": {1, 2, 3},
    "Upsample": {1},
    "Dropout": {1},           # ratio (training mode compiles only with a constant 0)
    "Range": {0, 1, 2},       # the output's length depends on the values
    "QuantizeLinear": {1, 2},   # scale and zero point
    "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 3, 4, 5, 6, 7, 8},  # all but x: a model's own are initializers
}


def table_ops(ops_def):
    ops = set()
    with open(ops_def) as f:
        for line in f:
            m = re.match(r"\s*OP\(\s*(\w+)\s*,", line)
            if m:
                ops.add(m.group(1))
    if not ops:
        sys.exit(f"conformance_list: no OP( rows in {ops_def}")
    return ops


def node_ops(graph):
    """op types of a graph and its subgraphs, with their domains"""
    for n in graph.node:
        yield n.domain, n.op_type
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from node_ops(a.g)
            for g in a.graphs:
                yield from node_ops(g)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, ops_def, out = sys.argv[1:]
    ops = table_ops(ops_def)
    lines = []
    for t in sorted(os.listdir(data)):
        path = os.path.join(data, t, "model.onnx")
        if not os.path.isfile(path):
            continue
        try:
            m = onnx.load(path)
        except Exception as e:
            print(f"conformance_list: skipping {t}: {e}", file=sys.stderr)
            continue
        used = list(node_ops(m.graph))
        if not used or any(d not in ("", "ai.onnx") or op not in ops for d, op in used):
            continue
        inits = {i.name for i in m.graph.initializer}
        params = {name for n in m.graph.node for k, name in enumerate(n.input)
                  if k in WEIGHTS.get(n.op_type, ())}
        binds = [i.name for i in m.graph.input
                 if i.name not in inits and (i.type.tensor_type.elem_type != FLOAT or i.name in params)]
        names = sorted({op for _, op in used})
        lines.append(f"{t}|{','.join(names)}|{','.join(binds)}\n")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, out)
    print(f"conformance_list: {len(lines)} node tests use only ops in {os.path.basename(ops_def)}")


if __name__ == "__main__":
    main()
