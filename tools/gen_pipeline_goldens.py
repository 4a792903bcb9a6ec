#!/usr/bin/python3
"""Writes the reference cases of the pipeline package, independently of it.

Run from the repository root with /usr/bin/python3 (numpy, OpenCV, PIL):

    /usr/bin/python3 tools/gen_pipeline_goldens.py

Everything is computed by OpenCV and by a NumPy transcription of SPEC.md
section 9 (mmpose's top-down test functions), never by the Go code. The
random cases use fixed seeds, so a rerun gives the same numbers with the same
OpenCV and NumPy.

Outputs, in testdata/pipeline/:

  blur.safetensors    OpenCV's GaussianBlur (ksize 11, sigma 0 -> 2,
      BORDER_REFLECT_101) of float32 maps: `kernel` [11] is
      cv2.getGaussianKernel(11, 0, CV_32F); `in_64x48` / `out_64x48` [4,64,48]
      heatmap-sized maps, and `in_7x6` / `out_7x6` [2,7,6] and `in_1x9` /
      `out_1x9` [1,1,9] maps smaller than the kernel (repeated reflection).
  decode.safetensors  `heatmaps` [3,17,64,48] (stored as float16: sharp
      and wide peaks inside, on every border and corner and next to them,
      second peaks, equal maxima, plateaus, noise, all-negative and all-zero
      maps), `center` [3,2], `scale_px` [3,2], and the expected `maxvals`
      [3,17], `preds_dark_udp` [3,17,2] and `preds_default` [3,17,2]
      (image x, y).
  flip.safetensors    `heatmaps` [17,8,6], `flipped` [17,8,6] and `merged`
      [17,8,6] = (heatmaps + flip_back(flipped)) * 0.5 with COCO's pairs.
  warp.safetensors    `image` [60,80,3] (uint8 values: a smooth picture with
      a few sharp edges), `noise` [60,80,3] (uint8 noise), for 8 cases
      `boxes_xywh` [8,4], `center` [8,2], `scale_px` [8,2] by the box rule
      for a 24x32 (w x h) input, `matrix` [8,2,3] (float64 values stored as
      float32: the UDP crop matrix; case 7 is rotated by 30 degrees about the
      crop centre), and, warped into 24x32 crops [8,32,24,3]:
      `crops_cv` / `noise_cv` by cv2.warpAffine of the float32 image
      (INTER_LINEAR, BORDER_CONSTANT 0; OpenCV rounds source positions to
      1/32 pixel) and `crops_exact` / `noise_exact` by exact float64 bilinear
      interpolation in NumPy (zeros outside the image).
  oks_nms.json        rescoring and OKS-NMS cases built to have equal scores
      and near-duplicate people, with mmpose's expected `rescored` and `keep`
      (the rescored mean is numpy's, as in the shared goldens).
  images/             small files written by cv2.imwrite from a 48x32
      picture: color.jpg and gray.jpg (quality 95, 4:2:0), color.png,
      alpha.png (with an alpha channel), gray.png and deep.png (16 bits per
      sample); by PIL from a noisy 47x31 picture: odd420.jpg, odd422.jpg,
      odd444.jpg, progressive.jpg (4:2:0) and cmyk.jpg (Adobe CMYK); and
      images.safetensors: what cv2.imread(IMREAD_COLOR) decodes each to, as
      [h,w,3] RGB (tensor names with "." replaced by "_").

And pipeline/testdata/fuzz/FuzzDecodeImage/, the fuzz target's seed corpus:
some of those files, a truncated JPEG and a PNG with a bad checksum.
"""

import json
import math
import os
import struct

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "pipeline")

FLIP_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                   1.07, 1.07, .87, .87, .89, .89]) / 10.0


