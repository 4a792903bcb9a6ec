#!/usr/bin/python3
"""Writes the reference cases of the train package's augmentation,
independently of it.

Run from the repository root with /usr/bin/python3 (numpy, OpenCV):

    /usr/bin/python3 tools/gen_train_goldens.py

The geometry is a NumPy transcription of mmpose 0.x's top-down training
pipeline as ViTPose uses it (TopDownRandomFlip with fliplr_joints,
TopDownHalfBodyTransform, TopDownGetRandomScaleRotation, TopDownAffine with
use_udp=True and get_warp_matrix, warp_affine_joints), computed in float64
(mmpose rounds its scale and matrix to float32; the Go code keeps float64, as
the pipeline package does for inference). The random draws that mmpose takes
from np.random are inputs of each case, so the Go test can inject the same
values. Flipping is done here as mmpose does it, by mirroring the whole image
(img[:, ::-1]) and moving the centre to W - 1 - cx, and the crop is warped
from that flipped image; the Go code instead composes the mirror into the
crop matrix, so the crops check that composition end to end.

Outputs, in testdata/train/:

  augment.json          {"image_w", "image_h", "crop_w", "crop_h",
      "cases": [...]} with per case: the inputs "box" (x, y, w, h),
      "joints" [17][3] (x, y, COCO visibility), "flip" (bool), "half_body"
      (bool), "half_z" (the randn that picks the upper body when < 0.5),
      "scale_factor", "rot_factor", "scale_z", "rot_z", "rot_u" (the draws of
      TopDownGetRandomScaleRotation; rotation applies when rot_u <= 0.6); and
      the outputs "center" and "scale" (pixels, after every step),
      "rotation" (degrees), "matrix" [2][3] (get_warp_matrix, from the
      flipped image when flip is set), "matrix_original" [2][3] (that matrix
      composed with the mirror, i.e. from the original image), "joints_out"
      [17][3] (the joints after fliplr_joints and warp_affine_joints; rows of
      unlabelled joints are as mmpose leaves them).
  augment.safetensors   `image` [60,80,3] (uint8 values) and, per case,
      `crops_exact` [n,32,24,3] (float64 bilinear warp of the (flipped)
      image with zeros outside, stored as float32) and `crops_cv`
      [n,32,24,3] (cv2.warpAffine, INTER_LINEAR, BORDER_CONSTANT 0, of the
      float32 image: OpenCV rounds source positions to 1/32 pixel).
"""

import json
import math
import os
import struct

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "train")

FLIP_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]
UPPER_BODY_IDS = list(range(11))
IMG_W, IMG_H = 80, 60
CROP_W, CROP_H = 24, 32


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
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


def xywh2cs(x, y, w, h, aspect_ratio, padding=1.25):
    """mmpose TopDownGetBboxCenterScale / _xywh2cs (test mode), pixels."""
    center = np.array([x + w * 0.5, y + h * 0.5], dtype=np.float64)
    if w > aspect_ratio * h:
        h = w * 1.0 / aspect_ratio
    elif w < aspect_ratio * h:
        w = h * aspect_ratio
    return center, np.array([w, h], dtype=np.float64) * padding


def fliplr_joints(joints_3d, joints_3d_visible, img_width, flip_pairs):
    """mmpose.core.post_processing.fliplr_joints."""
    joints_flipped = joints_3d.copy()
    vis_flipped = joints_3d_visible.copy()
    for left, right in flip_pairs:
        joints_flipped[left, :] = joints_3d[right, :]
        joints_flipped[right, :] = joints_3d[left, :]
        vis_flipped[left, :] = joints_3d_visible[right, :]
        vis_flipped[right, :] = joints_3d_visible[left, :]
    joints_flipped[:, 0] = img_width - 1 - joints_flipped[:, 0]
    joints_flipped = joints_flipped * vis_flipped
    return joints_flipped, vis_flipped


