#!/usr/bin/python3
"""check_top5.py - the classify test's judge.

    check_top5.py CLASSIFY_STDOUT DUMP_DIR ORT_DIR IMAGE...

For image k (in command-line order):
 1. the tensor classify fed the model (DUMP_DIR/k/input_0.pb) must equal an
    independent reference of the preprocessing: torch's bilinear interpolate
    (align_corners=False, no antialias) to shorter side 256, torchvision's
    centre-crop arithmetic to 224, ImageNet normalisation;
 2. the top-5 classify printed must be ONNX Runtime's top-5 on that same
    tensor (ORT_DIR/k/output_0.pb, softmaxed here), indices and probabilities
    (within 1e-5; an index may differ only inside a tie of that size).
Exit 1 on any mismatch.
"""
import re
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def decode_png(path):
    # A reader for the test's own PNGs (8-bit, filter 0), independent of
    # stb_image, so a decoding error in classify shows up as a mismatch.
    import struct
    import zlib
    with open(path, "rb") as f:
        data = f.read()
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, _, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    ch = {0: 1, 2: 3}[ctype]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * ch)
    assert (raw[:, 0] == 0).all(), "test PNGs use filter 0 only"
    img = raw[:, 1:].reshape(h, w, ch)
    return np.repeat(img, 3, axis=2) if ch == 1 else img


def reference_input(path, side=224):
    img = torch.from_numpy(decode_png(path).astype(np.float32)).permute(2, 0, 1)[None]
    h, w = img.shape[2:]
    short = round(side * 256 / 224)
    rh, rw = (int(short * h / w), short) if w <= h else (short, int(short * w / h))
    img = torch.nn.functional.interpolate(img, size=(rh, rw), mode="bilinear", align_corners=False)
    top, left = int(round((rh - side) / 2.0)), int(round((rw - side) / 2.0))
    img = img[:, :, top:top + side, left:left + side] / 255.0
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return ((img - mean) / std).numpy()


def parse(stdout):
    blocks, cur = [], None
    for line in open(stdout):
        m = re.fullmatch(r"\s+([0-9.]+)\s+.*\((\d+)\)\s*", line)
        if m:
            cur.append((int(m.group(2)), float(m.group(1))))
        elif line.rstrip().endswith(":"):
            cur = []
            blocks.append((line.rstrip()[:-1], cur))
    return blocks


def main():
    stdout, dump, ort, images = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    blocks = parse(stdout)
    if len(blocks) != len(images):
        sys.exit(f"check_top5: classify printed {len(blocks)} results for {len(images)} images")
    bad = 0
    for k, (img, (name, top)) in enumerate(zip(images, blocks)):
        x = load(f"{dump}/{k}/input_0.pb")
        ref = reference_input(img)
        dx = float(np.abs(x - ref).max()) if x.shape == ref.shape else float("inf")
        ok_in = dx <= 1e-4
        logits = load(f"{ort}/{k}/output_0.pb").astype(np.float64).reshape(-1)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        want = np.argsort(-p, kind="stable")[:5]
        ok_top = len(top) == 5
        for r, (c, pc) in enumerate(top):
            if abs(pc - p[c]) > 1e-5 or (c != want[r] and abs(p[c] - p[want[r]]) > 1e-5):
                ok_top = False
        print(f"{name}: input {list(x.shape)} max|diff| vs torch {dx:.2e} {'ok' if ok_in else 'MISMATCH'}; "
              f"top-5 C {[c for c, _ in top]} ORT {want.tolist()} p1 {p[want[0]]:.4f} "
              f"{'ok' if ok_top else 'MISMATCH'}")
        bad += (not ok_in) + (not ok_top)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
