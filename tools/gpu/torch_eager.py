#!/usr/bin/python3
"""Times PyTorch eager on the ladderpose network, for comparison with
ladderpose's GPU backend (BenchmarkGPUViTPose / BenchmarkGPUFullModel in
gpumodel) on the same machine.

The model is tools/ref/ladderpose_ref.py's PoseModel (the reference the Go
engine is tested against) at a standard ViTPose size, classic head, with or
without the default side network, random weights, in eval mode under
torch.no_grad(). Like the Go benchmark, each timed pass copies the float32
input batch from host memory to the GPU and the heatmaps back
(--device-resident keeps both on the GPU instead). Float32 is strict by
default: TF32 is switched off for matrix products and cuDNN convolutions
(PyTorch enables it for cuDNN by default); --tf32 allows both.

Run on a GPU host, from the repository root:

    python3 tools/gpu/torch_eager.py                  # ViT-B, batch 1 and 32, then with side, batch 32
    python3 tools/gpu/torch_eager.py --size S --batch 8 --side
    python3 tools/gpu/torch_eager.py --device cpu --batch 1 --iters 2   # a smoke test anywhere

It prints one line per configuration (images/s, median ms per batch) and,
with --json FILE, writes the results as JSON.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import ladderpose_ref as ref  # noqa: E402

SIZES = {"S": (384, 12, 12), "B": (768, 12, 12), "L": (1024, 24, 16), "H": (1280, 32, 16)}


def config(size, side):
    d, depth, heads = SIZES[size]
    cfg = {"dim": d, "depth": depth, "heads": heads, "mlp_ratio": 4, "ln_eps": 1e-6, "head": "classic",
           "keypoints": 17, "input": [256, 192]}
    if side:
        cfg["side"] = {"channels": 128, "fusion_width": 64, "fusion_heads": 4, "nodes": 16}
    return cfg


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_config(args, device, size, side, batch):
    torch.manual_seed(args.seed)
    model = ref.PoseModel(config(size, side)).eval().to(device)
    x_host = torch.randn(batch, 3, 256, 192)
    x_dev = x_host.to(device)

    def step():
        x = x_dev if args.device_resident else x_host.to(device)
        hm, _ = model(x)
        if not args.device_resident:
            hm = hm.cpu()
        sync(device)
        return hm

    with torch.no_grad():
        for _ in range(args.warmup):
            step()
        times = []
        for _ in range(args.iters):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"size": size, "side": side, "batch": batch, "median_ms": med * 1e3,
            "images_per_s": batch / med, "iters": args.iters}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="B", choices=sorted(SIZES))
    ap.add_argument("--batch", type=int, action="append", help="batch size (repeatable; default 1 and 32)")
    ap.add_argument("--side", action="store_true", help="only the model with the side network")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in matmuls and cuDNN convolutions")
    ap.add_argument("--device-resident", action="store_true", help="input and heatmaps stay on the GPU")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args()

    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = "CPU, %d threads" % torch.get_num_threads()
    precision = "TF32 allowed" if args.tf32 else "strict float32"
    transfers = "device-resident" if args.device_resident else "host input and heatmaps"
    print("PyTorch %s eager on %s (%s, %s)" % (torch.__version__, name, precision, transfers))

    if args.side:
        runs = [(True, b) for b in (args.batch or [32])]
    elif args.batch:
        runs = [(False, b) for b in args.batch]
    else:
        runs = [(False, 1), (False, 32), (True, 32)]
    results = []
    for side, batch in runs:
        r = time_config(args, device, args.size, side, batch)
        r.update(device=name, torch=torch.__version__, precision=precision, transfers=transfers)
        results.append(r)
        label = "FullModel" if side else "ViTPose"
        print("%-10s %s/batch%-3d %9.1f images/s  %9.2f ms/batch (median of %d)" % (
            label, args.size, batch, r["images_per_s"], r["median_ms"], args.iters))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
