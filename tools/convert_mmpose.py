#!/usr/bin/env python3
"""Convert an mmpose ViTPose checkpoint (.pth) to a ladderpose safetensors file.

    /usr/bin/python3 tools/convert_mmpose.py vitpose-b.pth vitpose-b.safetensors
    go run ./cmd/ladderpose predict -weights vitpose-b.safetensors image.jpg

Where real ViTPose weights come from:
  - mmpose / ViTPose model zoo: the .pth files linked from
    https://github.com/ViTAE-Transformer/ViTPose (README, "Results from this repo
    on MS COCO val set": vitpose-s/b/l/h, classic and "simple" decoder heads) and
    from mmpose's model zoo (td-hm_ViTPose-*_8xb64-210e_coco-256x192-*.pth).
    Those need this script.
  - Hugging Face: usyd-community/vitpose-base-simple, vitpose-base,
    vitpose-large, ... Their model.safetensors + config.json load as they are
    (pass the folder to -weights); no conversion is needed.

What it does: torch.load(map_location="cpu") (no GPU needed), take
checkpoint["state_dict"] (or ["model"], or the checkpoint itself if it is a
plain state dict), strip a "module." prefix (DataParallel), rename mmpose 1.x's
"head." to mmpose 0.x's "keypoint_head.", keep the floating-point tensors under
backbone., keypoint_head. and side. (BatchNorm's integer num_batches_tracked and
anything else are dropped and listed), and write them as F32 (or, with
--dtype F16, half precision, which ladderpose widens on load) in a safetensors
file with the model config in the "ladderpose.config" metadata (SPEC.md section
0). The config is read from the shapes: width from the patch embedding, depth
from the number of blocks, the MLP ratio from fc1, the head kind from its
tensors, the keypoint count from the final layer. The head count is not in the
shapes: it comes from --heads, else from the standard ViTPose sizes (S, B, L, H
by width and depth). The file is written atomically (temporary file in the
same folder, fsync, rename).

Only the standard library, numpy and torch are used (no safetensors package).
"""

import argparse
import json
import os
import re
import struct
import sys
import tempfile

import numpy as np
import torch

# Standard ViTPose sizes (SPEC.md section 0): (dim, depth) -> heads.
STANDARD = {(384, 12): 12, (768, 12): 12, (1024, 24): 16, (1280, 32): 16}

KEEP_PREFIXES = ("backbone.", "keypoint_head.", "side.")


def state_dict_of(ckpt):
    """The tensor dict inside an mmpose checkpoint."""
    if isinstance(ckpt, dict):
        for key in ("state_dict", "model"):
            if key in ckpt and isinstance(ckpt[key], dict):
                return ckpt[key]
        if all(isinstance(v, torch.Tensor) for v in ckpt.values()):
            return ckpt
    raise SystemExit("convert_mmpose: no state_dict in the checkpoint (keys: %s)"
                     % (sorted(ckpt)[:10] if isinstance(ckpt, dict) else type(ckpt).__name__))


def rename(name):
    if name.startswith("module."):
        name = name[len("module."):]
    if name.startswith("head.") and (name.startswith("head.deconv_layers.") or name.startswith("head.final_layer.")):
        name = "keypoint_head." + name[len("head."):]
    return name


