#!/usr/bin/python3
"""Writes the PyTorch reference outputs of the ops package's kernels.

Run from anywhere with Debian's Python (PyTorch 1.13, numpy):

    /usr/bin/python3 tools/gen_op_goldens.py

Every input is drawn from a seeded generator and every output is computed by
PyTorch in float32 on the CPU, so the files are the same on every run. They
go to testdata/ops/, one safetensors file per family, written here byte by
byte from the format (8-byte little-endian header length, JSON header, raw
little-endian float32 data) rather than with the safetensors package:

  conv.safetensors       torch.nn.functional.conv2d: strides 1/2/4/16,
                         paddings 0/1/2/3/6/9, dilations 1/3/6/9, groups 1,
                         grouped and depthwise, 1x1, with and without bias;
                         and the Haar subbands of SPEC.md section 3 as a
                         depthwise 2x2 stride-2 conv2d after zero padding.
  convt.safetensors      torch.nn.functional.conv_transpose2d: k4 s2 p1 (the
                         ViTPose head), grouped, with output padding and
                         dilation.
  norm.safetensors       softmax over the last dimension (with -inf entries),
                         layer_norm (eps 1e-6 and 1e-5, with a large common
                         offset), batch_norm in eval mode.
  act.safetensors        gelu (exact erf), sigmoid, leaky_relu(0.2).
  pool.safetensors       adaptive_avg_pool1d (divisible and ragged bins),
                         global average pooling (adaptive_avg_pool2d to 1).
  resize.safetensors     interpolate(mode="bilinear", align_corners=False):
                         scale_factor 4, odd output sizes, a non-integer
                         scale factor, downsampling.

Each case NAME stores its tensors as NAME.x (input), NAME.y (PyTorch's
output) and parameters such as NAME.w and NAME.b; the header's __metadata__
maps "cases" to a JSON list describing every case (the keyword arguments of
the PyTorch call).
"""

import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "ops")

torch.set_num_threads(1)


