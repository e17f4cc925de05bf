#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Per-output fidelity of `octet quantize` on a depthwise-heavy network
(docs/accuracy.md, "MobileNetV2"): every calibration method, without and with
bias correction and cross-layer equalization, against Octet's own fp32 run.

    /usr/bin/python3 scripts/fidelity_mobilenet_v2.py [--octet build/bin/octet] \
        [--size 96] [--relu] [--out /tmp/octet_mnv2]

No pretrained weights are available offline, so torchvision's MobileNetV2 gets
seeded random weights; BatchNorm gets random affine parameters and running
statistics re-estimated in train mode on batches of the calibration images
(as tests/onnx/export_torchvision.py does), so activations have realistic,
non-degenerate ranges and the logits depend on the input. Inputs are
"random-ish" images: Gaussian noise blurred (8x8 average pool, upsampled) plus
fine noise, normalized per channel like ImageNet input; 64 calibration images
and 64 different evaluation images (fixed seeds). --relu replaces every ReLU6
by ReLU (as Nagel et al. do for CLE; ReLU6 is not positive-homogeneous, so
equalization finds nothing to do on the stock network).
Prints a Markdown table: cosine similarity of the logits (mean and minimum
over the 64 images) and top-1 agreement with the fp32 model.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

METHODS = ["percentile:99.99", "minmax", "ema", "percentile:99.9", "percentile:99.999", "kl", "mse"]
BOOSTERS = [("none", []), ("bias-correction", ["--bias-correction"]), ("CLE", ["--equalize"]),
            ("CLE + bias-correction", ["--equalize", "--bias-correction"])]


def images(n, size, seed):
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(n, 3, size // 8, size // 8, generator=g)
    x = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    x = x + 0.3 * torch.randn(n, 3, size, size, generator=g)
    return (x - x.mean((0, 2, 3), keepdim=True)) / x.std((0, 2, 3), keepdim=True)


def build(size, relu, calib):
    torch.manual_seed(0)
    m = torchvision.models.mobilenet_v2()
    if relu:
        for name, mod in list(m.named_modules()):
            for cname, child in list(mod.named_children()):
                if isinstance(child, nn.ReLU6):
                    setattr(mod, cname, nn.ReLU())
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5, generator=g)
                mod.bias.uniform_(-0.25, 0.25, generator=g)
            mod.reset_running_stats()
            mod.momentum = None
    m.train()
    with torch.no_grad():
        for i in range(0, len(calib), 16):
            m(calib[i:i + 16])
    return m.eval()


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


def outputs(octet, model, xs, work):
    ys = []
    for i in range(len(xs)):
        xi = os.path.join(work, "x.npy")
        yi = os.path.join(work, "y.npy")
        np.save(xi, xs[i:i + 1])
        run([octet, "run", model, "-i", xi, "-o", yi])
        ys.append(np.load(yi).reshape(-1))
    return np.stack(ys)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--octet", default=os.path.join(root, "build", "bin", "octet"))
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--relu", action="store_true")
    ap.add_argument("--out", default="/tmp/octet_mnv2")
    ap.add_argument("--methods", default=",".join(METHODS))
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    calib = images(64, a.size, 10)
    evalx = images(64, a.size, 20).numpy()
    m = build(a.size, a.relu, calib)
    onnx_path = os.path.join(a.out, "mnv2.onnx")
    torch.onnx.export(m, calib[:1], onnx_path, input_names=["image"], output_names=["logits"],
                      opset_version=13)
    np.save(os.path.join(a.out, "calib.npy"), calib.numpy())
    fp32 = os.path.join(a.out, "mnv2.octet")
    run([a.octet, "convert", onnx_path, "-o", fp32, "-q"])
    ref = outputs(a.octet, fp32, evalx, a.out)
    with torch.no_grad():
        torch_ref = m(torch.from_numpy(evalx)).numpy()
    print(f"MobileNetV2 {a.size}x{a.size}{' (ReLU6 -> ReLU)' if a.relu else ''}: Octet fp32 vs "
          f"PyTorch max |diff| {np.abs(ref - torch_ref).max():.2e}; fp32 top-1 classes used "
          f"by the 64 images: {len(set(ref.argmax(1)))}")
    print()
    print("| method | boosters | cosine mean | cosine min | top-1 agreement |")
    print("|---|---|---|---|---|")
    for name, flags in BOOSTERS:
        for method in a.methods.split(","):
            q = os.path.join(a.out, f"q_{method.replace(':', '_')}_{name.replace(' ', '')}.octet")
            run([a.octet, "quantize", fp32, "-o", q, "-q", "--method", method,
                 "--calib", os.path.join(a.out, "calib.npy")] + flags)
            y = outputs(a.octet, q, evalx, a.out)
            cos = (y * ref).sum(1) / (np.linalg.norm(y, axis=1) * np.linalg.norm(ref, axis=1) + 1e-30)
            agree = float(np.mean(y.argmax(1) == ref.argmax(1)))
            print(f"| {method} | {name} | {cos.mean():.4f} | {cos.min():.4f} | "
                  f"{100 * agree:.1f} % |", flush=True)


if __name__ == "__main__":
    main()
