#!/usr/bin/python3
"""Exports a ViTPose of a standard size (tools/ref's PyTorch model, random
weights) to ONNX for tools/compare-ort.sh, and optionally times PyTorch eager.

  export_vitpose.py export OUT.onnx [SIZE]        (SIZE S, B, L or H; default B)
  export_vitpose.py time THREADS ITERS [SIZE]     PyTorch eager, batch 1

The export uses torch.onnx.export (PyTorch 1.13's own protobuf writer: the
`onnx` Python package is not needed), opset 17 (LayerNormalization is a
native operator there), batch 1, input "image" [1, 3, 256, 192], output
"heatmaps" [1, 17, 64, 48]. Weights are PyTorch's default initialisation
from torch.manual_seed(1): timings depend on the shapes only.

"time" runs torch.set_num_threads(THREADS), 2 warm-up passes under
torch.inference_mode(), then ITERS timed passes, and prints one line:
  torch threads=T batch=1 iters=N median_ms=M min_ms=M cpu_ms=C
cpu_ms is the process's CPU time per pass: about THREADS x median_ms when
the thread count holds. Debian's PyTorch calls the system BLAS (OpenBLAS
when installed), which starts its own threads: run this with
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to THREADS and
OMP_WAIT_POLICY=PASSIVE, or the two thread pools fight over the cores
(compare-ort.sh does).
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import ladderpose_ref as ref  # noqa: E402

SIZES = {"S": (384, 12, 12), "B": (768, 12, 12), "L": (1024, 24, 16), "H": (1280, 32, 16)}


class Heatmaps(torch.nn.Module):
    """The reference model returning the heatmaps alone."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model(image)[0]


def build(size):
    if size not in SIZES:
        sys.exit(f"export_vitpose.py: unknown size {size!r} (want S, B, L or H)")
    dim, depth, heads = SIZES[size]
    cfg = {"dim": dim, "depth": depth, "heads": heads, "mlp_ratio": 4, "ln_eps": 1e-6, "head": "classic",
           "keypoints": 17, "input": [256, 192], "side": None}
    torch.manual_seed(1)
    return Heatmaps(ref.PoseModel(cfg)).eval()


def image():
    g = torch.Generator().manual_seed(2)
    return torch.rand(1, 3, 256, 192, generator=g) * 4 - 2


def export(out, size):
    model = build(size)
    x = image()
    tmp = out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=17, input_names=["image"], output_names=["heatmaps"],
                          do_constant_folding=True)
    os.replace(tmp, out)
    print(f"exported ViTPose-{size} to {out} ({os.path.getsize(out) / 2**20:.1f} MiB)")


def time_eager(threads, iters, size):
    torch.set_num_threads(threads)
    model = build(size)
    x = image()
    times = []
    with torch.inference_mode():
        for _ in range(2):
            model(x)
        c0 = time.process_time()
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1e3)
        cpu = (time.process_time() - c0) * 1e3 / iters
    print(f"torch threads={threads} batch=1 iters={iters} median_ms={statistics.median(times):.2f} min_ms={min(times):.2f} "
          f"cpu_ms={cpu:.2f}")


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "export":
        export(a[1], a[2] if len(a) > 2 else "B")
    elif len(a) >= 3 and a[0] == "time":
        threads, iters = int(a[1]), int(a[2])
        if threads < 1 or iters < 1:
            sys.exit("export_vitpose.py: THREADS and ITERS must be at least 1")
        time_eager(threads, iters, a[3] if len(a) > 3 else "B")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
