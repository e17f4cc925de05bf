#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Sanity of `octet bench --json`: fields present, latency statistics
ordered, per-operator medians summing to within 10 % of the profiled invoke
median, and (for --compare) agreement fields within the given bounds.

Usage: check_bench_json.py FILE --models N --runs R [--min-top1 F] [--min-cosine F]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--models", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--min-top1", type=float, default=None)
    ap.add_argument("--min-cosine", type=float, default=None)
    a = ap.parse_args()
    with open(a.file) as f:
        j = json.load(f)
    errors = []

    def need(cond, msg):
        if not cond:
            errors.append(msg)

    need(j.get("runs") == a.runs, f"runs {j.get('runs')} != {a.runs}")
    models = j.get("models", [])
    need(len(models) == a.models, f"{len(models)} models, expected {a.models}")
    for m in models:
        name = m.get("file", "?")
        for k in ("file_bytes", "load_ms", "prepare_ms", "weight_bytes", "arena_bytes",
                  "activation_bytes", "peak_rss_bytes", "throughput_per_s"):
            need(k in m and m[k] >= 0, f"{name}: {k} missing or negative")
        need(m.get("weight_bytes", 0) > 0, f"{name}: no weight bytes")
        need(0 < m.get("weight_bytes", 0) < m.get("file_bytes", 0),
             f"{name}: weight bytes not within the file size")
        need(m.get("peak_rss_bytes", 0) > 0, f"{name}: no peak RSS")
        lat = m.get("latency_ms", {})
        need(0 < lat.get("min", 0) <= lat.get("median", -1) <= lat.get("p90", -1)
             <= lat.get("p99", -1) <= lat.get("max", -1),
             f"{name}: latency statistics out of order: {lat}")
        cpu = m.get("cpu_ms", {})
        need(cpu.get("median", 0) > 0, f"{name}: no CPU time")
        prof = m.get("profile")
        if prof is not None:
            ops = prof["operators"]
            need(len(ops) > 0, f"{name}: empty profile")
            total = prof["profiled_latency_ms"]["median"]
            s = sum(op["median_ms"] for op in ops)
            need(abs(s - total) <= 0.10 * total,
                 f"{name}: per-operator medians sum to {s:.4f} ms, invoke median {total:.4f} ms")
            shares = sum(op["share"] for op in ops)
            need(abs(shares - 1.0) < 1e-6, f"{name}: shares sum to {shares}")
            for op in ops:
                for k in ("index", "name", "source_nodes", "opcode", "output_shape", "median_ms",
                          "macs", "gops", "kernel"):
                    need(k in op, f"{name}: operator {op.get('index')} lacks {k}")
                if op.get("opcode") in ("CONV_2D", "FULLY_CONNECTED"):
                    need(op.get("macs", 0) > 0, f"{name}: {op['opcode']} #{op['index']} has no MACs")
                need(op.get("kernel", "") not in ("", "?"), f"{name}: op {op.get('index')} no kernel")
    if a.models == 2:
        c = j.get("compare")
        need(c is not None, "no compare section")
        if c is not None:
            need(c.get("speedup_median", 0) > 0, "no speedup")
            for o in c.get("outputs", []):
                for k in ("max_abs_diff", "cosine", "min_cosine", "classifier", "runs"):
                    need(k in o, f"output {o.get('name')}: lacks {k}")
                need(o.get("runs") == a.runs, f"output {o.get('name')}: {o.get('runs')} runs")
                if a.min_cosine is not None:
                    need(o.get("cosine", 0) >= a.min_cosine,
                         f"output {o.get('name')}: cosine {o.get('cosine')} < {a.min_cosine}")
                if a.min_top1 is not None:
                    need(o.get("classifier") and "top1_agreement" in o,
                         f"output {o.get('name')}: not treated as class scores")
                    need(o.get("top1_agreement", 0) >= a.min_top1,
                         f"output {o.get('name')}: top-1 agreement {o.get('top1_agreement')} "
                         f"< {a.min_top1}")
            need(len(c.get("outputs", [])) > 0, "compare has no outputs")
    for e in errors:
        print("check_bench_json:", e)
    if not errors:
        print(f"check_bench_json: {a.file} ok ({len(models)} models)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
