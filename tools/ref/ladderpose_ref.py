"""An independent PyTorch implementation of ../shared/SPEC.md sections 1-8.

This is the oracle ladderpose's Go engine is tested against: a plain
transcription of SPEC.md written from the text, not from the Go code. It holds
the frozen ViTPose backbone (section 1; also ViTPose+'s mixture-of-experts
MLP, transcribed from Hugging Face's VitPoseBackboneMoeMLP, and any keypoint
count), the ladder side network (sections
2-6), the output projection and both heatmap heads (section 7) and the joint
loss (section 8), with the parameter names of SPEC.md (mmpose convention), plus
the renaming to Hugging Face VitPose names (section 10).

Test weights come from `splitmix_values`, a tiny PRNG that the Go tests
implement too, so that goldens need not ship the weights: a manifest lists
each tensor's name, shape, seed, scale and offset, and both sides generate the
same float32 values from it.
"""

import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Deterministic test values shared with Go (testutil in the Go tests).

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix_values(seed, n):
    """n float32 values uniform in [-1, 1): element i is derived from
    splitmix64 at state seed + (i+1) * 0x9E3779B97F4A7C15, taking the top 24
    bits: u = (z >> 40) / 2^23 - 1 (exact in float32)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    top = (z >> np.uint64(40)).astype(np.float64)
    return (top / float(1 << 23) - 1.0).astype(np.float32)


def manifest_tensor(entry):
    """The float32 tensor a manifest entry describes: offset + scale * u,
    generated in float32 exactly as the Go side does (u * scale, then + offset,
    each rounded to float32)."""
    shape = entry["shape"]
    n = int(np.prod(shape)) if shape else 1
    u = splitmix_values(entry["seed"], n)
    v = (u * np.float32(entry["scale"])).astype(np.float32) + np.float32(entry["offset"])
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


# ---------------------------------------------------------------------------
# safetensors writer (format: u64 LE header length, JSON header, raw data).


def write_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = tensors[name].detach().cpu().contiguous().numpy().astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------
# Section 1: backbone.


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x, dataset=None):
        return self.fc2(F.gelu(self.fc1(x)))  # exact erf GELU


class MoeMlp(nn.Module):
    """ViTPose+'s mixture-of-experts MLP (Hugging Face's VitPoseBackboneMoeMLP,
    mmpose's ViTPose+): h = GELU(fc1(x)); the output's first dim - part
    features are the shared fc2(h), the last part those of the expert of the
    sample's dataset, experts[dataset](h). Every expert reads all of h."""

    def __init__(self, dim, hidden, experts, part):
        super().__init__()
        self.part = part
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim - part)
        self.experts = nn.ModuleList([nn.Linear(hidden, part) for _ in range(experts)])

    def forward(self, x, dataset):
        """x [B, N, dim]; dataset [B] (one expert index per sample)."""
        h = F.gelu(self.fc1(x))
        shared = self.fc2(h)
        picked = torch.stack([self.experts[int(dataset[b])](h[b]) for b in range(h.shape[0])])
        return torch.cat([shared, picked], dim=-1)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, eps, experts=0, part=0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        hidden = int(dim * mlp_ratio)
        self.mlp = MoeMlp(dim, hidden, experts, part) if experts > 1 else Mlp(dim, hidden)

    def forward(self, x, dataset=None):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x), dataset)


