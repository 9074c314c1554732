#!/usr/bin/python3
"""make_image_folder.py - an ImageFolder dataset (OUT/train/<class>/*.png, OUT/val/<class>/*.png)
from Debian's dataset-fashion-mnist, for the image-folder demonstrations of the C trainer
(scripts/demo_resnet50_folder.sh): the folder layout users bring, decoded by the trainer with
stb_image, resized and centre-cropped to the network's input.

    /usr/bin/python3 models/make_image_folder.py OUT [--classes 5,6,7,8,9] [--train 100] [--val 40]

Takes the first --train images of each class from the Fashion-MNIST training split and the
first --val of the t10k split; 28x28 grey PNGs, named by index (sorted = file order).
"""
import argparse
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_resnet import DATA, read_idx  # noqa: E402

NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--classes", default="5,6,7,8,9")
    ap.add_argument("--train", type=int, default=100, help="images a class for train/")
    ap.add_argument("--val", type=int, default=40, help="images a class for val/")
    a = ap.parse_args()
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
