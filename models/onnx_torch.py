#!/usr/bin/python3
"""onnx_torch.py - the part of an ONNX graph after a cut tensor, as a PyTorch function with
trainable parameters: PyTorch's side of the unfrozen-block checks (tests/train/check_unfreeze.py).

It interprets the ONNX nodes between the cut and the graph output with torch.nn.functional,
so PyTorch trains exactly the network in the .onnx file (the same one onnx2c compiled), not a
re-written copy of it.  The initializers the block reads become leaf tensors with
requires_grad (one per initializer: an initializer read twice, directly or through an
Identity, is one tied parameter, as in the ONNX graph), except those tied to something frozen:
read by the frozen trunk too, or also a BatchNorm statistic (onnx2c's rule, derived here anew).  BatchNormalization runs on its
stored statistics (eval mode: frozen BN), its scale and bias trainable.  The final
classifier Gemm can be given new weights (a fresh K-way head).

    block = OnnxBlock("model.onnx", cut="/layer3/Relu_1_output_0")
    block.params        # {initializer name: leaf tensor}
    logits = block(x)   # x: the cut tensor [N, C, H, W]
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxBlock:
    def __init__(self, path, cut, head_weight=None, head_bias=None):
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
                y = F.batch_norm(v[0], v[3], v[4], v[1], v[2], training=False, eps=a.get("epsilon", 1e-5))
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
