#!/usr/bin/python3
"""Writes the model goldens of testdata/models/ from the PyTorch reference.

For each case: <case>.manifest.json (config, every tensor as a splitmix
recipe under mmpose names and under Hugging Face names, the input recipe)
and <case>.out.safetensors (the reference outputs: heatmaps, backbone and, for
side networks, every named intermediate). The Go tests rebuild the weights
and the input from the manifest, so no weights are committed.

Run: /usr/bin/python3 tools/ref/gen_model_goldens.py   (from the repo root)
     /usr/bin/python3 tools/ref/gen_model_goldens.py plus   (only the
     ViTPose-B ViTPose+ and 14-keypoint cases, vitpose_b_moe and vitpose_b_k14)
     /usr/bin/python3 tools/ref/gen_model_goldens.py grads  (only the gradients)
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import ladderpose_ref as ref  # noqa: E402

SMALL_FRE_GAIN = float(os.environ.get("SMALL_FRE_GAIN", "3000"))
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "models")


def name_seed(base, name):
    h = hashlib.sha256(f"{base}:{name}".encode()).digest()
    return int.from_bytes(h[:8], "little")


def recipe(name, shape, base):
    """Scale and offset of a test tensor by its role (keeps activations sane)."""
    last = name.rsplit(".", 1)[-1]
    n = 1
    for d in shape:
        n *= d
    offset, scale = 0.0, 0.1
    if last == "running_var":
        offset, scale = 1.0, 0.5
    elif last == "running_mean":
        scale = 0.2
    elif last in ("weight",) and len(shape) == 1:  # LayerNorm / BatchNorm gamma
        offset, scale = 1.0, 0.2
    elif last == "bias":
        scale = 0.1
    elif last == "pos_embed":
        scale = 0.5
    elif len(shape) >= 2:
        if "deconv" in name or "deconv_layers" in name:
            fan_in = shape[0] * 4  # transposed conv k4 s2: each output sees in*4 terms
        else:
            fan_in = n // shape[0]
        scale = float(np.sqrt(3.0 / fan_in))
    return {"name": name, "shape": list(shape), "seed": name_seed(base, name), "scale": scale, "offset": offset}


def build(cfg, base, overrides=None):
    model = ref.PoseModel(cfg).eval()
    sd = model.state_dict()
    entries = []
    for name, t in sd.items():
        if name.endswith("num_batches_tracked"):
            continue
        e = (overrides or {}).get(name) or recipe(name, list(t.shape), base)
        e = dict(e, name=name, shape=list(t.shape))
        if "seed" not in e:
            e["seed"] = name_seed(base, name)
        entries.append(e)
        sd[name] = ref.manifest_tensor(e)
    model.load_state_dict(sd)
    return model, entries


def hf_entries(entries, cfg):
    """The same recipes under Hugging Face names: q/k/v are row slices of the
    mmpose qkv recipe."""
    d = cfg["dim"]
    sd_names = {e["name"]: e for e in entries}
    fake = {n: torch.zeros(e["shape"]) for n, e in sd_names.items()}
    renamed = ref.to_hf_names(fake, cfg)
    out = []
    for hn, t in renamed.items():
        src = None
        for mn in sd_names:
            if ref.to_hf_names({mn: torch.zeros(sd_names[mn]["shape"])}, cfg).get(hn) is not None:
                src = mn
                break
        e = dict(sd_names[src])
        e["name"] = hn
        if ".attention.attention." in hn:
            j = ("query", "key", "value").index(hn.split(".")[-2])
            e["gen_shape"] = e["shape"]
            e["rows"] = [j * d, (j + 1) * d]
            e["shape"] = [d] + e["shape"][1:]
        out.append(e)
    return sorted(out, key=lambda e: e["name"])


def input_recipe(b, seed, amps):
    return {"shape": [b, 3, 256, 192], "seed": seed, "scale": 1.0, "offset": 0.0, "amps": amps}


def make_input(rec):
    x = ref.manifest_tensor(rec)
    amps = torch.tensor(rec["amps"], dtype=torch.float32).reshape(-1, 1, 1, 1)
    return (x * amps).to(torch.float32)


def write_case(case, cfg, model, entries, inp, extra_meta=None, outputs=True, datasets=None):
    """datasets (ViTPose+): the experts to run, all samples with one expert
    per pass; the first one's outputs go under the plain names, the others'
    as "<name>.dataset<N>" (only heatmaps and backbone), and the manifest
    lists them as "datasets"."""
    x = make_input(inp)
    with torch.no_grad():
        hm, outs = model(x, dataset=datasets[0] if datasets else None)
    outs = {k: v for k, v in outs.items() if torch.is_tensor(v)}
    if datasets:
        extra_meta = dict(extra_meta or {}, datasets=list(datasets))
        for ds in datasets[1:]:
            with torch.no_grad():
                hm2, o2 = model(x, dataset=ds)
            outs[f"heatmaps.dataset{ds}"] = hm2
            outs[f"backbone.dataset{ds}"] = o2["backbone"]
            d = float((hm2 - hm).abs().max() / hm.abs().max())
            print(f"{case}: dataset {ds} vs {datasets[0]}: heatmaps differ by {d:.3g} of max|h|")
    manifest = {"case": case, "config": cfg, "input": inp, "tensors": entries}
    if not cfg.get("side"):
        manifest["hf_tensors"] = hf_entries(entries, cfg)
        manifest["hf_config"] = ref.hf_config(cfg)
    if extra_meta:
        manifest.update(extra_meta)
    with open(os.path.join(OUT, case + ".manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    if outputs:
        ref.write_safetensors(os.path.join(OUT, case + ".out.safetensors"), outs,
                              {"generator": "tools/ref/gen_model_goldens.py", "torch": torch.__version__})
    amax = float(hm.abs().max())
    print(f"{case}: heatmaps {tuple(hm.shape)} max|h| {amax:.4g}", {k: tuple(v.shape) for k, v in outs.items()})


def tiny_cfg(head="classic", side=None, dim=48, depth=4, heads=3):
    return {"dim": dim, "depth": depth, "heads": heads, "mlp_ratio": 4, "ln_eps": 1e-6, "head": head,
            "keypoints": 17, "input": [256, 192], "side": side}


def side_cfg(dim, depth, heads, c, e, nh, v):
    cfg = tiny_cfg(dim=dim, depth=depth, heads=heads)
    cfg["side"] = {"channels": c, "fusion_width": e, "fusion_heads": nh, "nodes": v}
    return cfg


def side_overrides(base, c, gains):
    """Recipes that make the fusion levels depend on the input: both ASF
    projections share one bias vector and the ViT projection's weight is
    tiny, so Vh is nearly that vector and cos(Vh, Sh) falls as the side
    features (which scale with the input amplitude) grow. The frequency path's
    BatchNorm shifts are zero so its features vanish with the input. MGA's
    alpha and beta start near 1/3 as in SPEC.md."""
    ov = {}
    for kind, gain in zip(("fre", "spa"), gains):
        p = f"side.asf.{kind}."
        shared = name_seed(base, p + "shared_bias")
        ov[p + "vit_proj.bias"] = {"seed": shared, "scale": 1.0, "offset": 0.0}
        ov[p + "side_proj.bias"] = {"seed": shared, "scale": 1.0, "offset": 0.0}
        ov[p + "vit_proj.weight"] = {"seed": name_seed(base, p + "vit_proj.weight"), "scale": 0.005, "offset": 0.0}
        ov[p + "side_proj.weight"] = {"seed": name_seed(base, p + "side_proj.weight"),
                                      "scale": gain * float(np.sqrt(3.0 / c)), "offset": 0.0}
    for j in (0, 1):
        for t in ("bias", "running_mean"):
            n = f"side.freq.{j}.bn.{t}"
            ov[n] = {"seed": name_seed(base, n), "scale": 0.0, "offset": 0.0}
    for a in ("alpha", "beta"):
        ov["side.mga." + a] = {"seed": name_seed(base, "side.mga." + a), "scale": 0.1, "offset": 1 / 3}
    return ov


THRESHOLDS = (0.25, 0.5, 0.75)
MARGIN = 0.01


def safe(s):
    return all(abs(s - t) > MARGIN for t in THRESHOLDS)


def pick_amplitudes(model, seed, nsamples):
    """Amplitudes whose samples cover the frequency path's levels (and as
    many of the spatial path's as the curve allows), each sim at least MARGIN
    from every threshold."""
    amps = [0.0] + list(np.geomspace(0.05, 256, 47))
    x = ref.manifest_tensor({"shape": [len(amps), 3, 256, 192], "seed": seed, "scale": 1.0, "offset": 0.0})
    x = x * torch.tensor(amps, dtype=torch.float32).reshape(-1, 1, 1, 1)
    with torch.no_grad():
        _, o = model(x)
    cands = []
    for i, a in enumerate(amps):
        sf, ss = float(o["sim_fre"][i]), float(o["sim_spa"][i])
        if safe(sf) and safe(ss):
            cands.append((float(np.float32(a)), ref.fusion_level(sf), ref.fusion_level(ss)))
    chosen, seen_f, seen_s = [], set(), set()
    for a, lf, ls in cands:  # first cover the frequency levels, preferring new spatial ones
        if lf not in seen_f and len(chosen) < nsamples:
            better = [c for c in cands if c[1] == lf and c[2] not in seen_s]
            pick = better[0] if better else (a, lf, ls)
            chosen.append(pick)
            seen_f.add(pick[1])
            seen_s.add(pick[2])
    for c in cands:
        if len(chosen) < nsamples and c[2] not in seen_s:
            chosen.append(c)
            seen_s.add(c[2])
    for c in cands:
        if len(chosen) < nsamples and c not in chosen:
            chosen.append(c)
    return [c[0] for c in chosen], sorted(seen_f), sorted(seen_s)


def side_case(case, cfg, gains, nsamples):
    c = cfg["side"]["channels"]
    ov = side_overrides(case, c, gains)
    model, entries = build(cfg, case, ov)
    seed = name_seed(case, "input")
    amps, lf, ls = pick_amplitudes(model, seed, nsamples)
    print(f"{case}: amplitudes {amps}: frequency levels {lf}, spatial levels {ls}")
    write_case(case, cfg, model, entries, input_recipe(nsamples, seed, amps))


SUB_LIMIT = 8192  # gradients larger than this are stored subsampled


def trained_grads(model, x, kp, trainable, full, dtype):
    """One train-mode forward/backward of the joint loss in dtype; returns
    the loss parts, the gradients (float64 numpy) and the model."""
    model = model.to(dtype)
    model.train()
    for n, p in model.named_parameters():
        p.requires_grad_(n in trainable)
        p.grad = None
    hm, _ = model(x.to(dtype), train_backbone=full)
    loss, lk, ls = ref.joint_loss(hm, torch.from_numpy(kp).to(dtype), lam=0.7)
    loss.backward()
    params = dict(model.named_parameters())
    grads = {}
    for n in trainable:
        gr = params[n].grad  # None for modules no sample used (a strip module above its level)
        grads[n] = (gr if gr is not None else torch.zeros_like(params[n])).detach().double().reshape(-1).numpy()
    return (float(loss), float(lk), float(ls)), grads, model


def grad_case(case, src, full):
    """Training goldens for the model of manifest `src`: one train-mode
    forward (BatchNorm on batch statistics) and backward of the joint loss on
    random keypoints, computed by PyTorch in float64 (the true gradient) and
    in float32. Writes loss, loss_k, loss_s, every trainable parameter's
    float64 gradient (side.* and keypoint_head.*, or all with full), PyTorch
    float32's own error against it (||g32 - g64|| / ||g64||, `pterr.`), and
    the BatchNorm running statistics after the step."""
    with open(os.path.join(OUT, src + ".manifest.json")) as f:
        man = json.load(f)
    cfg = man["config"]

    def fresh():
        model = ref.PoseModel(cfg)
        sd = model.state_dict()
        for e in man["tensors"]:
            sd[e["name"]] = ref.manifest_tensor(e)
        model.load_state_dict(sd)
        return model

    x = make_input(man["input"])
    b = x.shape[0]
    rng = np.random.default_rng(name_seed(case, "keypoints") % (2**32))
    kp = np.zeros((b, 17, 3), dtype=np.float32)
    kp[:, :, 0] = np.round(rng.uniform(-20, 211, (b, 17)) * 4) / 4  # exact in float32
    kp[:, :, 1] = np.round(rng.uniform(-20, 275, (b, 17)) * 4) / 4
    kp[:, :, 2] = rng.choice([0, 1, 2], (b, 17), p=[0.2, 0.3, 0.5])
    trainable = [n for n, _ in fresh().named_parameters()
                 if full or n.startswith("side.") or n.startswith("keypoint_head.")]
    parts64, g64, m64 = trained_grads(fresh(), x, kp, trainable, full, torch.float64)
    parts32, g32, _ = trained_grads(fresh(), x, kp, trainable, full, torch.float32)
    out = {"keypoints": torch.from_numpy(kp)}
    for name, v in zip(("loss", "loss_k", "loss_s"), parts64):
        out[name] = torch.tensor([v], dtype=torch.float32)
    meta = {"generator": "tools/ref/gen_model_goldens.py", "source": src, "mode": "full" if full else "side",
            "sub_limit": str(SUB_LIMIT), "reference": "PyTorch float64; pterr.* = PyTorch float32's relative error"}
    worst = 0.0
    for n in trainable:
        g, g2 = g64[n], g32[n]
        nrm = np.linalg.norm(g)
        err = float(np.linalg.norm(g2 - g) / nrm) if nrm > 0 else float(np.linalg.norm(g2))
        if ".k.bias" not in n:
            worst = max(worst, err)
        out["pterr." + n] = torch.tensor([err], dtype=torch.float32)
        out["gradnorm." + n] = torch.tensor([nrm], dtype=torch.float32)
        if g.size > SUB_LIMIT:
            stride = (g.size + SUB_LIMIT - 1) // SUB_LIMIT
            out["gradsub." + n] = torch.from_numpy(g[::stride].astype(np.float32))
        else:
            out["grad." + n] = torch.from_numpy(g.astype(np.float32))
    for n, t in m64.state_dict().items():
        if n.endswith("running_mean") or n.endswith("running_var"):
            out["after." + n] = t.detach().float().clone()
    ref.write_safetensors(os.path.join(OUT, case + ".grad.safetensors"), out, meta)
    print(f"{case}: loss {parts64[0]:.6f} (L_K {parts64[1]:.6g}, L_S {parts64[2]:.6g}), {len(trainable)} gradients; "
          f"PyTorch float32 vs float64: worst {worst:.3g}")


def train_side_case():
    """A side network for the gradient test: moderate gains (well conditioned
    in float32) that still put train-mode samples in several fusion levels."""
    case = "side_tiny_train"
    cfg = side_cfg(48, 4, 3, 32, 16, 4, 8)
    model, entries = build(cfg, case, side_overrides(case, 32, (10.0, 1.0)))
    write_case(case, cfg, model, entries, input_recipe(5, name_seed(case, "input"), [0.0, 8.0, 16.0, 32.0, 64.0]), outputs=False)


# A 14-keypoint set (CrowdPose's order) and a skeleton over it, for the
# keypoint-set case.
K14_NAMES = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head_top", "neck"]
K14_SKELETON = [[12, 13], [13, 0], [13, 1], [0, 2], [2, 4], [1, 3], [3, 5], [0, 6], [1, 7], [6, 7],
                [6, 8], [8, 10], [7, 9], [9, 11]]


def plus_cases():
    """ViTPose-B size (D 768, depth 12, heads 12), batch 1: a ViTPose+
    backbone with usyd-community/vitpose-plus-base's experts (6 experts,
    part_features 192; classic head; outputs for datasets 3 and 0), and a
    14-keypoint model (simple head, keypoint names and a skeleton)."""
    cfg = tiny_cfg(dim=768, depth=12, heads=12)
    cfg.update(experts=6, part_features=192)
    model, entries = build(cfg, "vitpose_b_moe")
    write_case("vitpose_b_moe", cfg, model, entries, input_recipe(1, name_seed("vitpose_b_moe", "input"), [1.0]),
               datasets=[3, 0])
    cfg = tiny_cfg("simple", dim=768, depth=12, heads=12)
    cfg.update(keypoints=14, keypoint_names=K14_NAMES, skeleton=K14_SKELETON)
    model, entries = build(cfg, "vitpose_b_k14")
    write_case("vitpose_b_k14", cfg, model, entries, input_recipe(1, name_seed("vitpose_b_k14", "input"), [1.0]))


def main():
    os.makedirs(OUT, exist_ok=True)
    if len(sys.argv) > 1 and sys.argv[1] == "plus":
        plus_cases()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "grads":
        train_side_case()
        grad_case("side_tiny_train", "side_tiny_train", full=False)
        grad_case("vitpose_tiny_simple_train", "vitpose_tiny_simple", full=True)
        return
    torch.manual_seed(0)
    # Plain ViTPose: tiny (classic and simple heads) and ViTPose-S.
    for case, cfg, b in (("vitpose_tiny", tiny_cfg(), 2),
                         ("vitpose_tiny_simple", tiny_cfg("simple"), 2),
                         ("vitpose_s", tiny_cfg(dim=384, depth=12, heads=12), 1)):
        model, entries = build(cfg, case)
        write_case(case, cfg, model, entries, input_recipe(b, name_seed(case, "input"), [1.0] * b))
    # Side networks: tiny (C=32) and small (ViTPose-S with SPEC.md's C=128),
    # with non-zero output projections and samples in different fusion levels.
    side_case("side_tiny", side_cfg(48, 4, 3, 32, 16, 4, 8), (300.0, 2.0), 5)
    side_case("side_small", side_cfg(384, 12, 12, 128, 64, 4, 16), (SMALL_FRE_GAIN, 2.0), 4)
    # ViTPose+ experts and a 14-keypoint set at ViTPose-B size.
    plus_cases()
    # Training: side-tuning gradients and full fine-tuning gradients.
    train_side_case()
    grad_case("side_tiny_train", "side_tiny_train", full=False)
    grad_case("vitpose_tiny_simple_train", "vitpose_tiny_simple", full=True)


if __name__ == "__main__":
    main()
