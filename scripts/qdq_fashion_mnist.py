#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The QDQ path of docs/accuracy.md: the bundled Fashion-MNIST CNN quantized by
PyTorch's FX post-training quantization (onednn engine, 1,000 calibration
images from the training set), evaluated by PyTorch, exported to QDQ ONNX
(QuantizeLinear/DequantizeLinear pairs, opset 13), then `octet convert` and
`octet eval` on the 10k test set, and both accuracies compared.

    /usr/bin/python3 scripts/qdq_fashion_mnist.py [--octet build/bin/octet] \
        [--model models/fashion_mnist] [--out /tmp/qdq]

Uses the weights models/fashion_mnist/cnn.pt that scripts/train_fashion_mnist.py
writes with the ONNX file. The QDQ ONNX is produced by torch.onnx.export of
the converted FX model itself (PyTorch 1.13 exports quantized modules as
DequantizeLinear -> float op -> QuantizeLinear, weights per channel with
`axis`, int32 biases through DequantizeLinear), so no hand-made Q/DQ
insertion is needed.
Exit status: 0 if Octet's int8 top-1 is within --tolerance pp (default 0.1)
of PyTorch's int8 top-1, 1 otherwise.
"""
import argparse
import copy
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = "/usr/share/datasets/fashion-mnist"


def train_module():
    spec = importlib.util.spec_from_file_location("train_fashion_mnist",
                                                  os.path.join(HERE, "train_fashion_mnist.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def fx_ptq(model, xtr, count):
    """FX post-training static quantization with the onednn engine."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    m = copy.deepcopy(model).eval()
    prepared = prepare_fx(m, get_default_qconfig_mapping("onednn"), (xtr[:1],))
    with torch.no_grad():
        for i in range(0, count, 100):
            prepared(xtr[i:min(i + 100, count)])
    return prepared, convert_fx(copy.deepcopy(prepared))


def export_torch(q, path):
    torch.onnx.export(q, torch.zeros(1, 1, 28, 28), path, input_names=["image"],
                      output_names=["logits"], opset_version=13)
    onnx.checker.check_model(onnx.load(path))


def run(cmd):
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--octet", default=os.path.join(ROOT, "build", "bin", "octet"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "fashion_mnist"))
    ap.add_argument("--out", default="/tmp/octet_qdq")
    ap.add_argument("--calib-count", type=int, default=1000)
    ap.add_argument("--tolerance", type=float, default=0.1, help="pp")
    a = ap.parse_args()
    torch.set_num_threads(2)
    tm = train_module()
    net = tm.Net(tuple(json.load(open(os.path.join(a.model, "cnn.json"))).get("width", (8, 16, 32))))
    net.load_state_dict(torch.load(os.path.join(a.model, "cnn.pt")))
    net.eval()

    def images(name):
        return torch.from_numpy(tm.load_idx(f"{DATA}/{name}-images-idx3-ubyte.gz").astype(np.float32)
                                / 255.0).unsqueeze(1)

    xtr, xte = images("train"), images("t10k")
    yte = torch.from_numpy(tm.load_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    fp32 = tm.accuracy(net, xte, yte)
    prepared, q = fx_ptq(net, xtr, a.calib_count)
    qacc = tm.accuracy(q, xte, yte)
    print(f"PyTorch fp32 top-1 {100 * fp32:.2f} %, FX PTQ (onednn, {a.calib_count} calibration "
          f"images) int8 top-1 {100 * qacc:.2f} %")
    os.makedirs(a.out, exist_ok=True)
    qdq = os.path.join(a.out, "cnn_qdq.onnx")
    export_torch(q, qdq)
    print(f"QDQ ONNX written by torch.onnx.export of the converted FX model: {qdq}")
    ops = {}
    for n in onnx.load(qdq).graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print("  ONNX ops: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    oct_model = os.path.join(a.out, "cnn_qdq.octet")
    run([a.octet, "convert", qdq, "-o", oct_model])
    out = run([a.octet, "eval", oct_model, "-q", "--data", f"{DATA}/t10k-images-idx3-ubyte.gz",
               "--labels", f"{DATA}/t10k-labels-idx1-ubyte.gz"])
    octet_acc = float(out.split("top-1 ")[1].split(" %")[0]) / 100
    d = 100 * (octet_acc - qacc)
    print(f"Octet int8 (QDQ import) top-1 {100 * octet_acc:.2f} % vs PyTorch int8 {100 * qacc:.2f} %: "
          f"{d:+.2f} pp (tolerance {a.tolerance} pp)")
    return 0 if abs(d) <= a.tolerance + 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