def half_body_transform(joints_3d, joints_3d_visible, aspect_ratio, half_z):
    """mmpose TopDownHalfBodyTransform.half_body_transform with the randn
    draw passed in; scale in pixels (mmpose's scale * 200)."""
    upper, lower = [], []
    for j in range(17):
        if joints_3d_visible[j][0] > 0:
            if j in UPPER_BODY_IDS:
                upper.append(joints_3d[j])
            else:
                lower.append(joints_3d[j])
    if half_z < 0.5 and len(upper) > 2:
        sel = upper
    elif len(lower) > 2:
        sel = lower
    else:
        sel = upper
    if len(sel) < 2:
        return None, None
    sel = np.array(sel, dtype=np.float64)
    center = sel.mean(axis=0)[:2]
    left_top = np.amin(sel, axis=0)
    right_bottom = np.amax(sel, axis=0)
    w = right_bottom[0] - left_top[0]
    h = right_bottom[1] - left_top[1]
    if w > aspect_ratio * h:
        h = w * 1.0 / aspect_ratio
    elif w < aspect_ratio * h:
        w = h * aspect_ratio
    return center, np.array([w, h], dtype=np.float64) * 1.5


def get_warp_matrix(theta, size_input, size_dst, size_target):
    """mmpose.core.post_processing.get_warp_matrix, in float64."""
    theta = np.deg2rad(theta)
    matrix = np.zeros((2, 3), dtype=np.float64)
    scale_x = size_dst[0] / size_target[0]
    scale_y = size_dst[1] / size_target[1]
    matrix[0, 0] = math.cos(theta) * scale_x
    matrix[0, 1] = -math.sin(theta) * scale_x
    matrix[0, 2] = scale_x * (-0.5 * size_input[0] * math.cos(theta) +
                              0.5 * size_input[1] * math.sin(theta) +
                              0.5 * size_target[0])
    matrix[1, 0] = math.sin(theta) * scale_y
    matrix[1, 1] = math.cos(theta) * scale_y
    matrix[1, 2] = scale_y * (-0.5 * size_input[0] * math.sin(theta) -
                              0.5 * size_input[1] * math.cos(theta) +
                              0.5 * size_target[1])
    return matrix


def warp_affine_joints(joints, mat):
    """mmpose.core.post_processing.warp_affine_joints."""
    joints = np.array(joints)
    shape = joints.shape
    joints = joints.reshape(-1, 2)
    return np.dot(np.concatenate((joints, joints[:, 0:1] * 0 + 1), axis=1),
                  mat.T).reshape(shape)


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


