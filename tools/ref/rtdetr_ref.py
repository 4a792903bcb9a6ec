#!/usr/bin/python3
"""An independent PyTorch transcription of RT-DETR (v1) inference.

Transcribed from Hugging Face transformers' modeling_rt_detr.py and
modeling_rt_detr_resnet.py (RTDetrForObjectDetection with the rt_detr_resnet
backbone), inference path only: no denoising queries, no losses, no dropout.
It does not import transformers. The modules are plain torch modules whose
state_dict keys are Hugging Face's exact names, so a published checkpoint
folder (model.safetensors + config.json) loads into it, and a folder written
by save_folder loads into Hugging Face and into our Go package detect.

    build(config_dict, seed) -> model        seeded random weights (seed None: torch defaults)
    load_folder(dir, dtype)  -> (model, cfg) a Hugging Face checkpoint folder
    model(pixel_values)      -> (logits [B,Q,C], pred_boxes [B,Q,4])
    model.forward_all(px)    -> dict of every named intermediate (the goldens'
                                names: backbone_feature{l}, encoder_aifi_out,
                                encoder_level{l}, enc_topk_indices, ...)

The forward pass avoids data-dependent Python control flow (shapes only), so
torch.onnx.export(model, px, ..., opset_version=16) traces it for a fixed
input size (grid_sample needs opset >= 16).

Torch 1.13 is enough (Debian python3-torch); numpy for the safetensors I/O.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# safetensors I/O (format: u64 LE header length, JSON header, raw data)
# ---------------------------------------------------------------------------

_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
_ST = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.float64): "F64",
       np.dtype(np.int64): "I64", np.dtype(np.int32): "I32"}


def read_safetensors(path):
    """Returns {name: float32/float64 numpy array}; BF16 is widened exactly."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_NP[e["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: numpy array} (F32/F16/F64/I64/I32), names sorted, header
    padded so that the data section starts 8-byte aligned."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _ST[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
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
# building blocks
# ---------------------------------------------------------------------------

def activation(name):
    """Hugging Face's ACT2CLS for the names RT-DETR configs use."""
    if name is None:
        return nn.Identity()
    return {"relu": nn.ReLU(), "silu": nn.SiLU(), "swish": nn.SiLU(), "gelu": nn.GELU()}[name]


class BatchNorm(nn.Module):
    """Inference BatchNorm with Hugging Face's buffer names.

    frozen=True is RTDetrFrozenBatchNorm2d (backbone; eps fixed at 1e-5,
    x * scale + shift); frozen=False is nn.BatchNorm2d in eval mode."""

    def __init__(self, n, eps=1e-5, frozen=False):
        super().__init__()
        self.eps, self.frozen = eps, frozen
        self.register_buffer("weight", torch.ones(n))
        self.register_buffer("bias", torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, x):
        if self.frozen:
            scale = self.weight.reshape(1, -1, 1, 1) * (self.running_var.reshape(1, -1, 1, 1) + 1e-5).rsqrt()
            shift = self.bias.reshape(1, -1, 1, 1) - self.running_mean.reshape(1, -1, 1, 1) * scale
            return x * scale + shift
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


class MLP(nn.Module):
    """RTDetrMLPPredictionHead: Linear layers with ReLU between them."""

    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


def inverse_sigmoid(x, eps=1e-5):
    x = x.clamp(min=0, max=1)
    return torch.log(x.clamp(min=eps) / (1 - x).clamp(min=eps))


# ---------------------------------------------------------------------------
# ResNet-vd backbone (modeling_rt_detr_resnet.py)
# ---------------------------------------------------------------------------

class ResNetConvLayer(nn.Module):
    """Conv (no bias, padding k//2) + frozen BN + activation."""

    def __init__(self, cin, cout, k=3, stride=1, act="relu"):
        super().__init__()
        self.convolution = nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False)
        self.normalization = BatchNorm(cout, frozen=True)
        self.activation = activation(act)

    def forward(self, x):
        return self.activation(self.normalization(self.convolution(x)))