def write_safetensors(path, tensors, f16=()):
    """Writes tensors in the safetensors layout (header, data): float32, or
    float16 for the names in f16 (whose values must be exact in float16)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        dtype = "F32"
        if name in f16:
            h16 = a.astype("<f2")
            assert np.array_equal(h16.astype("<f4"), a), name + " is not exact in float16"
            a, dtype = h16, "F16"
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- blur

def blur(m):
    """OpenCV's GaussianBlur as mmpose's post_dark_udp calls it."""
    out = m.copy()
    cv2.GaussianBlur(m, (11, 11), 0, out)
    return out


def gen_blur(rng):
    big = rng.random((4, 64, 48)).astype(np.float32)
    big[1] = (big[1] > 0.97).astype(np.float32) * 3.0  # isolated spikes
    big[2] -= 0.5                                      # signed values
    big[3, :, :] = np.linspace(0, 1, 48, dtype=np.float32)[None, :] ** 3
    small = rng.standard_normal((2, 7, 6)).astype(np.float32)
    tiny = rng.random((1, 1, 9)).astype(np.float32)
    t = {"kernel": cv2.getGaussianKernel(11, 0, ktype=cv2.CV_32F).ravel()}
    for name, arr in (("64x48", big), ("7x6", small), ("1x9", tiny)):
        t["in_" + name] = arr
        t["out_" + name] = np.stack([blur(a) for a in arr])
    write_safetensors(os.path.join(OUT, "blur.safetensors"), t)


# ---------------------------------------------------------------- decode

def gaussian(h, w, x, y, sigma, amp):
    xs = np.arange(w)[None, :]
    ys = np.arange(h)[:, None]
    return amp * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2))


def make_heatmaps(rng, n):
    H, W = 64, 48
    maps = np.zeros((n, 17, H, W), np.float64)
    # Peak positions: inside, on each border and corner, next to borders.
    spots = [(0, 0), (47, 0), (0, 63), (47, 63), (0, 30), (47, 20), (20, 0),
             (25, 63), (1, 1), (46, 62), (1, 40), (46, 10), (2, 2), (45, 61)]
    for i in range(n):
        for k in range(17):
            kind = (i * 17 + k) % 9
            if kind in (0, 1):    # peak anywhere, sub-pixel centre
                x, y = rng.uniform(0, W - 1), rng.uniform(0, H - 1)
                m = gaussian(H, W, x, y, rng.uniform(1.2, 3.0), rng.uniform(0.3, 1.0))
            elif kind == 2:       # peak on or next to the border
                x, y = spots[(i * 17 + k) % len(spots)]
                x += rng.uniform(-0.4, 0.4)
                y += rng.uniform(-0.4, 0.4)
                m = gaussian(H, W, x, y, 2.0, rng.uniform(0.5, 1.0))
            elif kind == 3:       # two peaks, the second one lower
                x, y = rng.uniform(3, W - 4), rng.uniform(3, H - 4)
                m = gaussian(H, W, x, y, 2.0, 0.9)
                m += gaussian(H, W, rng.uniform(0, W - 1), rng.uniform(0, H - 1), 2.0, 0.6)
            elif kind == 4:       # noisy peak
                x, y = rng.uniform(0, W - 1), rng.uniform(0, H - 1)
                m = gaussian(H, W, x, y, 2.0, 0.7) + 0.05 * rng.standard_normal((H, W))
            elif kind == 5:       # sharp single-pixel peak on a small floor
                m = np.full((H, W), 0.0005)
                m[rng.integers(H), rng.integers(W)] = 0.8
            elif kind == 6:       # wide low peak, partly negative elsewhere
                x, y = rng.uniform(0, W - 1), rng.uniform(0, H - 1)
                m = gaussian(H, W, x, y, 6.0, 0.2) - 0.01
            elif kind == 7:       # two equal maxima (the first one wins)
                m = 0.01 * rng.random((H, W))
                a, b = rng.integers(H * W, size=2)
                m.flat[a] = m.flat[b] = 0.75
            else:                 # plateau of equal values
                m = np.zeros((H, W))
                x, y = rng.integers(2, W - 4), rng.integers(2, H - 4)
                m[y:y + 3, x:x + 2] = 0.5
            maps[i, k] = m
    maps[0, 16] = -0.1 - 0.1 * rng.random((H, W))      # maximum < 0
    maps[1, 15] = 0.0                                   # maximum == 0
    maps[2, 14] = rng.standard_normal((H, W)) * 0.01 - 0.05  # mostly negative
    # Values exact in float16, so the Go test reads the same float32 numbers.
    return maps.astype(np.float16).astype(np.float32)


def argmax_preds(heatmaps):
    """_get_max_preds: first maximum per map, -1 where the maximum <= 0."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, -1)
    idx = np.argmax(flat, 2)
    maxvals = np.amax(flat, 2)
    preds = np.stack([idx % w, idx // w], -1).astype(np.float32)
    preds = np.where(maxvals[..., None] > 0, preds, -1).astype(np.float32)
    return preds, maxvals.astype(np.float32)


def dark_udp(heatmaps, preds):
    """The DARK-UDP refinement, written from SPEC.md section 9."""
    n, k, h, w = heatmaps.shape
    out = preds.copy()
    eps = np.finfo(np.float32).eps
    for i in range(n):
        for j in range(k):
            px, py = int(preds[i, j, 0]), int(preds[i, j, 1])
            if px < 0:
                continue
            L = np.log(np.clip(blur(heatmaps[i, j]), np.float32(0.001), np.float32(50)))
            L = np.pad(L, 1, mode="edge")

            def at(du, dv):
                return L[py + 1 + dv, px + 1 + du]
            dx = np.float32(0.5) * (at(1, 0) - at(-1, 0))
            dy = np.float32(0.5) * (at(0, 1) - at(0, -1))
            dxx = at(1, 0) - np.float32(2) * at(0, 0) + at(-1, 0)
            dyy = at(0, 1) - np.float32(2) * at(0, 0) + at(0, -1)
            dxy = np.float32(0.5) * (at(1, 1) - at(1, 0) - at(0, 1) + at(0, 0) + at(0, 0)
                                     - at(-1, 0) - at(0, -1) + at(-1, -1))
            hess = np.array([[dxx, dxy], [dxy, dyy]], np.float64) + eps * np.eye(2)
            step = np.linalg.solve(hess, np.array([dx, dy], np.float64))
            out[i, j] = (out[i, j].astype(np.float64) - step).astype(np.float32)
    return out


def quarter(heatmaps, preds):
    """The quarter-offset refinement of mmpose's "default" post-processing."""
    n, k, h, w = heatmaps.shape
    out = preds.copy()
    for i in range(n):
        for j in range(k):
            px, py = int(preds[i, j, 0]), int(preds[i, j, 1])
            if 1 < px < w - 1 and 1 < py < h - 1:
                m = heatmaps[i, j]
                d = np.array([m[py, px + 1] - m[py, px - 1], m[py + 1, px] - m[py - 1, px]])
                out[i, j] += np.sign(d).astype(np.float32) * np.float32(0.25)
    return out


def to_image(preds, center, scale_px, w, h, udp):
    dw, dh = (w - 1.0, h - 1.0) if udp else (float(w), float(h))
    out = np.empty(preds.shape, np.float64)
    for i in range(preds.shape[0]):
        out[i, :, 0] = preds[i, :, 0] * (scale_px[i, 0] / dw) + center[i, 0] - scale_px[i, 0] * 0.5
        out[i, :, 1] = preds[i, :, 1] * (scale_px[i, 1] / dh) + center[i, 1] - scale_px[i, 1] * 0.5
    return out


def gen_decode(rng):
    n = 3
    heatmaps = make_heatmaps(rng, n)
    center = rng.uniform(50, 600, (n, 2)).astype(np.float32)
    scale_px = rng.uniform(40, 500, (n, 2)).astype(np.float32)
    preds, maxvals = argmax_preds(heatmaps)
    dark = to_image(dark_udp(heatmaps, preds), center, scale_px, 48, 64, True)
    quart = to_image(quarter(heatmaps, preds), center, scale_px, 48, 64, False)
    write_safetensors(os.path.join(OUT, "decode.safetensors"), {
        "heatmaps": heatmaps, "center": center, "scale_px": scale_px,
        "maxvals": maxvals, "preds_dark_udp": dark, "preds_default": quart},
        f16=("heatmaps",))


# ---------------------------------------------------------------- flip

def gen_flip(rng):
    hm = rng.standard_normal((17, 8, 6)).astype(np.float32)
    fl = rng.standard_normal((17, 8, 6)).astype(np.float32)
    back = fl.copy()
    for a, b in FLIP_PAIRS:
        back[a], back[b] = fl[b].copy(), fl[a].copy()
    back = back[..., ::-1]
    merged = (hm + back) * np.float32(0.5)
    write_safetensors(os.path.join(OUT, "flip.safetensors"),
                      {"heatmaps": hm, "flipped": fl, "merged": merged})


# ---------------------------------------------------------------- warp

def box_rule(box, in_w, in_h, padding=1.25):
    x, y, w, h = box
    aspect = in_w / in_h
    center = (x + w * 0.5, y + h * 0.5)
    if w > aspect * h:
        h = w / aspect
    elif w < aspect * h:
        w = h * aspect
    return center, (w * padding, h * padding)


def udp_matrix(center, size, in_w, in_h):
    """Image -> crop: x -> (x - (cx - sw/2)) * (in_w - 1) / sw, y likewise."""
    sx = (in_w - 1.0) / size[0]
    sy = (in_h - 1.0) / size[1]
    return np.array([[sx, 0.0, -(center[0] - size[0] / 2) * sx],
                     [0.0, sy, -(center[1] - size[1] / 2) * sy]])


def exact_warp(img, m, w, h):
    """Bilinear warp in float64 with zeros outside, by the inverse map."""
    inv = cv2.invertAffineTransform(m)
    ih, iw = img.shape[:2]
    u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    sx = inv[0, 0] * u + inv[0, 1] * v + inv[0, 2]
    sy = inv[1, 0] * u + inv[1, 1] * v + inv[1, 2]
    x0 = np.floor(sx).astype(int)
    y0 = np.floor(sy).astype(int)
    fx = (sx - x0)[..., None]
    fy = (sy - y0)[..., None]
    src = img.astype(np.float64)

    def px(yy, xx):
        ok = (xx >= 0) & (xx < iw) & (yy >= 0) & (yy < ih)
        vals = src[np.clip(yy, 0, ih - 1), np.clip(xx, 0, iw - 1)]
        return np.where(ok[..., None], vals, 0.0)
    return ((1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1))
            + fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1)))


