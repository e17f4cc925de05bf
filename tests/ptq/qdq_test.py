#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""QDQ import test (ctest ptq_qdq.*, label ptq): a small CNN (conv-ReLU, stride-2
conv-ReLU, depthwise conv-ReLU, 1x1 conv + residual add, global average pool,
linear) with seeded random weights, quantized by PyTorch FX post-training
quantization (onednn engine), exported by torch.onnx.export to QDQ ONNX
(opset 13), converted by `octet convert`, must
  1. convert every Conv/Gemm to a native int8 operator (int8 input and
     weights, no float fallback), and
  2. reproduce PyTorch's own int8 outputs on 32 fixed inputs: every logit
     within one output quantization step, at least 95 % exactly equal, and
     the same top-1 for every input.

Usage: qdq_test.py BIN_DIR WORK_DIR. Exit 77 (skipped) without python3-torch.
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # python3-torch / python3-onnx missing
    print(f"SKIP: {e}")
    sys.exit(77)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.c2(F.relu(self.c1(x))))
        y = self.pw(F.relu(self.dw(x)))
        x = F.relu(x + y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
        sys.exit(1)
    return r.stdout


def const_value(model, name):
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return onnx.numpy_helper.to_array(n.attribute[0].t)
    for t in model.graph.initializer:
        if t.name == name:
            return onnx.numpy_helper.to_array(t)
    raise KeyError(name)


def main():
    bin_dir, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    octet = os.path.join(bin_dir, "octet")
    torch.manual_seed(7)
    torch.set_num_threads(1)
    net = Tiny().eval()
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    calib = torch.rand(64, 1, 16, 16)
    prepared = prepare_fx(net, get_default_qconfig_mapping("onednn"), (calib[:1],))
    with torch.no_grad():
        prepared(calib)
    q = convert_fx(prepared)
    qdq = os.path.join(work, "tiny_qdq.onnx")
    torch.onnx.export(q, calib[:1], qdq, input_names=["x"], output_names=["y"], opset_version=13)
    m = onnx.load(qdq)
    # The output scale: y = DequantizeLinear(q, scale, zp).
    last = [n for n in m.graph.node if n.output[0] == "y"][0]
    assert last.op_type == "DequantizeLinear", last.op_type
    step = float(const_value(m, last.input[1]))

    oct_path = os.path.join(work, "tiny_qdq.octet")
    run([octet, "convert", qdq, "-o", oct_path, "-q"])
    info = json.loads(run([octet, "inspect", oct_path, "--json"]))
    tensors = info["tensors"]
    linear = [op for op in info["operators"] if op["opcode"] in ("CONV_2D", "FULLY_CONNECTED")]
    if len(linear) != 5:
        print(f"FAIL: expected 5 CONV_2D/FULLY_CONNECTED operators, found {len(linear)}")
        return 1
    for op in linear:
        dt = [tensors[i]["dtype"] for i in op["inputs"][:2]]
        if dt != ["INT8", "INT8"]:
            print(f"FAIL: operator '{op['name']}' ({op['opcode']}) runs on {dt}, not int8")
            return 1
    print(f"all {len(linear)} Conv/Gemm nodes imported as native int8 operators")

    x = torch.rand(32, 1, 16, 16, generator=torch.Generator().manual_seed(11))
    with torch.no_grad():
        ref = q(x).numpy()
    got = np.zeros_like(ref)
    for i in range(len(x)):
        xin = os.path.join(work, "x.npy")
        yout = os.path.join(work, "y.npy")
        np.save(xin, x[i:i + 1].numpy())
        run([octet, "run", oct_path, "-i", xin, "-o", yout])
        got[i] = np.load(yout).reshape(-1)
    diff = np.abs(got - ref) / step
    exact = float(np.mean(diff < 0.5))
    top1 = float(np.mean(got.argmax(1) == ref.argmax(1)))
    print(f"octet vs PyTorch int8 on {len(x)} inputs: max |diff| {diff.max():.2f} steps, "
          f"{100 * exact:.1f} % of logits exactly equal, top-1 agreement {100 * top1:.1f} %")
    if diff.max() > 1.5 or exact < 0.95 or top1 < 1.0:
        print("FAIL: the imported QDQ model does not reproduce PyTorch's int8 outputs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
