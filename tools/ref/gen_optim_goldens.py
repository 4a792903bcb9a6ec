#!/usr/bin/python3
"""AdamW and gradient clipping goldens from torch.optim.AdamW and
torch.nn.utils.clip_grad_norm_: testdata/train/adamw.json.
Run: /usr/bin/python3 tools/ref/gen_optim_goldens.py (from the repo root)."""
import json
import os

import torch

torch.manual_seed(3)
w = torch.nn.Parameter(torch.randn(3, 4))
b = torch.nn.Parameter(torch.randn(4))
case = {"w0": w.detach().reshape(-1).tolist(), "b0": b.detach().tolist(), "steps": []}
opt = torch.optim.AdamW([{"params": [w], "weight_decay": 1e-2}, {"params": [b], "weight_decay": 0.0}],
                        lr=5e-2, betas=(0.9, 0.999), eps=1e-8)
for step in range(6):
    gw, gb = torch.randn(3, 4) * (step + 1), torch.randn(4)
    w.grad, b.grad = gw.clone(), gb.clone()
    norm = torch.nn.utils.clip_grad_norm_([w, b], 5.0)
    opt.step()
    case["steps"].append({"gw": gw.reshape(-1).tolist(), "gb": gb.tolist(), "norm": float(norm),
                          "w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist()})
out = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "train", "adamw.json")
with open(out, "w") as f:
    json.dump(case, f, indent=1)
print("wrote", out)