def gen_warp(rng):
    H, W = 60, 80
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.stack([
        128 + 90 * np.sin(xx / 9.0 + yy / 15.0),
        128 + 90 * np.cos(yy / 7.0) * np.sin(xx / 13.0),
        40 + 2.5 * xx + yy,
    ], -1)
    img[20:35, 30:45, :] = (250, 30, 60)  # a sharp-edged square
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    noise = rng.integers(0, 256, (H, W, 3)).astype(np.uint8)
    boxes = np.array([
        [10.5, 8.25, 30.0, 40.0],    # inside, aspect 0.75
        [-12.0, 5.0, 40.0, 20.0],    # wide, crossing the left edge
        [50.0, -10.0, 45.0, 50.0],   # crossing the top and right edges
        [0.0, 0.0, 80.0, 60.0],      # the whole image (downscale)
        [33.3, 21.7, 4.2, 3.1],      # tiny (upscale)
        [-30.0, -30.0, 140.0, 120.0],  # larger than the image
        [70.0, 50.0, 25.0, 25.0],    # mostly outside, bottom right
        [20.0, 10.0, 30.0, 36.0],    # rotated 30 degrees (general path)
    ])
    cw, ch = 24, 32
    centers, scales, mats = [], [], []
    crops_cv, crops_ex, noise_cv, noise_ex = [], [], [], []
    for i, b in enumerate(boxes):
        c, s = box_rule(b, cw, ch)
        m = udp_matrix(c, s, cw, ch)
        if i == 7:  # rotate about the crop centre after the UDP map
            r = cv2.getRotationMatrix2D(((cw - 1) / 2, (ch - 1) / 2), 30, 1.0)
            m = r @ np.vstack([m, [0, 0, 1]])
        m32 = m.astype(np.float32).astype(np.float64)  # what the Go test reads
        centers.append(c)
        scales.append(s)
        mats.append(m)
        for src, cv_list, ex_list in ((img, crops_cv, crops_ex), (noise, noise_cv, noise_ex)):
            cv_list.append(cv2.warpAffine(src.astype(np.float32), m32, (cw, ch),
                                          flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=0))
            ex_list.append(exact_warp(src, m32, cw, ch))
    write_safetensors(os.path.join(OUT, "warp.safetensors"), {
        "image": img, "noise": noise, "boxes_xywh": boxes,
        "center": np.array(centers), "scale_px": np.array(scales),
        "matrix": np.array(mats),
        "crops_cv": np.array(crops_cv), "crops_exact": np.array(crops_ex),
        "noise_cv": np.array(noise_cv), "noise_exact": np.array(noise_ex)},
        f16=("image", "noise"))


