#!/usr/bin/env python3
"""Writes testdata/sample/people.golden.json: SPEC.md section 9 end to end on
the bundled sample (internal/sample/vitpose_sample.safetensors and
testdata/sample/people.jpg), computed without the Go code.

    /usr/bin/python3 tools/gen_estimate_golden.py

The image is the sample JPEG as OpenCV decodes it (cv2.imread), stored
losslessly as people.golden.png so that the Go test starts from the same
pixels (Go's JPEG decoder rounds its inverse DCT differently from libjpeg: a
few percent of the values differ by 1 to 3 levels, which would move the
heatmaps by ~0.5%, far more than the network's float error). Each box goes
through
the box rule, the UDP crop (exact float64 bilinear warp, zeros outside),
ImageNet normalisation, tools/ref's PyTorch model with the sample's weights,
the flip test (mirrored crop, heatmaps flipped back with the COCO pairs
swapped, averaged), the decoder (DARK-UDP or the quarter-offset "default"),
mmpose's rescoring and OKS non-maximum suppression. The crop, decode, rescore
and NMS functions are the NumPy/OpenCV transcriptions of
tools/gen_pipeline_goldens.py (themselves checked against mmpose's output in
../shared/goldens/decode); the network is tools/ref/ladderpose_ref.py.

For each setting (flip test on with "dark-udp", off with "default") the file
lists every box's keypoints [17][x, y, score] (image pixels), its person
score, and `keep`, the box indices OKS-NMS keeps in the order it picks them.
`margin` is, per box and keypoint, the gap between the heatmap's maximum and
its second largest value, relative to the maximum: a test can see where float
rounding could move the argmax.
"""

import json
import os
import struct
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "ref"))

import gen_pipeline_goldens as pg  # noqa: E402
import ladderpose_ref  # noqa: E402

SAMPLE = os.path.join(ROOT, "testdata", "sample")
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
IN_W, IN_H, HM_W, HM_H = 192, 256, 48, 64

# (x, y, w, h, score): the two people of the image, the whole image, a
# near-duplicate of the first person (OKS-NMS drops one of the two), a box
# crossing the image border, a small one and an exact duplicate of the first
# person with a lower score (OKS 1: dropped).
BOXES = [
    (174.5, 61.5, 80.0, 130.0, 0.9),
    (57.5, 55.5, 110.0, 132.0, 0.8),
    (0.0, 0.0, 320.0, 240.0, 1.0),
    (176.0, 60.0, 80.0, 131.0, 0.7),
    (-40.0, 150.0, 100.0, 120.0, 0.6),
    (140.2, 20.7, 25.3, 33.1, 0.5),
    (174.5, 61.5, 80.0, 130.0, 0.3),
]


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        dt = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[base + b:base + e], dt).astype(np.float32).reshape(info["shape"]).copy())
    return out, meta


def margins(hm):
    """Per map: (max - second largest value) / |max|."""
    out = []
    for m in hm:
        v = np.sort(m.astype(np.float64).ravel())
        out.append(float((v[-1] - v[-2]) / abs(v[-1])) if v[-1] != 0 else 0.0)
    return out


def main():
    sd, meta = read_safetensors(os.path.join(ROOT, "internal", "sample", "vitpose_sample.safetensors"))
    cfg = json.loads(meta["ladderpose.config"])
    model = ladderpose_ref.PoseModel(cfg)
    model.load_state_dict(sd)
    model.eval()
    bgr = cv2.imread(os.path.join(SAMPLE, "people.jpg"), cv2.IMREAD_COLOR)
    cv2.imwrite(os.path.join(SAMPLE, "people.golden.png"), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    img = bgr[:, :, ::-1].astype(np.float64)

    crops, frames = [], []
    for x, y, w, h, _ in BOXES:
        c, s = pg.box_rule((x, y, w, h), IN_W, IN_H)
        m = pg.udp_matrix(c, s, IN_W, IN_H)
        crop = pg.exact_warp(img, m, IN_W, IN_H)  # [H, W, 3] RGB 0..255
        crop = (crop / 255.0 - MEAN) / STD
        crops.append(crop.transpose(2, 0, 1).astype(np.float32))
        frames.append((c, s))
    plain = torch.from_numpy(np.stack(crops))
    with torch.no_grad():
        hm_plain, _ = model(plain)
        hm_flip, _ = model(torch.flip(plain, dims=[3]))
    hm_plain = hm_plain.numpy()
    hm_flip = hm_flip.numpy()
    back = hm_flip.copy()
    for a, b in pg.FLIP_PAIRS:
        back[:, a], back[:, b] = hm_flip[:, b].copy(), hm_flip[:, a].copy()
    back = back[..., ::-1]
    merged = (hm_plain + back) * np.float32(0.5)

    center = np.array([f[0] for f in frames])
    scale = np.array([f[1] for f in frames])
    settings = []
    for name, hm, decode in (("flip_dark_udp", merged, "dark-udp"), ("noflip_default", hm_plain, "default")):
        hm = np.ascontiguousarray(hm, dtype=np.float32)
        preds, maxvals = pg.argmax_preds(hm)
        if decode == "dark-udp":
            xy = pg.to_image(pg.dark_udp(hm, preds), center, scale, HM_W, HM_H, True)
        else:
            xy = pg.to_image(pg.quarter(hm, preds), center, scale, HM_W, HM_H, False)
        people = []
        for i, (_, _, _, _, score) in enumerate(BOXES):
            kps = [[float(xy[i, j, 0]), float(xy[i, j, 1]), float(maxvals[i, j])] for j in range(17)]
            people.append({"keypoints": kps, "area": float(scale[i, 0] * scale[i, 1]),
                           "rescored": pg.rescore(kps, score, 0.2), "margin": margins(hm[i])})
        keep = pg.oks_nms(people, 0.9)
        settings.append({"name": name, "flip": name.startswith("flip"), "decode": decode,
                         "people": [{"keypoints": p["keypoints"], "score": p["rescored"], "margin": p["margin"]}
                                    for p in people],
                         "keep": keep})
    out = {"image": "people.golden.png", "weights": "vitpose_sample.safetensors",
           "boxes": [list(b) for b in BOXES], "settings": settings}
    with open(os.path.join(SAMPLE, "people.golden.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
