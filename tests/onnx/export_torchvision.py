#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Exports torchvision architectures to ONNX with reference outputs.

Writes, for each model, DIR/test_<name>/model.onnx and
test_data_set_<k>/{input_0.pb, output_0.pb} (the layout of the ONNX backend
tests), so tests/onnx/conformance.cc runs them like the ONNX test data.

Weights are seeded random. BatchNorm gets random affine parameters and running
statistics measured on batches of random inputs: purely random statistics
make these networks ignore their input (every logit the same), which would
hide layout and folding bugs. The batch dimension is exported as dynamic, so
the converter must fix it (and fold the Shape/Gather/Concat chains that feed
ShuffleNet's Reshape).

Usage: /usr/bin/python3 export_torchvision.py OUT_DIR [--size 128] [--sets 2]
Exit status 77 when torch/torchvision/onnx are missing (ctest: skipped).
"""
import argparse
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # pragma: no cover
    print(f"export_torchvision: skipped, {e} (install python3-torch python3-torchvision "
          f"python3-onnx)")
    sys.exit(77)

# name, constructor, opset, export mode (PRESERVE keeps BatchNormalization
# nodes in the graph so the converter's BN folding is exercised; EVAL lets
# the exporter fold them into the convolutions).
MODELS = [
    ("mobilenet_v2", torchvision.models.mobilenet_v2, 12, "preserve"),
    ("mobilenet_v3_small_opset14", torchvision.models.mobilenet_v3_small, 14, "eval"),
    ("mobilenet_v3_small_opset13", torchvision.models.mobilenet_v3_small, 13, "preserve"),
    ("resnet18", torchvision.models.resnet18, 13, "eval"),
    ("shufflenet_v2_x1_0", torchvision.models.shufflenet_v2_x1_0, 11, "preserve"),
]


def calibrate_batchnorm(model, size, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.25, 0.25, generator=gen)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=gen))
    model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--sets", type=int, default=2)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(2)
    for i, (name, ctor, opset, mode) in enumerate(MODELS):
        if args.only and args.only not in name:
            continue
        d = os.path.join(args.out, "test_" + name)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(1000 + i)
        gen = torch.Generator().manual_seed(2000 + i)
        model = ctor(weights=None)
        calibrate_batchnorm(model, args.size, gen)
        x = torch.randn(1, 3, args.size, args.size, generator=gen)
        training = (torch.onnx.TrainingMode.PRESERVE if mode == "preserve"
                    else torch.onnx.TrainingMode.EVAL)
        path = os.path.join(d, "model.onnx")
        torch.onnx.export(model, x, path, opset_version=opset, training=training,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        onnx.checker.check_model(onnx.load(path))
        for k in range(args.sets):
            xk = torch.randn(1, 3, args.size, args.size, generator=gen)
            with torch.no_grad():
                yk = model(xk)
            sd = os.path.join(d, f"test_data_set_{k}")
            os.makedirs(sd, exist_ok=True)
            with open(os.path.join(sd, "input_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(xk.numpy(), "input").SerializeToString())
            with open(os.path.join(sd, "output_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(yk.numpy(), "logits").SerializeToString())
            spread = float(yk.std())
            print(f"{name}: opset {opset}, {mode}, set {k}: logits std {spread:.4f}")
            if not spread > 1e-3:
                print(f"{name}: the network ignores its input (logit std {spread})")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