# ---------------------------------------------------------------- OKS-NMS

def oks_iou(g, d, a_g, a_d):
    var = (SIGMAS * 2) ** 2
    ious = np.zeros(len(d), dtype=np.float32)
    for n in range(len(d)):
        dx = d[n, 0::3] - g[0::3]
        dy = d[n, 1::3] - g[1::3]
        e = (dx ** 2 + dy ** 2) / var / ((a_g + a_d[n]) / 2 + np.spacing(1)) / 2
        ious[n] = np.sum(np.exp(-e)) / len(e)
    return ious


def oks_nms(people, thr):
    if not people:
        return []
    scores = np.array([p["rescored"] for p in people])
    kpts = np.array([np.array(p["keypoints"]).flatten() for p in people])
    areas = np.array([p["area"] for p in people])
    order = scores.argsort()[::-1]
    keep = []
    while len(order) > 0:
        i = order[0]
        keep.append(int(i))
        ovr = oks_iou(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]])
        order = order[np.where(ovr <= thr)[0] + 1]
    return keep


def rescore(kps, box_score, vis_thr):
    """Box score times the mean of the keypoint scores above vis_thr (numpy's
    mean, as the shared goldens compute it), 0 if there is none."""
    sc = np.array([v for _, _, v in kps])
    sc = sc[sc > vis_thr]
    return float(sc.mean() if len(sc) else 0.0) * box_score


