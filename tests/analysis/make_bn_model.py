#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a small CNN whose ONNX keeps Conv -> BatchNormalization -> Relu
(and a depthwise Conv -> BatchNormalization -> Relu6 = Clip) as separate
nodes, so the converter has to fold and fuse them, plus calibration data.

Usage: make_bn_model.py OUT_DIR   (exit 77 when torch/numpy are missing)
"""
import os
import sys

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover
    print(f"make_bn_model: skipped, {e}")
    sys.exit(77)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.dw = nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16, bias=False)
        self.bn_dw = nn.BatchNorm2d(16)
        self.relu6 = nn.ReLU6()
        self.pw = nn.Conv2d(16, 24, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        x = self.relu6(self.bn_dw(self.dw(x)))
        x = self.pool(self.pw(x)).flatten(1)
        return self.fc(x)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    net = Net()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.25, 0.25, generator=gen)
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, 3, 16, 16, generator=gen))
    net.eval()
    torch.onnx.export(net, torch.randn(1, 3, 16, 16), os.path.join(out, "bn.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                      output_names=["logits"])
    x = torch.randn(32, 3, 16, 16, generator=gen).numpy().astype(np.float32)
    np.save(os.path.join(out, "calib.npy"), x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
