#!/usr/bin/env python3
"""Make the bundled sample checkpoint, internal/sample/vitpose_sample.safetensors.

    /usr/bin/python3 tools/make_sample.py

The sample is a tiny ViTPose (width 48, depth 4, 3 heads, the "simple" heatmap
head, 17 COCO keypoints) with PyTorch's default initialisation from a fixed
seed (and ViT's truncated-normal position embedding): untrained, random
weights, there so that the command line and the Go API run end to end on a
fresh clone. Its poses mean nothing; replace it with a trained checkpoint for
real use.

It is built the way a user converts a real model: tools/ref's PyTorch model
(SPEC.md's names) is saved as an mmpose-style .pth ({"state_dict": ...,
"meta": ...}) and converted by tools/convert_mmpose.py with F16 storage (which
ladderpose widens to float32 on load), so the sample also exercises the
converter. The sample image testdata/sample/people.jpg comes from

    go run ./cmd/ladderpose synth -out /tmp/s -n 1 -seed 7 -size 320x240 -people 2-2 -quality 85
    cp /tmp/s/images/000001.jpg testdata/sample/people.jpg
"""

import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "ref"))

import ladderpose_ref  # noqa: E402

CFG = {"dim": 48, "depth": 4, "heads": 3, "mlp_ratio": 4, "ln_eps": 1e-6, "head": "simple",
       "keypoints": 17, "input": [256, 192], "side": None}
OUT = os.path.join(ROOT, "internal", "sample", "vitpose_sample.safetensors")


def main():
    torch.manual_seed(20250601)
    model = ladderpose_ref.PoseModel(CFG)
    with torch.no_grad():
        torch.nn.init.trunc_normal_(model.backbone.pos_embed, std=0.02)
    with tempfile.TemporaryDirectory() as tmp:
        pth = os.path.join(tmp, "vitpose_sample.pth")
        torch.save({"meta": {"note": "ladderpose sample: random weights"}, "state_dict": model.state_dict()}, pth)
        subprocess.run([sys.executable, os.path.join(HERE, "convert_mmpose.py"), pth, OUT,
                        "--heads", str(CFG["heads"]), "--dtype", "F16"], check=True)


if __name__ == "__main__":
    main()
