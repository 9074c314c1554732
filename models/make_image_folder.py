#!/usr/bin/python3
"""make_image_folder.py - an ImageFolder dataset (OUT/train/<class>/*.png, OUT/val/<class>/*.png)
from Debian's dataset-fashion-mnist, for the image-folder demonstrations of the C trainer
(scripts/demo_resnet50_folder.sh): the folder layout users bring, decoded by the trainer with
stb_image, resized and centre-cropped to the network's input.

    /usr/bin/python3 models/make_image_folder.py OUT [--classes 5,6,7,8,9] [--train 100] [--val 40]
    /usr/bin/python3 models/make_image_folder.py OUT --synthetic [--size 96] [--train 100] [--val 40] [--seed 0]

Takes the first --train images of each class from the Fashion-MNIST training split and the
first --val of the t10k split; 28x28 grey PNGs, named by index (sorted = file order).
--synthetic draws colour photos-like images instead (JPEG, --size pixels square, seeded): five
classes that differ in shape and colour (red discs, green squares, blue triangles, yellow
crosses, magenta rings), each of random size, place and shade on a textured background of
random colour, with pixel noise, so a classifier must learn shape and colour, not one pixel.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_resnet import DATA, read_idx  # noqa: E402

NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


SHAPES = [("disc", (220, 40, 40)), ("square", (40, 180, 60)), ("triangle", (50, 80, 220)),
          ("cross", (230, 210, 40)), ("ring", (200, 50, 200))]


def synthetic(rng, k, size):
    """One image of class k: its shape in its colour (shade varied) on a noisy textured background."""
    low = rng.integers(40, 200, (3, 3, 3)).astype(np.float32)   # a smooth background: 3x3 colours, upsampled
    bg = Image.fromarray(low.astype(np.uint8)).resize((size, size), Image.BILINEAR)
    d = ImageDraw.Draw(bg)
    name, rgb = SHAPES[k]
    colour = tuple(int(np.clip(c + rng.integers(-30, 31), 0, 255)) for c in rgb)
    r = size * rng.uniform(0.18, 0.35)
    cx, cy = rng.uniform(r, size - r, 2)
    box = [cx - r, cy - r, cx + r, cy + r]
    if name == "disc":
        d.ellipse(box, fill=colour)
    elif name == "square":
        d.rectangle(box, fill=colour)
    elif name == "triangle":
        d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    elif name == "cross":
        w = r / 3
        d.rectangle([cx - r, cy - w, cx + r, cy + w], fill=colour)
        d.rectangle([cx - w, cy - r, cx + w, cy + r], fill=colour)
    else:
        d.ellipse(box, outline=colour, width=max(2, int(r / 3)))
    a = np.asarray(bg).astype(np.float32) + rng.normal(0, 12, (size, size, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def main_synthetic(a):
    rng = np.random.default_rng(a.seed)
    for split, n in (("train", a.train), ("val", a.val)):
        for k, (name, _) in enumerate(SHAPES):
            d = os.path.join(a.out, split, f"{k}_{name}")
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                synthetic(rng, k, a.size).save(os.path.join(d, f"{i:05d}.jpg"), quality=90)
    print(f"wrote {a.out}/train and {a.out}/val: {len(SHAPES)} classes, {a.train} + {a.val} images a class, "
          f"{a.size}x{a.size}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--classes", default="5,6,7,8,9")
    ap.add_argument("--train", type=int, default=100, help="images a class for train/")
    ap.add_argument("--val", type=int, default=40, help="images a class for val/")
    ap.add_argument("--synthetic", action="store_true", help="colour shapes instead of Fashion-MNIST")
    ap.add_argument("--size", type=int, default=96, help="--synthetic: image side in pixels")
    ap.add_argument("--seed", type=int, default=0, help="--synthetic: the drawing's seed")
    a = ap.parse_args()
    if a.synthetic:
        return main_synthetic(a)
    classes = [int(c) for c in a.classes.split(",")]
    for split, src, n in (("train", "train", a.train), ("val", "t10k", a.val)):
        x = read_idx(f"{DATA}/{src}-images-idx3-ubyte.gz")
        y = read_idx(f"{DATA}/{src}-labels-idx1-ubyte.gz")
        for c in classes:
            d = os.path.join(a.out, split, f"{c}_{NAMES[c]}")
            os.makedirs(d, exist_ok=True)
            for i, img in enumerate(x[y == c][:n]):
                Image.fromarray(img).save(os.path.join(d, f"{i:05d}.png"))
    print(f"wrote {a.out}/train and {a.out}/val: {len(classes)} classes, {a.train} + {a.val} images a class")


if __name__ == "__main__":
    main()
