#!/usr/bin/python3
"""Exports RT-DETR-r18 (tools/ref/rtdetr_ref.py, seeded random weights) to
ONNX for tools/compare-ort.sh, together with the same weights as a Hugging
Face checkpoint folder that our benchmark loads, so both engines run the
same network on the same weights.

  export_detr.py export DIR [SIZE]     writes DIR/model.onnx, DIR/model.safetensors, DIR/config.json
  export_detr.py time THREADS ITERS [SIZE]   PyTorch eager, batch 1

The configuration is PekingU/rtdetr_r18vd's layout (ResNet-18-vd, basic
blocks 2-2-2-2 of widths 64-128-256-512, encoder inputs 128-256-512,
d_model 256, 8 heads, FFN 1024, hidden_expansion 0.5, 3 decoder layers, 300
queries, 80 classes), built by rtdetr_ref.build(config, seed=1). The export
uses torch.onnx.export (PyTorch 1.13's own writer; the `onnx` package is
not needed), opset 17 (grid_sample needs >= 16; LayerNormalization is native
from 17), batch 1, input "pixel_values" [1, 3, SIZE, SIZE] (default 640),
outputs "logits" [1, 300, 80] and "pred_boxes" [1, 300, 4], traced for that
one input size. Our benchmark reads the folder through the environment
variable LADDERPOSE_DETR_R18=DIR (BenchmarkDetect/r18/640).

"time" prints one line as export_vitpose.py's does:
  torch threads=T batch=1 iters=N median_ms=M min_ms=M cpu_ms=C
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import rtdetr_ref as ref  # noqa: E402

SEED = 1


def config():
    return ref.make_config(embedding_size=64, hidden_sizes=[64, 128, 256, 512], depths=[2, 2, 2, 2],
                           layer_type="basic", d_model=256, encoder_heads=8, decoder_heads=8,
                           encoder_ffn_dim=1024, decoder_ffn_dim=1024, hidden_expansion=0.5,
                           decoder_layers=3, num_queries=300, num_labels=80)


def image(size):
    g = torch.Generator().manual_seed(2)
    return torch.rand(1, 3, size, size, generator=g)


class Outputs(torch.nn.Module):
    """The reference model returning (logits, pred_boxes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        logits, boxes = self.model(pixel_values)
        return logits, boxes


def _meshgrid_ij(*tensors, indexing="ij"):
    """torch.meshgrid with indexing="xy" rewritten as "ij" on the swapped
    pair: PyTorch 1.13's ONNX exporter fails on "xy" (its meshgrid symbolic
    swaps a graph value as if it were a list)."""
    if indexing == "xy" and len(tensors) == 2:
        a, b = _meshgrid(tensors[1], tensors[0], indexing="ij")
        return b, a
    return _meshgrid(*tensors, indexing=indexing)


_meshgrid = torch.meshgrid


def export(out, size):
    os.makedirs(out, exist_ok=True)
    model = ref.build(config(), seed=SEED)
    ref.save_folder(model, out)
    x = image(size)
    onnx = os.path.join(out, "model.onnx")
    tmp = onnx + ".tmp"
    with torch.no_grad():
        want = model(x)
        torch.meshgrid = _meshgrid_ij
        try:
            got = model(x)
            torch.onnx.export(Outputs(model), x, tmp, opset_version=17, input_names=["pixel_values"],
                              output_names=["logits", "pred_boxes"], do_constant_folding=True)
        finally:
            torch.meshgrid = _meshgrid
    if not all(torch.equal(a, b) for a, b in zip(want, got)):
        sys.exit("export_detr.py: the meshgrid rewrite changed the model's output")
    os.replace(tmp, onnx)
    print(f"exported RT-DETR-r18 ({size}x{size}) to {onnx} ({os.path.getsize(onnx) / 2**20:.1f} MiB) "
          f"and its weights to {out}")


def time_eager(threads, iters, size):
    torch.set_num_threads(threads)
    model = Outputs(ref.build(config(), seed=SEED))
    x = image(size)
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
        export(a[1], int(a[2]) if len(a) > 2 else 640)
    elif len(a) >= 3 and a[0] == "time":
        threads, iters = int(a[1]), int(a[2])
        if threads < 1 or iters < 1:
            sys.exit("export_detr.py: THREADS and ITERS must be at least 1")
        time_eager(threads, iters, int(a[3]) if len(a) > 3 else 640)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
