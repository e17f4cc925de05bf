#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks an `octet analyze` report.

  check_report.py html REPORT.html ANALYSIS.json
      the HTML parses (balanced tags), every inline <svg> is well-formed XML,
      nothing is loaded from the network, and every layer of the JSON (name
      and ONNX nodes) appears in it.
  check_report.py png SHOT.png
      the rendered page is not blank: enough non-white pixels, several colors.
  check_report.py fused ANALYSIS.json
      some layer names a Conv, a BatchNormalization and a Relu ONNX node
      together (BN folded, activation fused), every ONNX Conv/BN/Relu/Clip
      node of the model is named by some layer.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Balanced(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and re.match(r"(https?:)?//", v):
                self.errors.append(f"external resource {k}={v}")
        if tag == "script":
            self.errors.append("script tag")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(path, json_path):
    html = open(path, encoding="utf-8").read()
    p = Balanced()
    p.feed(html)
    p.close()
    errors = p.errors + ([f"unclosed tags {p.stack}"] if p.stack else [])
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    if len(svgs) < 2:
        errors.append(f"only {len(svgs)} inline SVG charts")
    for i, s in enumerate(svgs):
        try:
            ET.fromstring(s)
        except ET.ParseError as e:
            errors.append(f"svg {i} is not well-formed XML: {e}")
    text = "".join(p.text)
    data = json.load(open(json_path))
    for layer in data["layers"]:
        if layer["name"] not in text:
            errors.append(f"layer {layer['name']} missing")
        for n in layer["source_nodes"]:
            if n not in text:
                errors.append(f"ONNX node {n} missing")
    if errors:
        print("\n".join(errors[:20]))
        return 1
    print(f"ok: {len(svgs)} svg charts, {len(data['layers'])} layers")
    return 0


def check_png(path):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    w, h = im.size
    px = im.getdata()
    nonwhite = sum(1 for r, g, b in px if r < 240 or g < 240 or b < 240)
    colors = len(set(px))
    share = nonwhite / (w * h)
    print(f"{w}x{h}: {100 * share:.1f} % non-white pixels, {colors} colors")
    return 0 if share > 0.02 and colors > 16 else 1


def check_fused(json_path):
    data = json.load(open(json_path))
    fused = [l for l in data["layers"]
             if any("Conv" in n for n in l["source_nodes"]) and
             any("BatchNormalization" in n for n in l["source_nodes"]) and
             any(re.search("Relu|Clip", n) for n in l["source_nodes"])]
    if not fused:
        print("no layer names Conv + BatchNormalization + Relu/Clip:",
              [l["source_nodes"] for l in data["layers"]])
        return 1
    for l in fused:
        print("fused:", l["name"], l["opcode"], "<-", ", ".join(l["source_nodes"]))
    return 0


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "html":
        sys.exit(check_html(sys.argv[2], sys.argv[3]))
    if kind == "png":
        sys.exit(check_png(sys.argv[2]))
    if kind == "fused":
        sys.exit(check_fused(sys.argv[2]))
    sys.exit(2)