class ResNetShortCut(nn.Module):
    """1x1 conv + frozen BN on the residual path."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.convolution = nn.Conv2d(cin, cout, 1, stride, bias=False)
        self.normalization = BatchNorm(cout, frozen=True)

    def forward(self, x):
        return self.normalization(self.convolution(x))


def vd_shortcut(cin, cout):
    """ResNet-vd downsampling shortcut: 2x2 average pool (ceil mode), then 1x1."""
    return nn.Sequential(nn.AvgPool2d(2, 2, 0, ceil_mode=True), ResNetShortCut(cin, cout, 1))


class ResNetBasicLayer(nn.Module):
    def __init__(self, cin, cout, stride, first, act):
        super().__init__()
        if cin != cout:
            self.shortcut = vd_shortcut(cin, cout) if first else nn.Identity()
        else:
            self.shortcut = ResNetShortCut(cin, cout, stride) if first else nn.Identity()
        self.layer = nn.Sequential(ResNetConvLayer(cin, cout, 3, stride, act), ResNetConvLayer(cout, cout, 3, 1, None))
        self.activation = activation(act)

    def forward(self, x):
        return self.activation(self.layer(x) + self.shortcut(x))


class ResNetBottleNeckLayer(nn.Module):
    def __init__(self, cin, cout, stride, act, downsample_in_bottleneck):
        super().__init__()
        apply = cin != cout or stride != 1
        mid = cout // 4
        if stride == 2:
            self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2, 0, ceil_mode=True),
                                          ResNetShortCut(cin, cout, 1) if apply else nn.Identity())
        else:
            self.shortcut = ResNetShortCut(cin, cout, stride) if apply else nn.Identity()
        s1, s2 = (stride, 1) if downsample_in_bottleneck else (1, stride)
        self.layer = nn.Sequential(ResNetConvLayer(cin, mid, 1, s1, act), ResNetConvLayer(mid, mid, 3, s2, act),
                                   ResNetConvLayer(mid, cout, 1, 1, None))
        self.activation = activation(act)

    def forward(self, x):
        return self.activation(self.layer(x) + self.shortcut(x))


class ResNetStage(nn.Module):
    def __init__(self, bc, cin, cout, stride, depth):
        super().__init__()
        act = bc.get("hidden_act", "relu")
        if bc.get("layer_type", "bottleneck") == "bottleneck":
            dib = bc.get("downsample_in_bottleneck", False)
            layers = [ResNetBottleNeckLayer(cin, cout, stride, act, dib)]
            layers += [ResNetBottleNeckLayer(cout, cout, 1, act, dib) for _ in range(depth - 1)]
        else:
            layers = [ResNetBasicLayer(cin, cout, stride, True, act)]
            layers += [ResNetBasicLayer(cout, cout, 1, False, act) for _ in range(depth - 1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ResNetEmbeddings(nn.Module):
    """Three-conv stem (stride 2, 1, 1) and a 3x3 stride-2 max pool."""

    def __init__(self, bc):
        super().__init__()
        c, e, act = bc.get("num_channels", 3), bc["embedding_size"], bc.get("hidden_act", "relu")
        self.embedder = nn.Sequential(ResNetConvLayer(c, e // 2, 3, 2, act), ResNetConvLayer(e // 2, e // 2, 3, 1, act),
                                      ResNetConvLayer(e // 2, e, 3, 1, act))
        self.pooler = nn.MaxPool2d(3, 2, 1)

    def forward(self, x):
        return self.pooler(self.embedder(x))


class ResNetEncoder(nn.Module):
    def __init__(self, bc):
        super().__init__()
        hs, ds = bc["hidden_sizes"], bc["depths"]
        first_stride = 2 if bc.get("downsample_in_first_stage", False) else 1
        self.stages = nn.ModuleList([ResNetStage(bc, bc["embedding_size"], hs[0], first_stride, ds[0])])
        for cin, cout, d in zip(hs, hs[1:], ds[1:]):
            self.stages.append(ResNetStage(bc, cin, cout, 2, d))


class ResNetBackbone(nn.Module):
    """RTDetrResNetBackbone: returns the feature maps of out_indices (0 = stem)."""

    def __init__(self, bc):
        super().__init__()
        self.embedder = ResNetEmbeddings(bc)
        self.encoder = ResNetEncoder(bc)
        self.out_indices = list(bc.get("out_indices") or [2, 3, 4])

    def forward(self, x):
        states = [self.embedder(x)]
        for stage in self.encoder.stages:
            states.append(stage(states[-1]))
        return [states[i] for i in self.out_indices]


class ConvEncoder(nn.Module):
    """RTDetrConvEncoder: holds the backbone under .model."""

    def __init__(self, bc):
        super().__init__()
        self.model = ResNetBackbone(bc)

    def forward(self, x):
        return self.model(x)


# ---------------------------------------------------------------------------
# hybrid encoder: AIFI + CCFM (modeling_rt_detr.py)
# ---------------------------------------------------------------------------

class ConvNormLayer(nn.Module):
    """RTDetrConvNormLayer: conv (no bias) + BatchNorm2d(batch_norm_eps) + act."""

    def __init__(self, cfg, cin, cout, k, stride, padding=None, act=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=(k - 1) // 2 if padding is None else padding, bias=False)
        self.norm = BatchNorm(cout, cfg.get("batch_norm_eps", 1e-5))
        self.activation = activation(act)

    def forward(self, x):
        return self.activation(self.norm(self.conv(x)))


class MultiheadAttention(nn.Module):
    """RTDetrMultiheadAttention: position embeddings are added to queries and
    keys, not to values; queries are scaled by head_dim^-0.5."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x, pos):
        b, n, d = x.shape
        xp = x + pos
        q = (self.q_proj(xp) * self.scaling).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(xp).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        out = (att @ v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(out)


class EncoderLayer(nn.Module):
    """RTDetrEncoderLayer (AIFI): self-attention and FFN, post- or pre-norm."""

    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["encoder_hidden_dim"], cfg.get("layer_norm_eps", 1e-5)
        self.normalize_before = cfg.get("normalize_before", False)
        self.self_attn = MultiheadAttention(d, cfg["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=eps)
        self.act = activation(cfg.get("encoder_activation_function", "gelu"))
        self.fc1 = nn.Linear(d, cfg["encoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, pos):
        residual = x
        if self.normalize_before:
            x = self.self_attn_layer_norm(x)
        x = residual + self.self_attn(x, pos)
        if not self.normalize_before:
            x = self.self_attn_layer_norm(x)
        if self.normalize_before:
            x = self.final_layer_norm(x)
        residual = x
        x = residual + self.fc2(self.act(self.fc1(x)))
        if not self.normalize_before:
            x = self.final_layer_norm(x)
        return x


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(cfg) for _ in range(cfg["encoder_layers"])])

    def forward(self, x, pos):
        for layer in self.layers:
            x = layer(x, pos)
        return x


class RepVggBlock(nn.Module):
    """3x3 conv-BN plus 1x1 conv-BN, then the activation."""

    def __init__(self, cfg):
        super().__init__()
        h = int(cfg["encoder_hidden_dim"] * cfg["hidden_expansion"])
        self.conv1 = ConvNormLayer(cfg, h, h, 3, 1, padding=1)
        self.conv2 = ConvNormLayer(cfg, h, h, 1, 1, padding=0)
        self.activation = activation(cfg.get("activation_function", "silu"))

    def forward(self, x):
        return self.activation(self.conv1(x) + self.conv2(x))


class CSPRepLayer(nn.Module):
    """RTDetrCSPRepLayer: two 1x1 branches, three RepVGG blocks on the first,
    summed, then a 1x1 conv3 when the hidden width differs."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["encoder_hidden_dim"]
        h = int(d * cfg["hidden_expansion"])
        act = cfg.get("activation_function", "silu")
        self.conv1 = ConvNormLayer(cfg, 2 * d, h, 1, 1, act=act)
        self.conv2 = ConvNormLayer(cfg, 2 * d, h, 1, 1, act=act)
        self.bottlenecks = nn.Sequential(*[RepVggBlock(cfg) for _ in range(3)])
        self.conv3 = ConvNormLayer(cfg, h, d, 1, 1, act=act) if h != d else nn.Identity()

    def forward(self, x):
        return self.conv3(self.bottlenecks(self.conv1(x)) + self.conv2(x))


def sincos_position_embedding(width, height, dim, temperature, dtype):
    """build_2d_sincos_position_embedding: [1, h*w, dim], row-major positions,
    channels [sin(y w), cos(y w), sin(x w), cos(x w)]."""
    # meshgrid(indexing="xy") written out (torch 1.13 cannot export meshgrid to ONNX)
    gw = torch.arange(width, dtype=dtype)[None, :].expand(height, width)
    gh = torch.arange(height, dtype=dtype)[:, None].expand(height, width)
    pd = dim // 4
    omega = 1.0 / (temperature ** (torch.arange(pd, dtype=dtype) / pd))
    ow = gw.flatten()[:, None] @ omega[None]
    oh = gh.flatten()[:, None] @ omega[None]
    return torch.cat([oh.sin(), oh.cos(), ow.sin(), ow.cos()], dim=1)[None]


class HybridEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, act = cfg["encoder_hidden_dim"], cfg.get("activation_function", "silu")
        n = len(cfg["encoder_in_channels"]) - 1
        self.encoder = nn.ModuleList([Encoder(cfg) for _ in cfg["encode_proj_layers"]])
        self.lateral_convs = nn.ModuleList([ConvNormLayer(cfg, d, d, 1, 1, act=act) for _ in range(n)])
        self.fpn_blocks = nn.ModuleList([CSPRepLayer(cfg) for _ in range(n)])
        self.downsample_convs = nn.ModuleList([ConvNormLayer(cfg, d, d, 3, 2, act=act) for _ in range(n)])
        self.pan_blocks = nn.ModuleList([CSPRepLayer(cfg) for _ in range(n)])

    def forward(self, feats, taps):
        cfg, d = self.cfg, self.cfg["encoder_hidden_dim"]
        feats = list(feats)
        if cfg["encoder_layers"] > 0:
            for i, lvl in enumerate(cfg["encode_proj_layers"]):
                b, _, h, w = feats[lvl].shape
                src = feats[lvl].flatten(2).permute(0, 2, 1)
                pos = sincos_position_embedding(w, h, d, cfg.get("positional_encoding_temperature", 10000),
                                                src.dtype)
                out = self.encoder[i](src, pos)
                feats[lvl] = out.permute(0, 2, 1).reshape(-1, d, h, w).contiguous()
                taps["encoder_aifi_out"] = feats[lvl]
        # top-down FPN
        n = len(self.lateral_convs)
        fpn = [feats[-1]]
        for idx in range(n):
            top = self.lateral_convs[idx](fpn[-1])
            fpn[-1] = top
            up = F.interpolate(top, scale_factor=2.0, mode="nearest")
            fpn.append(self.fpn_blocks[idx](torch.cat([up, feats[n - idx - 1]], dim=1)))
        fpn.reverse()
        # bottom-up PAN
        pan = [fpn[0]]
        for idx in range(n):
            down = self.downsample_convs[idx](pan[-1])
            pan.append(self.pan_blocks[idx](torch.cat([down, fpn[idx + 1]], dim=1)))
        return pan


# ---------------------------------------------------------------------------
# decoder with multi-scale deformable attention
# ---------------------------------------------------------------------------

def ms_deform_attn(value, shapes, sampling_locations, attention_weights):
    """MultiScaleDeformableAttention (pure PyTorch path): bilinear sampling with
    grid_sample(align_corners=False, padding_mode="zeros") per level.

    value [B, S, H, Dh], shapes [(h, w)], sampling_locations [B, Q, H, L, P, 2]
    in [0, 1] (x, y), attention_weights [B, Q, H, L, P] -> [B, Q, H*Dh]."""
    b, _, nh, dh = value.shape
    _, q, _, nl, npt, _ = sampling_locations.shape
    values = value.split([h * w for h, w in shapes], dim=1)
    grids = 2 * sampling_locations - 1
    sampled = []
    for lvl, (h, w) in enumerate(shapes):
        v = values[lvl].flatten(2).transpose(1, 2).reshape(b * nh, dh, h, w)
        g = grids[:, :, :, lvl].transpose(1, 2).flatten(0, 1)  # [B*H, Q, P, 2]
        sampled.append(F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False))
    aw = attention_weights.transpose(1, 2).reshape(b * nh, 1, q, nl * npt)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * aw).sum(-1).view(b, nh * dh, q)
    return out.transpose(1, 2).contiguous()


class MultiscaleDeformableAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.heads, self.levels, self.points = cfg["decoder_attention_heads"], cfg["num_feature_levels"], \
            cfg["decoder_n_points"]
        hlp = self.heads * self.levels * self.points
        self.sampling_offsets = nn.Linear(d, hlp * 2)
        self.attention_weights = nn.Linear(d, hlp)
        self.value_proj = nn.Linear(d, d)
        self.output_proj = nn.Linear(d, d)

    def forward(self, x, pos, memory, ref, shapes):
        x = x + pos
        b, q, d = x.shape
        s = memory.shape[1]
        nh, nl, npt = self.heads, self.levels, self.points
        value = self.value_proj(memory).view(b, s, nh, d // nh)
        off = self.sampling_offsets(x).view(b, q, nh, nl, npt, 2)
        aw = torch.softmax(self.attention_weights(x).view(b, q, nh, nl * npt), -1).view(b, q, nh, nl, npt)
        # 4-coordinate reference boxes: offsets scaled by half the box size
        loc = ref[:, :, None, :, None, :2] + off / npt * ref[:, :, None, :, None, 2:] * 0.5
        return self.output_proj(ms_deform_attn(value, shapes, loc, aw))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, eps = cfg["d_model"], cfg.get("layer_norm_eps", 1e-5)
        self.self_attn = MultiheadAttention(d, cfg["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d, eps=eps)
        self.encoder_attn = MultiscaleDeformableAttention(cfg)
        self.encoder_attn_layer_norm = nn.LayerNorm(d, eps=eps)
        self.act = activation(cfg.get("decoder_activation_function", "relu"))
        self.fc1 = nn.Linear(d, cfg["decoder_ffn_dim"])
        self.fc2 = nn.Linear(cfg["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, pos, memory, ref, shapes):
        x = self.self_attn_layer_norm(x + self.self_attn(x, pos))
        x = self.encoder_attn_layer_norm(x + self.encoder_attn(x, pos, memory, ref, shapes))
        return self.final_layer_norm(x + self.fc2(self.act(self.fc1(x))))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, n = cfg["d_model"], cfg["decoder_layers"]
        c = len(cfg["id2label"])
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(n)])
        self.query_pos_head = MLP([4, 2 * d, d])
        self.class_embed = nn.ModuleList([nn.Linear(d, c) for _ in range(n)])
        self.bbox_embed = nn.ModuleList([MLP([d, d, d, 4]) for _ in range(n)])

    def forward(self, target, memory, ref_unact, shapes, taps):
        ref = torch.sigmoid(ref_unact)
        logits, boxes = [], []
        x = target
        for i, layer in enumerate(self.layers):
            pos = self.query_pos_head(ref)
            x = layer(x, pos, memory, ref.unsqueeze(2), shapes)
            ref = torch.sigmoid(self.bbox_embed[i](x) + inverse_sigmoid(ref))
            boxes.append(ref)
            logits.append(self.class_embed[i](x))
        taps["intermediate_logits"] = torch.stack(logits, dim=1)
        taps["intermediate_reference_points"] = torch.stack(boxes, dim=1)
        taps["decoder_last_hidden_state"] = x
        return logits[-1], boxes[-1]


def generate_anchors(shapes, dtype, grid_size=0.05):
    """RTDetrModel.generate_anchors: per level a grid of (cx, cy, w, h) with
    w = h = grid_size * 2^level, in logit space; anchors with any coordinate
    outside (0.01, 0.99) are invalid (value finfo.max, mask False)."""
    anchors = []
    for lvl, (h, w) in enumerate(shapes):
        gy = torch.arange(h, dtype=dtype)[:, None].expand(h, w)  # meshgrid(indexing="ij")
        gx = torch.arange(w, dtype=dtype)[None, :].expand(h, w)
        xy = torch.stack([(gx + 0.5) / w, (gy + 0.5) / h], -1)
        wh = torch.ones_like(xy) * (grid_size * 2.0 ** lvl)
        anchors.append(torch.cat([xy, wh], -1).reshape(1, h * w, 4))
    anchors = torch.cat(anchors, 1)
    eps = 1e-2
    valid = ((anchors > eps) & (anchors < 1 - eps)).all(-1, keepdim=True)
    anchors = torch.log(anchors / (1 - anchors))
    anchors = torch.where(valid, anchors, torch.tensor(torch.finfo(dtype).max, dtype=dtype))
    return anchors, valid


class RTDetrModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        bc = cfg["backbone_config"]
        d, eh = cfg["d_model"], cfg["encoder_hidden_dim"]
        c = len(cfg["id2label"])
        hs = [bc["embedding_size"]] + list(bc["hidden_sizes"])
        chans = [hs[i] for i in (bc.get("out_indices") or [2, 3, 4])]
        self.backbone = ConvEncoder(bc)
        self.encoder_input_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(ci, eh, 1, bias=False), BatchNorm(eh)) for ci in chans)
        self.encoder = HybridEncoder(cfg)
        if cfg.get("num_denoising", 0) > 0:  # training only; kept so checkpoints load strictly
            self.denoising_class_embed = nn.Embedding(c + 1, d, padding_idx=c)
        self.enc_output = nn.Sequential(nn.Linear(d, d), nn.LayerNorm(d, eps=cfg.get("layer_norm_eps", 1e-5)))
        self.enc_score_head = nn.Linear(d, c)
        self.enc_bbox_head = MLP([d, d, d, 4])
        bn_eps = cfg.get("batch_norm_eps", 1e-5)
        proj = [nn.Sequential(nn.Conv2d(ci, d, 1, bias=False), BatchNorm(d, bn_eps)) for ci in cfg["decoder_in_channels"]]
        ci = cfg["decoder_in_channels"][-1]
        for _ in range(cfg["num_feature_levels"] - len(cfg["decoder_in_channels"])):
            proj.append(nn.Sequential(nn.Conv2d(ci, d, 3, 2, 1, bias=False), BatchNorm(d, bn_eps)))
            ci = d
        self.decoder_input_proj = nn.ModuleList(proj)
        self.decoder = Decoder(cfg)

    def forward(self, px, taps):
        cfg = self.cfg
        feats = self.backbone(px)
        for i, f in enumerate(feats):
            taps[f"backbone_feature{i}"] = f
        proj = [p(f) for p, f in zip(self.encoder_input_proj, feats)]
        levels = self.encoder(proj, taps)
        for i, f in enumerate(levels):
            taps[f"encoder_level{i}"] = f
        sources = [p(f) for p, f in zip(self.decoder_input_proj, levels)]
        nl = len(sources)
        if cfg["num_feature_levels"] > nl:
            sources.append(self.decoder_input_proj[nl](levels[-1]))
            for i in range(nl + 1, cfg["num_feature_levels"]):
                sources.append(self.decoder_input_proj[i](sources[-1]))
        shapes = [(int(s.shape[2]), int(s.shape[3])) for s in sources]
        memory = torch.cat([s.flatten(2).transpose(1, 2) for s in sources], 1)

        # query selection
        anchors, valid = generate_anchors(shapes, memory.dtype)
        out_memory = self.enc_output(valid.to(memory.dtype) * memory)
        enc_class = self.enc_score_head(out_memory)
        enc_coord = self.enc_bbox_head(out_memory) + anchors
        q = cfg["num_queries"]
        scores, topk = torch.topk(enc_class.max(-1).values, q, dim=1)
        ref_unact = enc_coord.gather(1, topk.unsqueeze(-1).expand(-1, -1, 4))
        taps["enc_topk_indices"] = topk
        taps["enc_topk_scores"] = scores
        taps["enc_topk_logits"] = enc_class.gather(1, topk.unsqueeze(-1).expand(-1, -1, enc_class.shape[-1]))
        taps["enc_topk_bboxes"] = torch.sigmoid(ref_unact)
        taps["init_reference_points"] = ref_unact
        taps["enc_scores_all"] = enc_class.max(-1).values
        if cfg.get("learn_initial_query", False):
            raise NotImplementedError("learn_initial_query")
        target = out_memory.gather(1, topk.unsqueeze(-1).expand(-1, -1, out_memory.shape[-1]))
        return self.decoder(target, memory, ref_unact, shapes, taps)


class RTDetrForObjectDetection(nn.Module):
    """The whole detector; state_dict keys are Hugging Face's ("model....")."""

    def __init__(self, cfg):
        super().__init__()
        check_config(cfg)
        self.config = cfg
        self.model = RTDetrModel(cfg)

    def forward(self, pixel_values):
        return self.model(pixel_values, {})

    def forward_all(self, pixel_values):
        taps = {}
        logits, boxes = self.model(pixel_values, taps)
        taps["logits"], taps["pred_boxes"] = logits, boxes
        return taps


def check_config(cfg):
    """Refuses, naming the field, configurations this transcription does not cover."""
    if cfg.get("model_type") != "rt_detr":
        raise ValueError(f"model_type {cfg.get('model_type')!r}: want 'rt_detr'")
    bc = cfg.get("backbone_config") or {}
    if bc.get("model_type") != "rt_detr_resnet":
        raise ValueError(f"backbone_config.model_type {bc.get('model_type')!r}: want 'rt_detr_resnet'")
    if not cfg.get("with_box_refine", True):
        raise ValueError("with_box_refine false is not implemented")
    if cfg.get("learn_initial_query", False):
        raise ValueError("learn_initial_query true is not implemented")
    if cfg.get("anchor_image_size"):
        raise ValueError("anchor_image_size is not implemented (anchors come from the feature sizes)")


# ---------------------------------------------------------------------------
# weights: random init, load, save
# ---------------------------------------------------------------------------

@torch.no_grad()
def randomize(model, seed, class_bias=-4.0, bn_gain=1.0):
    """Seeded random weights scaled so activations stay O(1): convolutions and
    linears ~ N(0, 1/fan_in) (x2 before ReLU-like activations in the backbone),
    BatchNorm statistics and affine parameters spread around identity,
    LayerNorm near identity, deformable offsets small around Hugging Face's
    radial initialisation, class biases near class_bias (sparse scores)."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std + mean)

    def uniform(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g, dtype=torch.float64) * (hi - lo) + lo)

    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            fan_in = mod.weight[0].numel()
            normal(mod.weight, math.sqrt(2.0 / fan_in))
        elif isinstance(mod, BatchNorm):
            uniform(mod.weight, 0.5 * bn_gain, 1.0 * bn_gain)
            normal(mod.bias, 0.2)
            normal(mod.running_mean, 0.2)
            uniform(mod.running_var, 0.5, 2.0)
        elif isinstance(mod, nn.LayerNorm):
            normal(mod.weight, 0.1, 1.0)
            normal(mod.bias, 0.1)
        elif isinstance(mod, nn.Linear):
            normal(mod.weight, 1.0 / math.sqrt(mod.in_features))
            normal(mod.bias, 0.1)
        elif isinstance(mod, nn.Embedding):
            normal(mod.weight, 1.0)
    for name, mod in model.named_modules():
        if isinstance(mod, MultiscaleDeformableAttention):
            nh, nl, npt = mod.heads, mod.levels, mod.points
            th = torch.arange(nh, dtype=torch.float64) * (2 * math.pi / nh)
            gi = torch.stack([th.cos(), th.sin()], -1)
            gi = (gi / gi.abs().max(-1, keepdim=True)[0]).view(nh, 1, 1, 2).repeat(1, nl, npt, 1)
            for i in range(npt):
                gi[:, :, i, :] *= i + 1
            mod.sampling_offsets.bias.copy_(gi.view(-1) + torch.randn(gi.numel(), generator=g, dtype=torch.float64) * 0.3)
            normal(mod.sampling_offsets.weight, 0.5 / math.sqrt(mod.sampling_offsets.in_features))
    d = model.model
    for lin in list(d.decoder.class_embed) + [d.enc_score_head]:
        normal(lin.bias, 0.5, class_bias)
    for mlp in list(d.decoder.bbox_embed) + [d.enc_bbox_head]:
        normal(mlp.layers[-1].weight, 0.3 / math.sqrt(mlp.layers[-1].in_features))
        normal(mlp.layers[-1].bias, 0.1)


def build(config_dict, seed=None, dtype=torch.float32):
    """Returns an RTDetrForObjectDetection in eval mode for a Hugging Face
    config dict; seed set: seeded random weights (see randomize)."""
    model = RTDetrForObjectDetection(config_dict)
    if seed is not None:
        model = model.double()
        randomize(model, seed)
    return model.to(dtype).eval()


def load_state(model, tensors):
    """Loads {HF name: numpy} strictly; the top-level class_embed.* / bbox_embed.*
    aliases of published checkpoints must equal the decoder's heads."""
    sd = model.state_dict()
    tensors = dict(tensors)
    for k in [k for k in tensors if k.startswith(("class_embed.", "bbox_embed."))]:
        alias = tensors.pop(k)
        if not np.array_equal(alias, tensors["model.decoder." + k]):
            raise ValueError(f"{k} differs from model.decoder.{k}")
    tensors = {k: v for k, v in tensors.items() if not k.endswith("num_batches_tracked")}
    missing = sorted(set(sd) - set(tensors))
    extra = sorted(set(tensors) - set(sd))
    if missing or extra:
        raise ValueError(f"state dict mismatch: missing {missing[:5]} extra {extra[:5]}")
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(sd[k].shape):
            raise ValueError(f"{k}: shape {v.shape}, want {tuple(sd[k].shape)}")
        sd[k] = torch.from_numpy(np.asarray(v, dtype=np.float64))
    model.load_state_dict(sd)


def load_folder(path, dtype=torch.float64):
    """Loads a checkpoint folder (model.safetensors + config.json)."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    model = RTDetrForObjectDetection(cfg).double()
    load_state(model, read_safetensors(os.path.join(path, "model.safetensors")))
    return model.to(dtype).eval(), cfg


def save_folder(model, path, weight_dtype=np.float32):
    """Writes model.safetensors (Hugging Face names, weight_dtype) and config.json."""
    os.makedirs(path, exist_ok=True)
    sd = {k: v.detach().cpu().numpy().astype(weight_dtype) for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(path, "model.safetensors"), sd, {"format": "pt"})
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(model.config, f, indent=2, sort_keys=True)
        f.write("\n")


def make_config(*, embedding_size, hidden_sizes, depths, layer_type, d_model, encoder_heads, decoder_heads,
                encoder_ffn_dim, decoder_ffn_dim, hidden_expansion, decoder_layers=3, num_queries=300,
                num_labels=80, decoder_n_points=4, num_feature_levels=3):
    """A Hugging Face style RTDetrConfig dict (the fields our loaders read)."""
    labels = {str(i): f"LABEL_{i}" for i in range(num_labels)}
    return {
        "model_type": "rt_detr",
        "architectures": ["RTDetrForObjectDetection"],
        "backbone_config": {
            "model_type": "rt_detr_resnet", "embedding_size": embedding_size, "hidden_sizes": list(hidden_sizes),
            "depths": list(depths), "layer_type": layer_type, "hidden_act": "relu", "num_channels": 3,
            "downsample_in_first_stage": False, "downsample_in_bottleneck": False,
            "out_features": ["stage2", "stage3", "stage4"], "out_indices": [2, 3, 4],
            "stage_names": ["stem", "stage1", "stage2", "stage3", "stage4"],
        },
        "d_model": d_model, "encoder_hidden_dim": d_model, "encoder_in_channels": list(hidden_sizes[1:]),
        "feat_strides": [8, 16, 32], "encoder_layers": 1, "encoder_ffn_dim": encoder_ffn_dim,
        "encoder_attention_heads": encoder_heads, "dropout": 0.0, "activation_dropout": 0.0,
        "encode_proj_layers": [2], "positional_encoding_temperature": 10000,
        "encoder_activation_function": "gelu", "activation_function": "silu", "eval_size": None,
        "normalize_before": False, "hidden_expansion": hidden_expansion,
        "num_queries": num_queries, "decoder_in_channels": [d_model] * 3, "decoder_ffn_dim": decoder_ffn_dim,
        "num_feature_levels": num_feature_levels, "decoder_n_points": decoder_n_points,
        "decoder_layers": decoder_layers, "decoder_attention_heads": decoder_heads,
        "decoder_activation_function": "relu", "attention_dropout": 0.0, "num_denoising": 100,
        "label_noise_ratio": 0.5, "box_noise_scale": 1.0, "learn_initial_query": False,
        "anchor_image_size": None, "disable_custom_kernels": True, "with_box_refine": True,
        "is_encoder_decoder": True, "layer_norm_eps": 1e-5, "batch_norm_eps": 1e-5,
        "use_focal_loss": True, "freeze_backbone_batch_norms": True, "use_timm_backbone": False,
        "use_pretrained_backbone": False, "backbone": None,
        "id2label": labels, "label2id": {v: int(k) for k, v in labels.items()},
        "initializer_range": 0.01, "auxiliary_loss": True, "torch_dtype": "float32",
    }


def validate_against_hf(golden_dir):
    """Runs every case of the Hugging Face goldens in float64 and returns
    {case: {tensor: (max abs err, max |ref|)}}, decoder rows matched through
    enc_topk_indices."""
    res = {}
    for case in sorted(os.listdir(golden_dir)):
        p = os.path.join(golden_dir, case)
        if not os.path.isdir(p):
            continue
        model, _ = load_folder(p, torch.float64)
        px = torch.from_numpy(read_safetensors(os.path.join(p, "input.safetensors"))["pixel_values"]).double()
        exp = read_safetensors(os.path.join(p, "expected.safetensors"))
        with torch.no_grad():
            taps = model.forward_all(px)
        ours_idx = taps["enc_topk_indices"].numpy()
        ref_idx = exp["enc_topk_indices"].astype(np.int64)
        perm = np.zeros_like(ours_idx)
        for b in range(ours_idx.shape[0]):
            pos = {int(v): r for r, v in enumerate(ref_idx[b])}
            perm[b] = [pos[int(v)] for v in ours_idx[b]]  # KeyError: different selected set
        out = {}
        for name, ref in exp.items():
            got = taps[name].numpy().astype(np.float64)
            ref = ref.astype(np.float64)
            if name in ("logits", "pred_boxes", "enc_topk_logits", "enc_topk_bboxes", "init_reference_points",
                        "decoder_last_hidden_state", "enc_topk_scores", "enc_topk_indices"):
                ref = np.stack([ref[b][perm[b]] for b in range(ref.shape[0])])
            elif name.startswith("intermediate_"):
                ref = np.stack([ref[b][:, perm[b]] for b in range(ref.shape[0])])
            out[name] = (float(np.abs(got - ref).max()), float(np.abs(ref).max()))
        res[case] = out
    return res


if __name__ == "__main__":
    import sys
    gd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                                              "goldens", "detr")
    for case, r in validate_against_hf(gd).items():
        print(case)
        for name, (err, m) in sorted(r.items()):
            print(f"  {name:32s} max|err| {err:.3e}  max|ref| {m:.3e}  ratio {err / max(m, 1e-300):.3e}")
