#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The Models table of docs/benchmarks.md from run_models.sh's JSON files.

Usage: summarize.py JSON_DIR MODEL...
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


def lat(model):
    """(median, min, sum of per-operator medians or nan, CPU time median) in ms."""
    l = model["latency_ms"]
    p = model.get("profile")
    return (l["median"], l["min"], p["sum_of_operator_medians_ms"] if p else float("nan"),
            model.get("cpu_ms", {}).get("median", float("nan")))


def main():
    d, models = sys.argv[1], sys.argv[2:]
    print("Octet, 1 thread: invoke median / min / sum of per-operator medians / CPU time median (ms)")
    print()
    print("| model | fp32 | int8 | int8 speedup | top-1 agree | cosine |")
    print("|---|---|---|---|---|---|")
    for m in models:
        b = load(os.path.join(d, f"{m}.t1.json"))
        if not b:
            print(f"| {m} | - | - | - | - | - |")
            continue
        f, i = lat(b["models"][0]), lat(b["models"][1])
        out = b["compare"]["outputs"][0]
        sp = " / ".join(f"{x / y:.2f}x" for x, y in zip(f, i))
        print(f"| {m} | {f[0]:.2f} / {f[1]:.2f} / {f[2]:.2f} / {f[3]:.2f} "
              f"| {i[0]:.2f} / {i[1]:.2f} / {i[2]:.2f} / {i[3]:.2f} "
              f"| {sp} | {100 * out.get('top1_agreement', float('nan')):.0f} % "
              f"({out.get('top1_agree', 0)}/{out.get('top1_decisions', 0)}) | {out['cosine']:.4f} |")
    print()
    print("XNNPACK fp32 vs Octet fp32, same process, 1 thread: median (min) / CPU time median, ms")
    print()
    print("| model | XNNPACK fp32 | Octet fp32 | Octet / XNNPACK: median (min) / CPU "
          "| max abs diff |")
    print("|---|---|---|---|---|")
    for m in models:
        x = load(os.path.join(d, f"{m}.xnnpack.json"))
        r = next((e for e in (x or {}).get("results", []) if e["threads"] == 1), None)
        if not r:
            print(f"| {m} | - | - | - | - |")
            continue
        cx, co = r["xnnpack_fp32_cpu_median_ms"], r["octet_fp32_cpu_median_ms"]
        print(f"| {m} | {r['xnnpack_fp32_median_ms']:.2f} ({r['xnnpack_fp32_min_ms']:.2f}) / {cx:.2f} "
              f"| {r['octet_fp32_median_ms']:.2f} ({r['octet_fp32_min_ms']:.2f}) / {co:.2f} "
              f"| {r['octet_over_xnnpack']:.2f}x "
              f"({r['octet_fp32_min_ms'] / r['xnnpack_fp32_min_ms']:.2f}x) / {co / cx:.2f}x "
              f"| {r['max_abs_diff']:.2g} (max abs output {r['max_abs_output']:.3g}) |")
    t1 = load(os.path.join(d, "resnet18.t1.json"))
    t2 = load(os.path.join(d, "resnet18.t2.json"))
    x = load(os.path.join(d, "resnet18.xnnpack.json"))
    if t1 and t2:
        print()
        print("ResNet18, 1 vs 2 threads: median (min) ms")
        print()
        print("| engine | 1 thread | 2 threads | 2 threads / 1 thread, median (min) |")
        print("|---|---|---|---|")
        for k, name in ((0, "Octet fp32"), (1, "Octet int8")):
            a = t1["models"][k]["latency_ms"]
            b = t2["models"][k]["latency_ms"]
            print(f"| {name} | {a['median']:.2f} ({a['min']:.2f}) | {b['median']:.2f} "
                  f"({b['min']:.2f}) | {a['median'] / b['median']:.2f}x "
                  f"({a['min'] / b['min']:.2f}x) |")
        if x:
            r = {e["threads"]: e for e in x["results"]}
            if 1 in r and 2 in r:
                a, b = r[1], r[2]
                print(f"| XNNPACK fp32 | {a['xnnpack_fp32_median_ms']:.2f} "
                      f"({a['xnnpack_fp32_min_ms']:.2f}) | {b['xnnpack_fp32_median_ms']:.2f} "
                      f"({b['xnnpack_fp32_min_ms']:.2f}) | "
                      f"{a['xnnpack_fp32_median_ms'] / b['xnnpack_fp32_median_ms']:.2f}x "
                      f"({a['xnnpack_fp32_min_ms'] / b['xnnpack_fp32_min_ms']:.2f}x) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