def gen_oks(rng):
    images = []
    for im in range(8):
        n = int(rng.integers(2, 12))
        base = rng.uniform(0, 400, (17, 2))
        people = []
        for p in range(n):
            kind = rng.integers(3)
            if im % 3 == 0 and p % 2 == 1:
                kind = 0  # equal scores among near-duplicates
            if kind == 0:    # near-duplicate of the base person
                xy = base + rng.normal(0, rng.choice([0.5, 3.0, 10.0]), (17, 2))
            elif kind == 1:  # someone else
                xy = rng.uniform(0, 400, (17, 2))
            else:            # the base person shifted
                xy = base + rng.uniform(-40, 40, 2)
            sc = np.round(rng.uniform(0, 1, 17), 2)
            if im % 3 == 0:   # shared keypoint scores: equal person scores
                sc = np.full(17, 0.5)
            if p == 0 and im == 1:
                sc[:] = 0.1   # no keypoint above 0.2: person score 0
            kps = [[round(float(x), 3), round(float(y), 3), float(v)] for (x, y), v in zip(xy, sc)]
            box_score = 0.75 if im % 3 == 0 else float(np.round(rng.uniform(0.3, 1), 3))
            area = float(np.round(rng.uniform(2000, 60000), 1))
            person = {"keypoints": kps, "area": area, "box_score": box_score}
            person["rescored"] = rescore(kps, box_score, 0.2)
            people.append(person)
        images.append({"image_id": im, "people": people, "keep": oks_nms(people, 0.9)})
    with open(os.path.join(OUT, "oks_nms.json"), "w") as f:
        json.dump({"vis_thr": 0.2, "oks_thr": 0.9, "sigmas": SIGMAS.tolist(),
                   "images": images}, f, indent=None)
        f.write("\n")


# ---------------------------------------------------------------- images