def make_image():
    yy, xx = np.mgrid[0:IMG_H, 0:IMG_W].astype(np.float64)
    img = np.stack([
        128 + 90 * np.sin(xx / 9.0 + yy / 15.0),
        128 + 90 * np.cos(yy / 7.0) * np.sin(xx / 13.0),
        40 + 2.5 * xx + yy,
    ], -1)
    img[20:35, 30:45, :] = (250, 30, 60)  # a sharp-edged square
    img[5:9, 60:63, :] = (10, 240, 20)    # an asymmetric mark, to see flips
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def run_case(img, c):
    aspect = CROP_W / CROP_H
    joints = np.array(c["joints"], dtype=np.float64)
    j3 = np.zeros((17, 3))
    j3[:, :2] = joints[:, :2]
    vis = np.zeros((17, 3))
    vis[:, 0] = vis[:, 1] = np.minimum(1, joints[:, 2])
    center, scale = xywh2cs(*c["box"], aspect)
    src = img
    if c["flip"]:
        src = img[:, ::-1, :]
        j3, vis = fliplr_joints(j3, vis, src.shape[1], FLIP_PAIRS)
        center[0] = src.shape[1] - center[0] - 1
    if c["half_body"]:
        hc, hs = half_body_transform(j3, vis, aspect, c["half_z"])
        if hc is not None:
            center, scale = hc, hs
    sf, rf = c["scale_factor"], c["rot_factor"]
    scale = scale * np.clip(c["scale_z"] * sf + 1, 1 - sf, 1 + sf)
    r = np.clip(c["rot_z"] * rf, -rf * 2, rf * 2) if c["rot_u"] <= 0.6 else 0.0
    m = get_warp_matrix(r, center * 2.0, np.array([CROP_W - 1.0, CROP_H - 1.0]), scale)
    out = j3.copy()
    out[:, 0:2] = warp_affine_joints(j3[:, 0:2].copy(), m)
    # COCO visibility of the (swapped) joints, as the Go code reports it.
    v = np.array([row[2] for row in c["joints"]], dtype=np.float64)
    if c["flip"]:
        v2 = v.copy()
        for a, b in FLIP_PAIRS:
            v2[a], v2[b] = v[b], v[a]
        v = v2
    out[:, 2] = v
    mirror = np.array([[-1.0, 0.0, IMG_W - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    m_orig = m @ mirror if c["flip"] else m
    srcf = np.ascontiguousarray(src).astype(np.float32)
    cv = cv2.warpAffine(srcf, m, (CROP_W, CROP_H), flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    ex = exact_warp(np.ascontiguousarray(src), m, CROP_W, CROP_H)
    res = dict(c)
    res.update({"center": center.tolist(), "scale": scale.tolist(), "rotation": float(r),
                "matrix": m.tolist(), "matrix_original": m_orig.tolist(),
                "joints_out": out.tolist()})
    return res, ex, cv


def make_cases(rng):
    cases = []

    def joints_in(box, nvis, rng):
        x, y, w, h = box
        j = np.zeros((17, 3))
        j[:, 0] = x + rng.random(17) * w
        j[:, 1] = y + rng.random(17) * h
        on = rng.permutation(17)[:nvis]
        j[on, 2] = rng.choice([1, 2], size=len(on))
        j[j[:, 2] == 0, :2] = 0  # COCO stores unlabelled joints as zeros
        return np.round(j, 2).tolist()

    base = dict(flip=False, half_body=False, half_z=0.0, scale_factor=0.35, rot_factor=45.0,
                scale_z=0.0, rot_z=0.0, rot_u=1.0)
    specs = [
        dict(),                                          # plain UDP crop
        dict(rot_z=0.7, rot_u=0.3),                      # rotation
        dict(flip=True),                                 # flip only
        dict(flip=True, rot_z=-0.9, rot_u=0.6, scale_z=0.8),   # flip, rotation, scale
        dict(scale_z=-3.0, rot_z=2.5, rot_u=0.1),        # both clipped
        dict(rot_z=1.5, rot_u=0.61),                     # rotation not applied
        dict(half_body=True, half_z=0.2),                # upper body
        dict(half_body=True, half_z=0.9, flip=True, rot_z=0.4, rot_u=0.5),  # lower body, flipped
        dict(scale_factor=0.5, rot_factor=40.0, scale_z=0.5, rot_z=-1.2, rot_u=0.2, flip=True),
    ]
    boxes = [(20, 8, 30, 44), (5, 2, 60, 40), (40, 10, 35, 48), (-5, 20, 30, 50),
             (10, 5, 22, 22), (30, 15, 25, 40), (12, 3, 40, 50), (25, 4, 30, 52), (0, 0, 80, 60)]
    for spec, box in zip(specs, boxes):
        c = dict(base)
        c.update(spec)
        c["box"] = [float(v) for v in box]
        nvis = 13 if c["half_body"] else int(rng.integers(5, 18))
        c["joints"] = joints_in(box, nvis, rng)
        if c["half_body"]:
            # enough labelled joints on both halves for either choice
            j = np.array(c["joints"])
            for k in (0, 5, 6, 11, 12, 13, 14):
                if j[k, 2] == 0:
                    j[k] = [box[0] + 0.3 * box[2] + k, box[1] + 0.1 * box[3] + 2.5 * k, 2]
            c["joints"] = j.tolist()
        cases.append(c)
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240607)
    img = make_image()
    results, exact, cvs = [], [], []
    for c in make_cases(rng):
        r, ex, cv = run_case(img, c)
        results.append(r)
        exact.append(ex)
        cvs.append(cv)
    with open(os.path.join(OUT, "augment.json"), "w") as f:
        json.dump({"image_w": IMG_W, "image_h": IMG_H, "crop_w": CROP_W, "crop_h": CROP_H,
                   "cases": results}, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(OUT, "augment.safetensors"), {
        "image": img.astype(np.float32),
        "crops_exact": np.stack(exact),
        "crops_cv": np.stack(cvs),
    })
    print("wrote", len(results), "cases to", OUT)


if __name__ == "__main__":
    main()
