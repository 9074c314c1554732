#!/usr/bin/python3
"""torch_augment_epoch.py - PyTorch's side of scripts/bench_augment.sh: one epoch of head-only
fine-tuning of torchvision resnet18 (random weights, trunk frozen in eval mode, a fresh K-way
head) over an image folder, each image through torchvision's RandomResizedCrop (area 0.08..1, as
the C trainer's --augment) and RandomHorizontalFlip, SGD with Nesterov momentum.  The trunk runs
on every batch, as augmentation requires.  Prints `seconds_per_epoch S`.

    /usr/bin/python3 models/torch_augment_epoch.py FOLDER [--size 112] [--batch 64] [--threads 2]

The DataLoader decodes in the main process (num_workers 0): PyTorch gets the same threads as the
C trainer (torch.set_num_threads), not extra worker processes.
"""
import argparse
import time

import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision import transforms as T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    tf = T.Compose([T.RandomResizedCrop(a.size, scale=(0.08, 1.0)), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = torchvision.datasets.ImageFolder(a.folder, tf, loader=lambda p: Image.open(p).convert("RGB"))
    dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=0)
    trunk = torchvision.models.resnet18(weights=None)
    trunk.fc = torch.nn.Identity()
    trunk.eval()
    head = torch.nn.Linear(512, len(ds.classes))
    opt = torch.optim.SGD(head.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    t0 = time.perf_counter()
    for x, y in dl:
        with torch.no_grad():
            f = trunk(x)
        loss = F.cross_entropy(head(f), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"seconds_per_epoch {time.perf_counter() - t0:.4f}")


if __name__ == "__main__":
    main()