def gen_images():
    """Small image files and what OpenCV's imread (IMREAD_COLOR) decodes them
    to, as RGB."""
    d = os.path.join(OUT, "images")
    os.makedirs(d, exist_ok=True)
    yy, xx = np.mgrid[0:32, 0:48].astype(np.float64)
    rgb = np.stack([40 + 4 * xx, 30 + 6 * yy, 200 - 2 * xx - 2 * yy], -1)
    rgb[10:20, 12:24] = (230, 200, 20)
    rgb = np.clip(np.round(rgb), 0, 255).astype(np.uint8)
    bgr = rgb[..., ::-1]
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    alpha = (xx * 5).clip(0, 255).astype(np.uint8)
    bgra = np.dstack([bgr, alpha])
    deep = (bgr.astype(np.uint16) * 257 + (xx.astype(np.uint16) * 3)[..., None])
    files = {
        "color.jpg": (bgr, [cv2.IMWRITE_JPEG_QUALITY, 95]),
        "gray.jpg": (gray, [cv2.IMWRITE_JPEG_QUALITY, 95]),
        "color.png": (bgr, []),
        "alpha.png": (bgra, []),
        "gray.png": (gray, []),
        "deep.png": (deep, []),
    }
    t = {}
    for name, (img, params) in files.items():
        path = os.path.join(d, name)
        assert cv2.imwrite(path, img, params)
    # Odd sizes and other chroma layouts, written by PIL: 4:2:0 at 47x31,
    # 4:2:2, 4:4:4, progressive, and Adobe CMYK.
    rng = np.random.default_rng(6)
    odd = np.clip(rgb[:31, :47].astype(int) + rng.integers(-30, 31, (31, 47, 3)), 0, 255).astype(np.uint8)
    pil = Image.fromarray(odd)
    pil.save(os.path.join(d, "odd420.jpg"), quality=90, subsampling=2)
    pil.save(os.path.join(d, "odd422.jpg"), quality=90, subsampling=1)
    pil.save(os.path.join(d, "odd444.jpg"), quality=90, subsampling=0)
    pil.save(os.path.join(d, "progressive.jpg"), quality=90, subsampling=2, progressive=True)
    pil.convert("CMYK").save(os.path.join(d, "cmyk.jpg"), quality=90)
    for name in list(files) + ["odd420.jpg", "odd422.jpg", "odd444.jpg", "progressive.jpg", "cmyk.jpg"]:
        back = cv2.imread(os.path.join(d, name), cv2.IMREAD_COLOR)
        t[name.replace(".", "_")] = back[..., ::-1]
    write_safetensors(os.path.join(d, "images.safetensors"), t, f16=tuple(t))


# ---------------------------------------------------------------- fuzz seeds

def go_bytes_literal(data):
    out = []
    for b in data:
        c = chr(b)
        if 32 <= b < 127 and c not in '"\\':
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return '[]byte("' + "".join(out) + '")'


def gen_fuzz_seeds():
    """Seed corpus of the pipeline package's FuzzDecodeImage: the small image
    files, a truncated JPEG, and a PNG with a corrupted header checksum."""
    d = os.path.join(ROOT, "pipeline", "testdata", "fuzz", "FuzzDecodeImage")
    os.makedirs(d, exist_ok=True)
    img_dir = os.path.join(OUT, "images")
    seeds = {}
    for name in ("color.jpg", "gray.png", "alpha.png", "odd422.jpg", "progressive.jpg", "cmyk.jpg"):
        with open(os.path.join(img_dir, name), "rb") as f:
            seeds[name.replace(".", "_")] = f.read()
    seeds["truncated_jpg"] = seeds["color_jpg"][: len(seeds["color_jpg"]) // 2]
    bad = bytearray(seeds["gray_png"])
    bad[29] ^= 0xFF
    seeds["bad_crc_png"] = bytes(bad)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "w") as f:
            f.write("go test fuzz v1\n" + go_bytes_literal(data) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    gen_blur(np.random.default_rng(1))
    gen_decode(np.random.default_rng(2))
    gen_flip(np.random.default_rng(3))
    gen_warp(np.random.default_rng(4))
    gen_oks(np.random.default_rng(5))
    gen_images()
    gen_fuzz_seeds()


if __name__ == "__main__":
    main()
