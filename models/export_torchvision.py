#!/usr/bin/python3
"""export_torchvision.py - export a torchvision CNN to ONNX, plus a test input.

    /usr/bin/python3 models/export_torchvision.py --model resnet50 --opset 13 \
        --bn keep [--dynamic-batch] [--batch N] --out build/resnet50.onnx [--data DIR]

Nothing is downloaded: the weights are torchvision's own random initialisation
under a fixed seed.  Random weights alone give unrealistic activations (BN
running stats of 0/1 against features whose scale drifts layer by layer, so a
deep network's logits collapse onto the classifier bias and any numerical
error hides behind them).  So before export the model runs a few batches of
random normalised images in train() mode with BatchNorm momentum=None, which
makes running_mean/var the cumulative average of what the layer really sees;
then eval().  The result behaves like a trained network numerically: unit-ish
activations everywhere and logits that depend on the input.

--bn fold exports with TrainingMode.EVAL, where the exporter folds every
BatchNormalization into the preceding Conv; --bn keep uses
TrainingMode.PRESERVE (on an eval() model), which keeps BatchNormalization
nodes in inference form.  The script checks the node counts to be sure.

The test input (seeded, normalised-image statistics) goes to
DIR/input_0.pb, named after the graph input, as ONNX test data does; DIR
defaults to OUT with ".onnx" replaced by "_data/test_data_set_0".  With
--torch-ref DIR, PyTorch's logits for that input go to DIR/output_0.pb, so
the exported graph itself can be checked (under ONNX Runtime) against the
framework it came from.  --torch-ref64 DIR writes the logits of a float64
copy of the model on the same input (as float64): the reference against
which float32 runtimes are measured when a model is too ill-conditioned for
ONNX Runtime and PyTorch's float32 runs to agree with each other.
"""
import copy
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pass_models import PASS_MODELS  # noqa: E402  (small models for the graph passes)

MODELS = {
    # name: (constructor kwargs, input size)
    "resnet18": (dict(weights=None), 224),
    "resnet50": (dict(weights=None), 224),
    "googlenet": (dict(weights=None, aux_logits=False, init_weights=True), 224),
    "inception_v3": (dict(weights=None, aux_logits=False, init_weights=True), 299),
}


def torchvision_model(name):
    """(model, input size) for any torchvision classification model by its
    builder name (mobilenet_v2, efficientnet_b0, convnext_tiny...): random
    weights, 224x224 unless the table above says otherwise."""
    if name in MODELS:
        kwargs, size = MODELS[name]
    else:
        kwargs, size = dict(weights=None), 224
    builder = getattr(torchvision.models, name, None)
    if not callable(builder) or name.startswith("_") or name[0].isupper():
        sys.exit(f"export: '{name}' is not a torchvision classification model builder")
    model = builder(**kwargs)
    # Some builders zero their classifier (the vision transformers' heads.head):
    # untrained, the logits would be the bias alone and compare nothing.  Such
    # a layer gets seeded small random weights instead.
    for m in model.modules():
        if isinstance(m, torch.nn.Linear) and not m.weight.detach().any():
            torch.nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                torch.nn.init.normal_(m.bias, std=0.02)
    return model, size


def last_linear_bias(model):
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return linears[-1].bias.detach() if linears and linears[-1].bias is not None else None

# ImageNet normalisation, so inputs look like what these networks are fed
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def images(gen, n, size):
    """Random 'images': smooth low-frequency colour fields plus pixel noise in
    [0,1], normalised.  Smoothness gives the convolutions spatially
    correlated input, like a photo, rather than white noise."""
    low = torch.rand(n, 3, 8, 8, generator=gen)
    img = torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)
    img = (0.8 * img + 0.2 * torch.rand(n, 3, size, size, generator=gen)).clamp(0, 1)
    return (img - MEAN) / STD