class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 16, stride=16, padding=2)


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["dim"]
        self.h, self.w = cfg["input"][0] // 16, cfg["input"][1] // 16
        self.patch_embed = PatchEmbed(d)
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.h * self.w, d))
        self.blocks = nn.ModuleList(
            [Block(d, cfg["heads"], cfg["mlp_ratio"], cfg["ln_eps"], cfg.get("experts", 0), cfg.get("part_features", 0))
             for _ in range(cfg["depth"])]
        )
        self.experts = cfg.get("experts", 0)
        self.last_norm = nn.LayerNorm(d, eps=cfg["ln_eps"])
        depth = cfg["depth"]
        self.taps = [k * depth // 4 - 1 for k in (1, 2, 3)]

    def forward(self, img, dataset=None):
        """dataset: ViTPose+'s expert per sample (an int for all, or a
        sequence of B ints; 0, COCO, when None); ignored without experts."""
        x = self.patch_embed.proj(img)  # [B, D, h, w]
        x = x.flatten(2).transpose(1, 2)  # [B, N, D]
        x = x + self.pos_embed[:, 1:] + self.pos_embed[:, :1]
        if self.experts > 1:
            if dataset is None:
                dataset = 0
            if isinstance(dataset, int):
                dataset = [dataset] * x.shape[0]
            dataset = torch.as_tensor(dataset, dtype=torch.long).reshape(-1)
            if dataset.numel() != x.shape[0] or dataset.min() < 0 or dataset.max() >= self.experts:
                raise ValueError(f"dataset {dataset.tolist()}: want {x.shape[0]} indices in 0..{self.experts - 1}")
        taps = []
        for i, blk in enumerate(self.blocks):
            x = blk(x, dataset)
            if i in self.taps:
                taps.append(x)
        return self.last_norm(x), taps


# ---------------------------------------------------------------------------
# Sections 2-6: the side network.


def conv_bn(cin, cout, k, stride=1, pad=0, dil=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dil, bias=False), nn.BatchNorm2d(cout)


def tokens(x):
    """[B, C, h, w] -> [B, N, C] with n = row*w + col."""
    return x.flatten(2).transpose(1, 2)


def grid(t, h, w):
    """[B, N, C] -> [B, C, h, w]."""
    b, n, c = t.shape
    return t.transpose(1, 2).reshape(b, c, h, w)


class Stem(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(3, 32, 3, 2, 1)
        self.conv2, self.bn2 = conv_bn(32, c, 3, 2, 1)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


S2 = 1 / math.sqrt(2)
HAAR_L = [S2, S2]
HAAR_H = [S2, -S2]


def haar_kernel(a, b):
    return torch.tensor([[a[r] * b[c] for c in range(2)] for r in range(2)], dtype=torch.float32)


class FreqLevel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.low = nn.Conv2d(c, 4 * c, 1)
        self.high = nn.Conv2d(c, 4 * c, 1)
        self.proj, self.bn = conv_bn(4 * c, c, 1)
        self.c = c

    def forward(self, x):
        b, c, h, w = x.shape
        if h % 2 or w % 2:
            x = F.pad(x, (0, w % 2, 0, h % 2))
        subs = []
        for a, bb in ((HAAR_L, HAAR_L), (HAAR_L, HAAR_H), (HAAR_H, HAAR_L), (HAAR_H, HAAR_H)):
            k = haar_kernel(a, bb).to(x.dtype).reshape(1, 1, 2, 2).repeat(c, 1, 1, 1)
            subs.append(F.conv2d(x, k, stride=2, groups=c))
        ll, lh, hl, hh = subs
        fl = self.low(ll + lh + hl)
        fh = self.high(hh + lh + hl)
        att = torch.softmax(fl + fh, dim=1)
        f = att * torch.cat([ll, lh, hl, hh], dim=1)
        return F.relu(self.bn(self.proj(f)))


class ASPPPool(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv, self.bn = conv_bn(c, c, 1)


class ASPPBranch(nn.Module):
    def __init__(self, cin, cout, k, dil):
        super().__init__()
        self.conv, self.bn = conv_bn(cin, cout, k, 1, dil if k == 3 else 0, dil)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ASPP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pool = ASPPPool(c)
        self.b1 = ASPPBranch(c, c, 1, 1)
        self.b2 = ASPPBranch(c, c, 3, 3)
        self.b3 = ASPPBranch(c, c, 3, 6)
        self.b4 = ASPPBranch(c, c, 3, 9)
        self.proj = ASPPBranch(5 * c, c, 1, 1)
        self.down = nn.Conv2d(c, c, 4, stride=4)

    def forward(self, g):
        b, c, h, w = g.shape
        p = g.mean(dim=(2, 3), keepdim=True)
        b0 = F.relu(self.pool.bn(self.pool.conv(p))).expand(b, c, h, w)
        a = self.proj(torch.cat([b0, self.b1(g), self.b2(g), self.b3(g), self.b4(g)], dim=1))
        return self.down(a)


class CrossAttention(nn.Module):
    """CA(Q, KV) = Q + o(softmax(q(Q) k(KV)^T * scale) v(KV)), nh heads."""

    def __init__(self, e, nh):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(e, e) for _ in range(4))
        self.nh = nh
        self.scale = (e // nh) ** -0.5

    def forward(self, qx, kvx):
        b, nq, e = qx.shape
        nk = kvx.shape[1]
        hd = e // self.nh
        q = self.q(qx).reshape(b, nq, self.nh, hd).transpose(1, 2)
        k = self.k(kvx).reshape(b, nk, self.nh, hd).transpose(1, 2)
        v = self.v(kvx).reshape(b, nk, self.nh, hd).transpose(1, 2)
        att = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, nq, e)
        return qx + self.o(out)


def fusion_level(s):
    if s >= 0.75:
        return 1
    if s >= 0.5:
        return 2
    if s >= 0.25:
        return 3
    return 4


class ASF(nn.Module):
    def __init__(self, d, c, e, nh, h, w):
        super().__init__()
        self.vit_proj = nn.Linear(d, e)
        self.side_proj = nn.Linear(c, e)
        self.vit_query = nn.ModuleList([CrossAttention(e, nh) for _ in range(4)])
        self.side_query = nn.ModuleList([CrossAttention(e, nh) for _ in range(4)])
        self.gate = nn.Linear(2 * e, 2 * e)
        self.h, self.w = h, w

    def similarity(self, vh, sh):
        """Per-sample cosine similarity over all N*e values (no gradient)."""
        with torch.no_grad():
            a = vh.reshape(vh.shape[0], -1)
            b = sh.reshape(sh.shape[0], -1)
            na, nb = a.norm(dim=1), b.norm(dim=1)
            dot = (a * b).sum(dim=1)
            s = torch.where((na > 0) & (nb > 0), dot / (na * nb), torch.zeros_like(dot))
        return s

    def forward(self, fvit, fx):
        vh = self.vit_proj(fvit)
        sh = self.side_proj(fx)
        sims = self.similarity(vh, sh)
        vouts, souts, levels = [], [], []
        for bi in range(vh.shape[0]):
            lvl = fusion_level(float(sims[bi]))
            levels.append(lvl)
            v, s = vh[bi : bi + 1], sh[bi : bi + 1]
            rows = torch.arange(self.h).tensor_split(lvl)
            vparts, sparts = [], []
            for i, r in enumerate(rows):
                t0, t1 = int(r[0]) * self.w, (int(r[-1]) + 1) * self.w
                vparts.append(self.vit_query[i](v[:, t0:t1], s))
                sparts.append(self.side_query[i](s[:, t0:t1], v))
            vouts.append(torch.cat(vparts, dim=1))
            souts.append(torch.cat(sparts, dim=1))
        fc = torch.cat([torch.cat(vouts, 0), torch.cat(souts, 0)], dim=2)
        g = torch.sigmoid(self.gate(fc.mean(dim=1)))
        return g.unsqueeze(1) * fc, torch.tensor(levels, dtype=torch.float32), sims


class KindProj(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.t1 = nn.Linear(cin, c)
        self.t2 = nn.Linear(cin, c)


class MGA(nn.Module):
    def __init__(self, d, c, v, h, w):
        super().__init__()
        self.joint = nn.Linear(d + 2 * c, c)
        self.vit = KindProj(d, c)
        self.fv = KindProj(c, c)
        self.sv = KindProj(c, c)
        self.edge_w = nn.Parameter(torch.zeros(c, c))
        self.edge_a = nn.Parameter(torch.zeros(2 * c))
        self.alpha = nn.Parameter(torch.full((3,), 1 / 3))
        self.beta = nn.Parameter(torch.full((3,), 1 / 3))
        self.out = nn.Conv2d(c, c, 1, bias=False)
        self.out_bn = nn.BatchNorm2d(c)
        self.v, self.c, self.h, self.w = v, c, h, w

    def forward(self, fvit, ffv, fsv):
        j = self.joint(torch.cat([fvit, ffv, fsv], dim=2))
        a1, a2 = self.edge_a[: self.c], self.edge_a[self.c :]
        ps, gs, es = [], [], []
        for kind, x in ((self.vit, fvit), (self.fv, ffv), (self.sv, fsv)):
            xt = kind.t1(x) * torch.softmax(kind.t2(x) + j, dim=2)
            pooled = F.adaptive_avg_pool1d(xt, self.v)  # over the C channels: [B, N, V]
            p = torch.softmax(pooled, dim=1)  # over the N tokens
            g = p.transpose(1, 2) @ xt  # [B, V, C]
            z = g @ self.edge_w
            e = F.leaky_relu((z @ a1).unsqueeze(2) + (z @ a2).unsqueeze(1), 0.2)  # [B, V, V]
            ps.append(p)
            gs.append(g)
            es.append(e)
        fv = sum(self.alpha[i] * gs[i] for i in range(3))
        fe = sum(self.beta[i] * es[i] for i in range(3))
        fv = fv + torch.softmax(fe, dim=2) @ fv
        pbar = (ps[0] + ps[1] + ps[2]) / 3
        y = pbar @ fv  # [B, N, C]
        out = F.relu(self.out_bn(self.out(grid(y, self.h, self.w))))
        return tokens(out)


class Ladder(nn.Module):
    def __init__(self):
        super().__init__()
        self.gates = nn.Parameter(torch.zeros(3))


class Side(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        s = cfg["side"]
        d, c, e, nh, v = cfg["dim"], s["channels"], s["fusion_width"], s["fusion_heads"], s["nodes"]
        h, w = cfg["input"][0] // 16, cfg["input"][1] // 16
        self.h, self.w = h, w
        self.ladder = Ladder()
        self.stem = Stem(c)
        self.freq = nn.ModuleList([FreqLevel(c), FreqLevel(c)])
        self.aspp = ASPP(c)
        self.asf = nn.ModuleDict({"fre": ASF(d, c, e, nh, h, w), "spa": ASF(d, c, e, nh, h, w)})
        self.mga = MGA(d, c, v, h, w)
        self.out_proj = nn.Linear(c, d)


# ---------------------------------------------------------------------------
# Section 7: heads.


class ClassicHead(nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.deconv_layers = nn.Sequential(
            nn.ConvTranspose2d(d, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
        )
        self.final_layer = nn.Conv2d(256, k, 1)

    def forward(self, x):
        return self.final_layer(self.deconv_layers(x))


class SimpleHead(nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.final_layer = nn.Conv2d(d, k, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(F.relu(x), scale_factor=4, mode="bilinear", align_corners=False)
        return self.final_layer(x)


class PoseModel(nn.Module):
    """ViTPose with an optional ladder side network, named as SPEC.md."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        self.side = Side(cfg) if cfg.get("side") else None
        head = ClassicHead if cfg["head"] == "classic" else SimpleHead
        self.keypoint_head = head(cfg["dim"], cfg["keypoints"])
        self.h, self.w = cfg["input"][0] // 16, cfg["input"][1] // 16

    def forward(self, img, train_backbone=False, dataset=None):
        """Returns heatmaps and a dict of the named intermediate tensors.
        The backbone is frozen (no gradient) unless train_backbone. dataset
        picks a ViTPose+ backbone's expert (see Backbone.forward)."""
        out = {}
        with torch.set_grad_enabled(train_backbone and torch.is_grad_enabled()):
            flast, taps = self.backbone(img, dataset)
        out["backbone"] = flast
        z = flast
        if self.side is not None:
            s = self.side
            fvit = flast + sum(s.ladder.gates[k] * taps[k] for k in range(3))
            g = s.stem(img)
            x = g
            for lvl in s.freq:
                x = lvl(x)
            ffre = tokens(x)
            fspa = tokens(s.aspp(g))
            ffv, lfre, sfre = s.asf["fre"](fvit, ffre)
            fsv, lspa, sspa = s.asf["spa"](fvit, fspa)
            ffus = s.mga(fvit, ffv, fsv)
            z = flast + s.out_proj(ffus)
            out.update(f_vit=fvit, f_fre=ffre, f_spa=fspa, f_fv=ffv, f_sv=fsv, f_fus=ffus,
                       level_fre=lfre, level_spa=lspa, sim_fre=sfre, sim_spa=sspa)
        hm = self.keypoint_head(grid(z, self.h, self.w))
        out["heatmaps"] = hm
        return hm, out


# ---------------------------------------------------------------------------
# Section 8: the loss.

COCO_LIMBS = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
              (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]


def udp_targets(kpts, image_hw=(256, 192), heatmap_hw=(64, 48), sigma=2.0):
    """ViTPose's UDP Gaussian targets for keypoints [B, K, 3] (crop x, y, v):
    returns target [B, K, Hh, Wh] and weights [B, K]."""
    b, k, _ = kpts.shape
    hh, wh = heatmap_hw
    fx = (image_hw[1] - 1) / (wh - 1)
    fy = (image_hw[0] - 1) / (hh - 1)
    target = np.zeros((b, k, hh, wh), dtype=np.float32)
    weight = np.zeros((b, k), dtype=np.float32)
    rad = 3 * sigma
    for bi in range(b):
        for ki in range(k):
            x, y, v = (float(t) for t in kpts[bi, ki])
            if v <= 0:
                continue
            mx, my = x / fx, y / fy
            cx, cy = int(mx + 0.5), int(my + 0.5)
            ul = (int(cx - rad), int(cy - rad))
            br = (int(cx + rad + 1), int(cy + rad + 1))
            if ul[0] >= wh or ul[1] >= hh or br[0] < 0 or br[1] < 0:
                continue
            weight[bi, ki] = 1
            # float64 as mmpose computes it, stored as float32
            xs = np.arange(0, wh, dtype=np.float64)
            ys = np.arange(0, hh, dtype=np.float64)[:, None]
            g = np.exp(-((xs - mx) ** 2 + (ys - my) ** 2) / (2 * sigma ** 2))
            x0, x1 = max(0, ul[0]), min(br[0], wh)
            y0, y1 = max(0, ul[1]), min(br[1], hh)
            target[bi, ki, y0:y1, x0:x1] = g[y0:y1, x0:x1]
    return torch.from_numpy(target), torch.from_numpy(weight)


def joint_loss(heatmaps, kpts, lam=0.7, beta=20.0, image_hw=(256, 192)):
    """Loss = lam * L_K + (1 - lam) * L_S (SPEC section 8). kpts [B, K, 3]."""
    b, k, hh, wh = heatmaps.shape
    target, w = udp_targets(kpts.numpy() if torch.is_tensor(kpts) else kpts, image_hw, (hh, wh))
    lk = (w[:, :, None, None] * (heatmaps - target) ** 2).mean(dim=(2, 3)).mean()
    fx = (image_hw[1] - 1) / (wh - 1)
    fy = (image_hw[0] - 1) / (hh - 1)
    prob = torch.softmax(beta * heatmaps.reshape(b, k, -1), dim=2).reshape(b, k, hh, wh)
    xs = torch.arange(wh, dtype=heatmaps.dtype)
    ys = torch.arange(hh, dtype=heatmaps.dtype)
    px = (prob.sum(dim=2) * xs).sum(dim=2) / wh
    py = (prob.sum(dim=3) * ys).sum(dim=2) / wh
    kp = torch.as_tensor(kpts, dtype=heatmaps.dtype)
    gx = kp[:, :, 0] / fx / wh
    gy = kp[:, :, 1] / fy / wh
    norms = []
    for bi in range(b):
        for a, c in COCO_LIMBS:
            if kp[bi, a, 2] > 0 and kp[bi, c, 2] > 0:
                vx = (px[bi, c] - px[bi, a]) - (gx[bi, c] - gx[bi, a])
                vy = (py[bi, c] - py[bi, a]) - (gy[bi, c] - gy[bi, a])
                norms.append(torch.sqrt(vx * vx + vy * vy))
    ls = torch.stack(norms).mean() if norms else heatmaps.sum() * 0
    return lam * lk + (1 - lam) * ls, lk, ls


# ---------------------------------------------------------------------------
# Names.


def to_hf_names(sd, cfg):
    """Renames an mmpose-named state dict (backbone + head) to Hugging Face
    VitPose names, splitting qkv into query, key and value (SPEC section 10)."""
    d = cfg["dim"]
    out = {}
    for name, t in sd.items():
        if name.startswith("side."):
            out[name] = t
            continue
        n = name
        n = n.replace("backbone.patch_embed.proj.", "backbone.embeddings.patch_embeddings.projection.")
        n = n.replace("backbone.pos_embed", "backbone.embeddings.position_embeddings")
        n = n.replace("backbone.last_norm.", "backbone.layernorm.")
        if n.startswith("backbone.blocks."):
            parts = n.split(".")
            i, rest = parts[2], ".".join(parts[3:])
            pre = f"backbone.encoder.layer.{i}."
            if rest.startswith("attn.qkv."):
                kind = rest.split(".")[-1]
                for j, nm in enumerate(("query", "key", "value")):
                    out[pre + f"attention.attention.{nm}.{kind}"] = t[j * d : (j + 1) * d]
                continue
            rest = (rest.replace("norm1.", "layernorm_before.").replace("norm2.", "layernorm_after.")
                    .replace("attn.proj.", "attention.output.dense."))
            n = pre + rest
        if cfg["head"] == "classic":
            n = (n.replace("keypoint_head.deconv_layers.0.", "head.deconv1.")
                 .replace("keypoint_head.deconv_layers.1.", "head.batchnorm1.")
                 .replace("keypoint_head.deconv_layers.3.", "head.deconv2.")
                 .replace("keypoint_head.deconv_layers.4.", "head.batchnorm2.")
                 .replace("keypoint_head.final_layer.", "head.conv."))
        else:
            n = n.replace("keypoint_head.final_layer.", "head.conv.")
        out[n] = t
    return out


def hf_config(cfg):
    """A Hugging Face VitPose config.json for cfg. With keypoint names it is
    written as Hugging Face writes it: id2label and label2id, no num_labels
    (the count is len(id2label)); the skeleton goes to "edges"; ViTPose+
    experts to backbone_config's num_experts and part_features."""
    c = {
        "model_type": "vitpose",
        "backbone_config": {
            "model_type": "vitpose_backbone",
            "hidden_size": cfg["dim"],
            "num_hidden_layers": cfg["depth"],
            "num_attention_heads": cfg["heads"],
            "mlp_ratio": cfg["mlp_ratio"],
            "layer_norm_eps": cfg["ln_eps"],
            "image_size": cfg["input"],
            "patch_size": [16, 16],
        },
        "use_simple_decoder": cfg["head"] == "simple",
    }
    if cfg.get("experts", 0) > 1:
        c["backbone_config"]["num_experts"] = cfg["experts"]
        c["backbone_config"]["part_features"] = cfg["part_features"]
    names = cfg.get("keypoint_names")
    if names:
        assert len(names) == cfg["keypoints"]
        c["id2label"] = {str(i): n for i, n in enumerate(names)}
        c["label2id"] = {n: i for i, n in enumerate(names)}
    else:
        c["num_labels"] = cfg["keypoints"]
    if cfg.get("skeleton"):
        c["edges"] = [list(e) for e in cfg["skeleton"]]
    return c