def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors (an ordered list of (name, array)) and string
    metadata in the safetensors format, atomically."""
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, arr in tensors:
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        data = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # pad the header so the data is 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Family:
    """Collects the cases of one file."""

    def __init__(self, name, seed):
        self.name = name
        self.gen = torch.Generator().manual_seed(seed)
        self.tensors = []
        self.cases = []

    def randn(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.gen, dtype=torch.float32) * scale

    def rand(self, *shape, lo=0.0, hi=1.0):
        return torch.rand(*shape, generator=self.gen, dtype=torch.float32) * (hi - lo) + lo

    def add(self, case, **tensors):
        names = {n for n, _ in self.tensors}
        assert case["name"] not in {c["name"] for c in self.cases}
        for k, v in tensors.items():
            n = case["name"] + "." + k
            assert n not in names
            self.tensors.append((n, v.detach().numpy() if torch.is_tensor(v) else v))
        self.cases.append(case)

    def write(self):
        path = os.path.join(OUT, self.name + ".safetensors")
        write_safetensors(path, self.tensors, {"cases": json.dumps(self.cases, separators=(",", ":"))})
        print("%-22s %3d cases %8d bytes" % (self.name + ".safetensors", len(self.cases), os.path.getsize(path)))


def conv_cases():
    fam = Family("conv", 1)
    # name, (n, cin, h, w), cout, (kh, kw), stride, padding, dilation, groups, bias
    cases = [
        ("s1_p0", (2, 3, 15, 17), 8, (3, 3), 1, 0, 1, 1, True),
        ("s1_p1", (1, 16, 13, 11), 24, (3, 3), 1, 1, 1, 1, True),
        ("s1_p2_k5", (1, 4, 9, 14), 6, (5, 5), 1, 2, 1, 1, False),
        ("stem1_s2_p1", (1, 3, 33, 25), 32, (3, 3), 2, 1, 1, 1, False),
        ("stem2_s2_p1", (1, 32, 17, 13), 40, (3, 3), 2, 1, 1, 1, False),
        ("down4_s4", (2, 8, 17, 13), 8, (4, 4), 4, 0, 1, 1, True),
        ("patch16_s16_p2", (1, 3, 64, 48), 32, (16, 16), 16, 2, 1, 1, True),
        ("dil3_p3", (1, 16, 23, 19), 16, (3, 3), 1, 3, 3, 1, False),
        ("dil6_p6", (1, 16, 23, 19), 16, (3, 3), 1, 6, 6, 1, False),
        ("dil9_p9", (1, 16, 23, 19), 16, (3, 3), 1, 9, 9, 1, False),
        ("pw_1x1", (2, 20, 7, 9), 7, (1, 1), 1, 0, 1, 1, True),
        ("grouped_g4", (1, 8, 9, 11), 12, (3, 3), 1, 1, 1, 4, True),
        ("depthwise_k3", (2, 8, 15, 17), 8, (3, 3), 1, 1, 1, 8, True),
        ("depthwise_mult2_s2", (1, 4, 16, 12), 8, (3, 3), 2, 1, 1, 4, False),
        ("asym_k2x5_s3x1", (1, 4, 17, 15), 5, (2, 5), (3, 1), (1, 2), (2, 1), 1, True),
    ]
    for name, (n, cin, h, w), cout, k, stride, padding, dilation, groups, bias in cases:
        x = fam.randn(n, cin, h, w)
        wt = fam.randn(cout, cin // groups, *k, scale=1.0 / math.sqrt(cin // groups * k[0] * k[1]))
        b = fam.randn(cout) if bias else None
        y = F.conv2d(x, wt, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
        pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
        case = {"name": name, "in": cin, "out": cout, "kernel": list(k), "stride": pair(stride),
                "padding": pair(padding), "dilation": pair(dilation), "groups": groups, "bias": bias,
                "input": [n, cin, h, w]}
        ts = {"x": x, "w": wt, "y": y}
        if bias:
            ts["b"] = b
        fam.add(case, **ts)
    # Haar subbands (SPEC.md section 3) on even and odd sizes.
    r = 0.5
    filt = torch.tensor([[[r, r], [r, r]], [[r, -r], [r, -r]], [[r, r], [-r, -r]], [[r, -r], [-r, r]]])
    for name, (n, c, h, w) in [("haar_even", (2, 3, 8, 6)), ("haar_odd", (1, 5, 7, 9))]:
        x = fam.randn(n, c, h, w)
        xp = F.pad(x, (0, w % 2, 0, h % 2))
        bands = [F.conv2d(xp, filt[f].expand(c, 1, 2, 2).contiguous(), stride=2, groups=c) for f in range(4)]
        fam.add({"name": name, "input": [n, c, h, w]}, x=x, y=torch.cat(bands, dim=1))
    fam.write()


def convt_cases():
    fam = Family("convt", 2)
    # name, (n, cin, h, w), cout, k, stride, padding, output_padding, dilation, groups, bias
    cases = [
        ("k4_s2_p1", (2, 16, 6, 5), 8, (4, 4), 2, 1, 0, 1, 1, False),
        ("k4_s2_p1_bias", (1, 24, 8, 6), 12, (4, 4), 2, 1, 0, 1, 1, True),
        ("grouped_g2", (1, 8, 5, 7), 6, (3, 3), 1, 1, 0, 1, 2, True),
        ("s3_outpad", (1, 5, 4, 6), 3, (3, 2), (3, 2), (2, 0), (1, 1), 1, 1, True),
        ("dilated", (1, 3, 5, 8), 4, (3, 3), (2, 1), (1, 2), 0, (2, 3), 1, False),
    ]
    for name, (n, cin, h, w), cout, k, stride, padding, outpad, dilation, groups, bias in cases:
        x = fam.randn(n, cin, h, w)
        wt = fam.randn(cin, cout // groups, *k, scale=1.0 / math.sqrt(cin // groups * k[0] * k[1]))
        b = fam.randn(cout) if bias else None
        y = F.conv_transpose2d(x, wt, b, stride=stride, padding=padding, output_padding=outpad,
                               groups=groups, dilation=dilation)
        pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
        case = {"name": name, "in": cin, "out": cout, "kernel": list(k), "stride": pair(stride),
                "padding": pair(padding), "output_padding": pair(outpad), "dilation": pair(dilation),
                "groups": groups, "bias": bias, "input": [n, cin, h, w]}
        ts = {"x": x, "w": wt, "y": y}
        if bias:
            ts["b"] = b
        fam.add(case, **ts)
    fam.write()


def norm_cases():
    fam = Family("norm", 3)
    for name, shape, scale in [("softmax_7x33", (7, 33), 3.0), ("softmax_12x192", (12, 192), 8.0), ("softmax_5x17", (5, 17), 30.0)]:
        x = fam.randn(*shape, scale=scale)
        if name == "softmax_5x17":
            x[1, ::3] = float("-inf")  # masked entries
        fam.add({"name": name, "dim": -1}, x=x, y=F.softmax(x, dim=-1))
    for name, shape, eps, offset in [("layernorm_5x65", (5, 65), 1e-6, 0.0), ("layernorm_3x768", (3, 768), 1e-6, 0.0),
                                     ("layernorm_offset", (4, 33), 1e-5, 100.0)]:
        x = fam.randn(*shape, scale=2.0) + offset
        g = fam.randn(shape[-1], scale=0.5) + 1
        b = fam.randn(shape[-1], scale=0.5)
        fam.add({"name": name, "eps": eps}, x=x, w=g, b=b, y=F.layer_norm(x, (shape[-1],), g, b, eps))
    for name, shape in [("batchnorm_2x6x5x7", (2, 6, 5, 7)), ("batchnorm_1x17x3x3", (1, 17, 3, 3))]:
        c = shape[1]
        x = fam.randn(*shape, scale=2.0)
        g, b = fam.randn(c) + 1, fam.randn(c)
        mean, var = fam.randn(c), fam.rand(c, lo=0.05, hi=3.0)
        y = F.batch_norm(x, mean, var, g, b, training=False, eps=1e-5)
        fam.add({"name": name, "eps": 1e-5}, x=x, w=g, b=b, mean=mean, var=var, y=y)
    fam.write()


def act_cases():
    fam = Family("act", 4)
    x = torch.cat([fam.rand(2000, lo=-10.0, hi=10.0), fam.randn(1000),
                   torch.tensor([0.0, -0.0, 1e-8, -1e-8, 5.65, -5.65, 8.0, -8.0, 20.0, -20.0])])
    fam.add({"name": "gelu", "approximate": "none"}, x=x, y=F.gelu(x))
    xs = torch.cat([fam.rand(1500, lo=-30.0, hi=30.0), torch.tensor([0.0, -90.0, 90.0, -110.0, 110.0])])
    fam.add({"name": "sigmoid"}, x=xs, y=torch.sigmoid(xs))
    xl = fam.randn(257, scale=3.0)
    fam.add({"name": "leaky_relu", "negative_slope": 0.2}, x=xl, y=F.leaky_relu(xl, 0.2))
    fam.write()


def pool_cases():
    fam = Family("pool", 5)
    for name, shape, o in [("aap1d_128_16", (2, 12, 128), 16), ("aap1d_17_7", (3, 5, 17), 7), ("aap1d_5_9", (1, 4, 5), 9)]:
        x = fam.randn(*shape)
        fam.add({"name": name, "output_size": o}, x=x, y=F.adaptive_avg_pool1d(x, o))
    x = fam.randn(2, 7, 13, 11)
    fam.add({"name": "gap_2x7x13x11"}, x=x, y=F.adaptive_avg_pool2d(x, 1))
    fam.write()


def resize_cases():
    fam = Family("resize", 6)
    # name, input shape, size or scale_factor
    cases = [
        ("x4", (1, 3, 16, 12), None, (4.0, 4.0)),
        ("odd_size", (2, 2, 7, 5), (15, 17), None),
        ("down", (1, 3, 17, 33), (5, 7), None),
        ("scale_1.7x2.3", (1, 2, 7, 5), None, (1.7, 2.3)),
        ("same_h", (1, 1, 9, 4), (9, 10), None),
    ]
    for name, shape, size, scale in cases:
        x = fam.randn(*shape)
        y = F.interpolate(x, size=size, scale_factor=scale, mode="bilinear", align_corners=False)
        case = {"name": name, "input": list(shape), "output": list(y.shape[2:])}
        if scale is not None:
            case["scale_factor"] = list(scale)
        fam.add(case, x=x, y=y)
    fam.write()


def main():
    os.makedirs(OUT, exist_ok=True)
    conv_cases()
    convt_cases()
    norm_cases()
    act_cases()
    pool_cases()
    resize_cases()


if __name__ == "__main__":
    main()
