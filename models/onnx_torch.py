#!/usr/bin/python3
"""onnx_torch.py - the part of an ONNX graph after a cut tensor, as a PyTorch function with
trainable parameters: PyTorch's side of the unfrozen-block checks (tests/train/check_unfreeze.py).

It interprets the ONNX nodes between the cut and the graph output with torch.nn.functional,
so PyTorch trains exactly the network in the .onnx file (the same one onnx2c compiled), not a
re-written copy of it.  The initializers the block reads become leaf tensors with
requires_grad (one per initializer: an initializer read twice, directly or through an
Identity, is one tied parameter, as in the ONNX graph), except those tied to something frozen:
read by the frozen trunk too, or also a BatchNorm statistic (onnx2c's rule, derived here anew).  BatchNormalization runs on its
stored statistics (eval mode: frozen BN), its scale and bias trainable; with bn_train it runs
as in model.train(): the batch's statistics, and the running ones (block.stats, one tensor per
initializer) moved with PyTorch's momentum.  The final classifier Gemm can be given new
weights (a fresh K-way head).  The cut may be the graph input (everything trains).

    block = OnnxBlock("model.onnx", cut="/layer3/Relu_1_output_0")
    block.params        # {initializer name: leaf tensor}
    block.stats         # {initializer name: running mean or variance}
    logits = block(x)   # x: the cut tensor [N, C, H, W]

As a script it is PyTorch's side of scripts/bench_train.sh with the same cache as the C trainer:
    /usr/bin/python3 models/onnx_torch.py bench MODEL.onnx C_DUMP_DIR [--batch 64] [--threads 2]
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxBlock:
    def __init__(self, path, cut, head_weight=None, head_bias=None, bn_train=False, bn_momentum=0.1):
        g = onnx.load(path).graph
        self.inits = {t.name: numpy_helper.to_array(t).copy() for t in g.initializer}
        for n in g.node:                     # Constant nodes are initializers too (e.g. Pad's pads)
            if n.op_type == "Constant" and n.attribute[0].name == "value":
                self.inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t).copy()
        self.alias = {}                      # Identity of an initializer -> the initializer
        producer = {o: n for n in g.node for o in n.output}
        for n in g.node:
            if n.op_type == "Identity" and self._root(n.input[0]) in self.inits:
                self.alias[n.output[0]] = self._root(n.input[0])
        self.output = g.output[0].name
        # the nodes needed for the output, back to the cut
        need, stack = [], [self.output]
        seen = set()
        while stack:
            t = stack.pop()
            if t == cut or t in seen or self._root(t) in self.inits:
                continue
            seen.add(t)
            if t not in producer:
                raise ValueError(f"onnx_torch: '{t}' is not computed from the cut '{cut}'")
            n = producer[t]
            if n not in need:
                need.append(n)
                stack.extend(i for i in n.input if i)
        order = {id(n): i for i, n in enumerate(g.node)}
        self.nodes = sorted(need, key=lambda n: order[id(n)])
        self.cut = cut
        self.head = [n for n in self.nodes if n.op_type == "Gemm"][-1] if head_weight is not None else None
        # Trainable: the block's Conv weights/biases and BN scales/biases, except initializers that
        # stay frozen with a tie: read by a node outside the block (the frozen trunk), or also a BN
        # statistic (Identity nodes of initializers are not readers: they only rename)
        inside = {id(n) for n in self.nodes}
        frozen = {self._root(i) for n in g.node if id(n) not in inside and n.op_type != "Identity"
                  for i in n.input if self._root(i) in self.inits}
        frozen |= {self._root(n.input[j]) for n in self.nodes if n.op_type == "BatchNormalization" for j in (3, 4)}
        self.bn_train, self.bn_momentum = bn_train, bn_momentum
        self.stats = {self._root(n.input[j]): torch.tensor(self.inits[self._root(n.input[j])])
                      for n in self.nodes if n.op_type == "BatchNormalization" for j in (3, 4)}
        self.params = {}
        for n in self.nodes:
            k = {"Conv": len(n.input), "BatchNormalization": 3}.get(n.op_type, 0)
            for i in n.input[1:min(k, 3)]:
                if i and self._root(i) not in frozen:
                    self._param(i)
        if self.head is not None:
            self.params["head.weight"] = torch.tensor(np.asarray(head_weight, np.float32), requires_grad=True)
            self.params["head.bias"] = torch.tensor(np.asarray(head_bias, np.float32), requires_grad=True)

    def _root(self, name):
        return self.alias.get(name, name)

    def _param(self, name):
        r = self._root(name)
        if r not in self.params:
            self.params[r] = torch.tensor(self.inits[r], requires_grad=True)

    def _value(self, env, name):
        r = self._root(name)
        if r in self.params:
            return self.params[r]
        if r in self.inits:
            return torch.from_numpy(self.inits[r])
        return env[name]

    def __call__(self, x):
        env = {self.cut: x}
        for n in self.nodes:
            a, v = _attrs(n), [self._value(env, i) if i else None for i in n.input]
            op = n.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise ValueError("onnx_torch: asymmetric Conv pads")
                y = F.conv2d(v[0], v[1], v[2] if len(v) > 2 else None, a.get("strides", [1, 1]), pads[:2],
                             a.get("dilations", [1, 1]), a.get("group", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(v[0], self.stats[self._root(n.input[3])], self.stats[self._root(n.input[4])], v[1], v[2],
                                 training=self.bn_train, momentum=self.bn_momentum, eps=a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(v[0])
            elif op == "Add":
                y = v[0] + v[1]
            elif op == "Concat":
                y = torch.cat(v, a["axis"])
            elif op == "MaxPool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(v[0], a["kernel_shape"], a.get("strides", [1, 1]), pads[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "AveragePool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.avg_pool2d(v[0], a["kernel_shape"], a.get("strides", [1, 1]), pads[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)),
                                 count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "Pad":
                pads = a["pads"] if "pads" in a else [int(p) for p in v[1].tolist()]
                r = len(pads) // 2   # ONNX: all begins, then all ends; F.pad: (last begin, last end, ...)
                tp = [q for i in reversed(range(r)) for q in (pads[i], pads[i + r])]
                y = F.pad(v[0], tp, value=0.0)
            elif op == "GlobalAveragePool":
                y = v[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(v[0], a.get("axis", 1))
            elif op == "Reshape":
                y = v[0].reshape([v[0].shape[0]] + [int(d) for d in v[1].tolist()[1:]])
            elif op == "Gemm":
                w, b = (self.params["head.weight"], self.params["head.bias"]) if n is self.head else (v[1], v[2])
                if n is not self.head and a.get("transB", 0) == 0:
                    w = w.t()
                y = F.linear(v[0], w, b)
            else:
                raise ValueError(f"onnx_torch: op {op} is not interpreted")
            env[n.output[0]] = y
        return env[self.output]


def _bench(argv):
    """PyTorch's side of scripts/bench_train.sh with the C trainer's cache: one epoch of training the
    block and the head on the cut tensors a C trainer run wrote with --dump (the frozen part run once,
    as the C trainer does), SGD with Nesterov momentum as the C recipe; prints seconds_per_step."""
    import argparse
    import time
    ap = argparse.ArgumentParser(prog="onnx_torch.py bench")
    ap.add_argument("model")
    ap.add_argument("dump", help="the C trainer's --dump directory (layout.txt, head0.f32, train_feat.f32, ...)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--block-lr-scale", type=float, default=0.1)
    ap.add_argument("--bn-train", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    import os
    cut, lay = None, {}
    for line in open(os.path.join(a.dump, "layout.txt")):
        f = line.rstrip("\n").split("\t")
        if f[0] == "cut":
            cut = f[1]
        elif f[0] != "stat":
            lay[f[0]] = (int(f[1]), int(f[2]))
    p0 = np.fromfile(os.path.join(a.dump, "head0.f32"), np.float32)
    labels = torch.from_numpy(np.fromfile(os.path.join(a.dump, "train_labels.i32"), np.int32).astype(np.int64))
    n = labels.numel()
    feat = torch.from_numpy(np.fromfile(os.path.join(a.dump, "train_feat.f32"), np.float32).reshape(n, -1))
    part = lambda k: p0[lay[k][0]:lay[k][0] + lay[k][1]]  # noqa: E731
    K = lay["head.bias"][1]
    blk = OnnxBlock(a.model, cut, part("head.weight").reshape(K, -1), part("head.bias"), bn_train=a.bn_train)
    g = onnx.load(a.model, load_external_data=False).graph
    vi = {v.name: v for v in list(g.value_info) + list(g.input) + list(g.output)}
    shape = None
    if cut in vi and vi[cut].type.tensor_type.shape.dim:
        dims = [d.dim_value for d in vi[cut].type.tensor_type.shape.dim][1:]
        if all(dims):
            shape = dims
    if shape is None:   # infer the cut's shape from the model's shapes
        m = onnx.shape_inference.infer_shapes(onnx.load(a.model))
        v = {x.name: x for x in m.graph.value_info}[cut]
        shape = [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
    feat = feat.reshape([n] + shape)
    head = [blk.params["head.weight"], blk.params["head.bias"]]
    body = [p for k, p in blk.params.items() if not k.startswith("head.")]
    opt = torch.optim.SGD([{"params": head}, {"params": body, "lr": a.lr * a.block_lr_scale}], lr=a.lr, momentum=0.9,
                          nesterov=True, weight_decay=a.wd)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
    steps = (n + a.batch - 1) // a.batch

    def step(s):
        idx = order[s * a.batch:(s + 1) * a.batch]
        loss = F.cross_entropy(blk(feat[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    step(0)   # warm-up (allocator, thread pool), not timed
    t0 = time.perf_counter()
    for s in range(steps):
        step(s)
    print(f"seconds_per_step {(time.perf_counter() - t0) / steps:.6f}")


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 2 or sys.argv[1] != "bench":
        sys.exit(__doc__)
    _bench(sys.argv[2:])