def calibrate_bn(model, gen, size, batches, batch_size):
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over all calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(images(gen, batch_size, size))
    model.eval()
    return len(bns)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True,
                    help="a pass model (%s) or any torchvision classifier builder name (%s, mobilenet_v2, ...)"
                    % (", ".join(sorted(PASS_MODELS)), ", ".join(sorted(MODELS))))
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--bn", choices=["fold", "keep"], default="fold")
    ap.add_argument("--dynamic-batch", action="store_true",
                    help="make axis 0 of input and output symbolic ('N')")
    ap.add_argument("--batch", type=int, default=1, help="batch of the test input (and of a fixed-batch model)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=0, help="input height and width (default: the model's own)")
    ap.add_argument("--calib-batches", type=int, default=4)
    ap.add_argument("--calib-cache", metavar="DIR",
                    help="keep calibrated weights in DIR, so fold/keep/opset variants of a model calibrate once")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", help="directory for input_0.pb")
    ap.add_argument("--torch-ref", metavar="DIR",
                    help="also write PyTorch's own logits to DIR/output_0.pb (a cross-check of the export)")
    ap.add_argument("--torch-ref64", metavar="DIR",
                    help="also write the logits of a float64 copy of the model to DIR/output_0.pb")
    a = ap.parse_args()
    if not 9 <= a.opset <= 17:
        ap.error("--opset must be in 9..17")
    if a.batch < 1:
        ap.error("--batch must be >= 1")

    torch.manual_seed(a.seed)
    if a.model in PASS_MODELS:
        ctor, size = PASS_MODELS[a.model]
        model = ctor()
    else:
        model, size = torchvision_model(a.model)
    if a.size:
        size = a.size
    cache = None
    if a.calib_cache:
        os.makedirs(a.calib_cache, exist_ok=True)
        cache = os.path.join(a.calib_cache, f"{a.model}_seed{a.seed}_calib{a.calib_batches}.pt")
    if cache and os.path.exists(cache):
        model.load_state_dict(torch.load(cache))
        model.eval()
        nbn = sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    else:
        gen = torch.Generator().manual_seed(a.seed + 1)
        nbn = calibrate_bn(model, gen, size, a.calib_batches, 8)
        if cache:
            torch.save(model.state_dict(), cache + ".tmp")
            os.replace(cache + ".tmp", cache)

    x = images(torch.Generator().manual_seed(a.seed + 2), a.batch, size)
    with torch.no_grad():
        logits = model(x)
    fc_bias = last_linear_bias(model)
    spread = float((logits - (fc_bias if fc_bias is not None else 0)).std())
    print(f"{a.model}: {nbn} BatchNorm layers calibrated; logits std {float(logits.std()):.4g}, "
          f"std of (logits - fc bias) {spread:.4g}")
    if spread < 1e-3:
        sys.exit(f"export: {a.model} logits are ~ the classifier bias (std {spread:.3g}): calibration failed")

    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    mode = torch.onnx.TrainingMode.EVAL if a.bn == "fold" else torch.onnx.TrainingMode.PRESERVE
    dyn = {"input": {0: "N"}, "logits": {0: "N"}} if a.dynamic_batch else None
    tmp = a.out + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=a.opset, training=mode, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"], dynamic_axes=dyn)

    m = onnx.load(tmp)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    nbn_onnx = ops.count("BatchNormalization")
    if a.bn == "fold" and nbn_onnx:
        # a BN after a Conv must have been folded; one after a Concat or a ReLU (DenseNet's
        # pre-activation norm1) cannot be, and stays as a node
        producer = {o: n for n in m.graph.node for o in n.output}
        after_conv = [n.name for n in m.graph.node if n.op_type == "BatchNormalization"
                      and producer.get(n.input[0]) is not None and producer[n.input[0]].op_type == "Conv"]
        if after_conv:
            sys.exit(f"export: --bn fold left {len(after_conv)} BatchNormalization nodes after a Conv")
        print(f"export: {nbn_onnx} BatchNormalization nodes stay (pre-activation: no Conv before them)")
    if a.bn == "keep" and nbn_onnx != nbn:
        sys.exit(f"export: --bn keep has {nbn_onnx} BatchNormalization nodes, the model {nbn}")
    os.replace(tmp, a.out)
    counts = {op: ops.count(op) for op in sorted(set(ops))}
    print(f"wrote {a.out}: opset {a.opset}, {len(ops)} nodes {counts}")

    data = a.data or (a.out[:-5] if a.out.endswith(".onnx") else a.out) + "_data/test_data_set_0"
    os.makedirs(data, exist_ok=True)
    name = m.graph.input[0].name
    t = numpy_helper.from_array(x.numpy().astype(np.float32), name)
    with open(os.path.join(data, "input_0.pb"), "wb") as f:
        f.write(t.SerializeToString())
    print(f"wrote {data}/input_0.pb: {name} {list(x.shape)}")
    if a.torch_ref:
        os.makedirs(a.torch_ref, exist_ok=True)
        t = numpy_helper.from_array(logits.numpy().astype(np.float32), m.graph.output[0].name)
        with open(os.path.join(a.torch_ref, "output_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    if a.torch_ref64:
        with torch.no_grad():
            logits64 = copy.deepcopy(model).double()(x.double())
        os.makedirs(a.torch_ref64, exist_ok=True)
        t = numpy_helper.from_array(logits64.numpy(), m.graph.output[0].name)
        with open(os.path.join(a.torch_ref64, "output_0.pb"), "wb") as f:
            f.write(t.SerializeToString())


if __name__ == "__main__":
    main()
