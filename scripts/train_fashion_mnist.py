#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Trains the small Fashion-MNIST CNN of the accuracy benchmark (docs/accuracy.md)
and exports it to ONNX.

Uses Debian packages only: python3-torch, python3-numpy and the data set of
dataset-fashion-mnist (/usr/share/datasets/fashion-mnist). Run with the
system interpreter:

    nice /usr/bin/python3 scripts/train_fashion_mnist.py [--epochs 6] [--width 16,32,64] \
        [--threads 1] [--out models/fashion_mnist] [--torch-ptq]

Architecture: conv-BN-ReLU stem, two stride-2 conv-BN-ReLU, a depthwise-
separable residual block, global average pool, linear head (channels
16/32/64 by default). Input is the 28x28 grayscale image scaled to [0, 1]
(pixel / 255), NCHW [1, 1, 28, 28]. Training: AdamW with a one-cycle
(cosine) schedule, random horizontal flips (random shifts with --shift N).
The committed model (6 epochs, seed 0) scores 90.42 % fp32; its settings are
in OUT/cnn.json, the measurements in docs/accuracy.md.
Writes OUT/cnn.onnx, OUT/cnn.pt (state dict) and OUT/cnn.json (fp32 test
accuracy, training settings).
With --torch-ptq it also reports PyTorch's own FX post-training quantization
(onednn engine, 1,000 calibration images) of the same network.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class DSResidual(nn.Module):
    """Depthwise 3x3-BN-ReLU, pointwise 1x1-BN, + skip, ReLU."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.pw = nn.Conv2d(c, c, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.dw(x)))
        y = self.bn2(self.pw(y))
        return F.relu(x + y)


def conv_bn_relu(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class Net(nn.Module):
    def __init__(self, width=(16, 32, 64)):
        super().__init__()
        c1, c2, c3 = width
        self.stem = conv_bn_relu(1, c1, 1)
        self.down1 = conv_bn_relu(c1, c2, 2)
        self.down2 = conv_bn_relu(c2, c3, 2)
        self.block = DSResidual(c3)
        self.head = nn.Linear(c3, 10)

    def forward(self, x):
        x = self.block(self.down2(self.down1(self.stem(x))))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--width", default="16,32,64", help="channels of stem,down1,down2")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared, loaded machine more threads only spin)")
    ap.add_argument("--shift", type=int, default=0, help="random shift augmentation, pixels")
    ap.add_argument("--out", default="models/fashion_mnist")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--torch-ptq", action="store_true")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    width = tuple(int(c) for c in a.width.split(","))

    def images(name):
        return torch.from_numpy(load_idx(f"{DATA}/{name}-images-idx3-ubyte.gz").astype(np.float32)
                                / 255.0).unsqueeze(1)

    def labels(name):
        return torch.from_numpy(load_idx(f"{DATA}/{name}-labels-idx1-ubyte.gz").astype(np.int64))

    xtr, ytr, xte, yte = images("train"), labels("train"), images("t10k"), labels("t10k")
    model = Net(width)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-4)
    steps = a.epochs * (len(xtr) // 256)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, total_steps=steps)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 255, 256):
            idx = perm[i:i + 256]
            xb = xtr[idx]
            # light augmentation: random horizontal flip, optionally a random
            # shift of up to --shift pixels (one per batch keeps it cheap)
            flip = torch.rand(len(xb)) < 0.5
            xb[flip] = xb[flip].flip(3)
            if a.shift > 0:
                dy, dx = np.random.randint(-a.shift, a.shift + 1, size=2)
                p = a.shift
                xb = F.pad(xb, (p, p, p, p))[:, :, p + dy:p + dy + 28, p + dx:p + dx + 28]
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}/{a.epochs}: loss {loss.item():.4f} "
              f"test {100 * accuracy(model, xte, yte):.2f} % ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    acc = accuracy(model, xte, yte)
    os.makedirs(a.out, exist_ok=True)
    # The weights for scripts/qdq_fashion_mnist.py (PyTorch FX PTQ -> QDQ ONNX).
    torch.save(model.state_dict(), os.path.join(a.out, "cnn.pt"))
    onnx_path = os.path.join(a.out, "cnn.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, input_names=["image"],
                      output_names=["logits"], opset_version=13)
    info = {"fp32_test_accuracy": acc, "epochs": a.epochs, "seed": a.seed, "width": list(width),
            "shift": a.shift,
            "input": "image [1,1,28,28] float32 = pixel / 255", "output": "logits [1,10]",
            "torch": torch.__version__}
    if a.torch_ptq:
        info["torch_fx_ptq_onednn_accuracy"] = torch_ptq(model, xtr, xte, yte)
    with open(os.path.join(a.out, "cnn.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps(info, indent=2))


def torch_ptq(model, xtr, xte, yte):
    """PyTorch FX post-training static quantization (onednn), 1,000 train images."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    import copy
    m = copy.deepcopy(model).eval()
    prepared = prepare_fx(m, get_default_qconfig_mapping("onednn"), (xtr[:1],))
    with torch.no_grad():
        for i in range(0, 1000, 100):
            prepared(xtr[i:i + 100])
    q = convert_fx(prepared)
    return accuracy(q, xte, yte)


if __name__ == "__main__":
    main()
