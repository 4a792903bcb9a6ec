#!/usr/bin/python3
"""Counts the FLOPs of a forward pass of tools/ref's PyTorch model, per case,
for internal/benchmodel's analytic count (testdata/flops.json there).

The count is independent of the Go formula: it runs the reference model
under a TorchDispatchMode that sees every ATen operator PyTorch executes
and adds 2 x the multiply-accumulates of each matrix product (mm, addmm,
bmm, mv, dot) and convolution (aten.convolution, transposed or not, with
groups and the actual output sizes). Everything else (norms, softmax,
activations, means, element-wise ops) counts 0, as in the Go formula.

The fusion level of each ASF (SPEC.md 5.2) is forced per case by replacing
the reference's fusion_level, since it would otherwise depend on the random
weights. Weights are PyTorch's default initialisation: the count depends on
shapes only.

Run: /usr/bin/python3 tools/gen_flops_goldens.py   (from the repo root)
"""
import json
import os
import sys

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ref"))
import ladderpose_ref as ref  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "internal", "benchmodel", "testdata", "flops.json")
aten = torch.ops.aten


def prod(xs):
    p = 1
    for x in xs:
        p *= int(x)
    return p


class FlopCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.macs = 0
        self.seen = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        p = func.overloadpacket
        self.seen.add(str(p))
        if p is aten.mm:
            (m, k), n = args[0].shape, args[1].shape[1]
            self.macs += m * k * n
        elif p is aten.addmm:
            (m, k), n = args[1].shape, args[2].shape[1]
            self.macs += m * k * n
        elif p is aten.bmm:
            b, m, k = args[0].shape
            self.macs += b * m * k * args[1].shape[2]
        elif p is aten.mv:
            self.macs += prod(args[0].shape)
        elif p is aten.dot:
            self.macs += args[0].shape[0]
        elif p is aten.convolution:
            x, w = args[0], args[1]
            transposed, groups = args[6], args[8]
            if transposed:
                # weight [Cin, Cout/groups, kh, kw]: every input value meets
                # Cout/groups * kh * kw weights.
                self.macs += prod(x.shape) * prod(w.shape[1:])
            else:
                # weight [Cout, Cin/groups, kh, kw]: every output value sums
                # Cin/groups * kh * kw products.
                self.macs += prod(out.shape) * prod(w.shape[1:])
        elif p in (aten.matmul, aten.linear, aten.baddbmm, aten.addmv, aten.addbmm, aten.einsum):
            raise RuntimeError(f"uncounted matrix operator {p}")
        return out


def config(dim, depth, heads, head="classic", side=None, inp=(256, 192)):
    return {"dim": dim, "depth": depth, "heads": heads, "mlp_ratio": 4, "ln_eps": 1e-6, "head": head,
            "keypoints": 17, "input": list(inp), "side": side}


DEFAULT_SIDE = {"channels": 128, "fusion_width": 64, "fusion_heads": 4, "nodes": 16}
CASES = [
    ("vitpose_s", config(384, 12, 12), None),
    ("vitpose_b", config(768, 12, 12), None),
    ("vitpose_b_simple", config(768, 12, 12, head="simple"), None),
    ("full_s_l1_l4", config(384, 12, 12, side=DEFAULT_SIDE), (1, 4)),
    ("full_b_l4_l4", config(768, 12, 12, side=DEFAULT_SIDE), (4, 4)),
    ("full_b_l2_l3", config(768, 12, 12, side=DEFAULT_SIDE), (2, 3)),
    ("tiny_side_small_input", config(192, 4, 3, side={"channels": 32, "fusion_width": 16, "fusion_heads": 4, "nodes": 8},
                                     inp=(128, 96)), (3, 1)),
]


def count(cfg, levels):
    torch.manual_seed(0)
    model = ref.PoseModel(cfg).eval()
    h, w = cfg["input"]
    x = torch.randn(1, 3, h, w)
    calls = []
    orig = ref.fusion_level
    if levels is not None:
        # The fre fusion asks first, then the spa one (batch of one).
        def forced(s):
            calls.append(s)
            return levels[len(calls) - 1]
        ref.fusion_level = forced
    try:
        with torch.no_grad(), FlopCounter() as fc:
            model(x)
    finally:
        ref.fusion_level = orig
    if levels is not None and len(calls) != 2:
        raise RuntimeError(f"fusion_level called {len(calls)} times, want 2")
    return 2 * fc.macs, sorted(fc.seen)


def main():
    cases = []
    for name, cfg, levels in CASES:
        flops, ops = count(cfg, levels)
        print(f"{name}: {flops / 1e9:.4f} GFLOP per image (operators: {', '.join(ops)})")
        cases.append({"case": name, "config": cfg, "levels": levels, "flops": flops})
    with open(OUT, "w") as f:
        json.dump({"note": "written by tools/gen_flops_goldens.py: FLOPs (2 x MACs of every matrix product "
                           "and convolution) of one image's forward pass of tools/ref's model",
                   "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