def infer_config(sd, args):
    pw = sd.get("backbone.patch_embed.proj.weight")
    if pw is None:
        raise SystemExit("convert_mmpose: no backbone.patch_embed.proj.weight: not a ViTPose checkpoint")
    dim = pw.shape[0]
    depth = 0
    while "backbone.blocks.%d.norm1.weight" % depth in sd:
        depth += 1
    if depth == 0:
        raise SystemExit("convert_mmpose: no backbone.blocks.0.*")
    heads = args.heads or STANDARD.get((dim, depth))
    if not heads:
        raise SystemExit("convert_mmpose: width %d, depth %d is not a standard ViTPose size: give --heads" % (dim, depth))
    hidden = sd["backbone.blocks.0.mlp.fc1.weight"].shape[0]
    if "keypoint_head.deconv_layers.0.weight" in sd:
        head = "classic"
    elif "keypoint_head.final_layer.weight" in sd:
        head = "simple"
    else:
        raise SystemExit("convert_mmpose: no heatmap head (keypoint_head.deconv_layers.* or keypoint_head.final_layer.*)")
    keypoints = sd["keypoint_head.final_layer.weight"].shape[0]
    cfg = {"dim": dim, "depth": depth, "heads": heads, "mlp_ratio": hidden / dim,
           "ln_eps": args.ln_eps, "head": head, "keypoints": keypoints,
           "input": [args.input_h, args.input_w], "side": None}
    if "side.stem.conv2.weight" in sd:
        cfg["side"] = {"channels": sd["side.stem.conv2.weight"].shape[0],
                       "fusion_width": sd["side.asf.fre.vit_proj.weight"].shape[0],
                       "fusion_heads": args.fusion_heads, "nodes": args.nodes}
    # ViTPose+ (mmpose's ViTMoE): each block's fc2 is split into a shared
    # part and one part_features-wide expert per dataset (0: COCO). Only
    # keypoint_head (COCO's) is kept; the associate_keypoint_heads of the
    # other datasets are dropped and listed.
    experts = 0
    while "backbone.blocks.0.mlp.experts.%d.weight" % experts in sd:
        experts += 1
    if experts > 1:
        cfg["experts"] = experts
        cfg["part_features"] = sd["backbone.blocks.0.mlp.experts.0.weight"].shape[0]
    if float(cfg["mlp_ratio"]).is_integer():
        cfg["mlp_ratio"] = int(cfg["mlp_ratio"])
    return cfg


def write_safetensors(path, tensors, metadata, dtype):
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().float().numpy()).astype(np_dtype)
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)  # data section 8-byte aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description="Convert an mmpose ViTPose .pth to ladderpose safetensors.")
    ap.add_argument("input", help="mmpose checkpoint (.pth)")
    ap.add_argument("output", help="safetensors file to write")
    ap.add_argument("--heads", type=int, default=0, help="attention heads (default: from the standard sizes)")
    ap.add_argument("--ln-eps", type=float, default=1e-6, help="LayerNorm epsilon of the backbone (ViTPose: 1e-6)")
    ap.add_argument("--input-h", type=int, default=256, help="model input height")
    ap.add_argument("--input-w", type=int, default=192, help="model input width")
    ap.add_argument("--fusion-heads", type=int, default=4, help="side network fusion heads (not in the shapes)")
    ap.add_argument("--nodes", type=int, default=16, help="side network graph nodes (not in the shapes)")
    ap.add_argument("--dtype", choices=("F32", "F16"), default="F32", help="storage type")
    args = ap.parse_args()

    ckpt = torch.load(args.input, map_location="cpu")
    sd = {rename(k): v for k, v in state_dict_of(ckpt).items()}
    kept, dropped = {}, []
    for name, t in sd.items():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and name.startswith(KEEP_PREFIXES):
            kept[name] = t
        else:
            dropped.append(name)
    cfg = infer_config(kept, args)
    meta = {"ladderpose.config": json.dumps(cfg, separators=(",", ":")),
            "ladderpose.source": os.path.basename(args.input)}
    write_safetensors(args.output, kept, meta, args.dtype)
    n = sum(t.numel() for t in kept.values())
    print("wrote %s: %d tensors, %d parameters (%s), config %s" % (args.output, len(kept), n, args.dtype, meta["ladderpose.config"]))
    if dropped:
        shown = [d for d in dropped if not re.search(r"num_batches_tracked$", d)]
        print("dropped %d tensors (%d num_batches_tracked)%s" % (
            len(dropped), len(dropped) - len(shown), (": " + ", ".join(shown[:10])) if shown else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
