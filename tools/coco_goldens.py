#!/usr/bin/python3
"""Writes the coco package's own pycocotools reference cases, independently of it.

Debian has no python3-pycocotools, so this script runs the official
pycocotools sources (coco.py and cocoeval.py of the cocoapi PythonAPI, as
pip's pycocotools 2.0.x ships them) with numpy. Their compiled mask module
(`_mask`, RLE masks) is replaced by an empty stub: keypoint evaluation never
calls it. Run from the repository root:

    /usr/bin/python3 tools/coco_goldens.py PYCOCOTOOLS_DIR

where PYCOCOTOOLS_DIR holds pycocotools/coco.py and pycocotools/cocoeval.py
(for example cocoapi's PythonAPI folder); if pycocotools is importable as
installed, the argument may be left out. Cases are random with fixed seeds,
so a rerun gives the same files with the same numpy.

Outputs, in testdata/coco/, for each case NAME (same layout as
shared/goldens/cocoeval, see its README): NAME.gt.json, NAME.dt.json and
NAME.stats.json with `stats`, `summary`, `oks_first_images`, plus
`keypoint_ap` and `keypoint_ar` (see below). Cases:

  categories10  ten keypoint categories, so that COCOeval's mean runs over
      10*10*101 = 10100 precision values, more than numpy's 8192-element
      reduction block; the first seed from 91 on for which the blocked and
      the plain pairwise sums differ, so the block rule is really tested.
  id_zero       a ground truth annotation with id 0: pycocotools stores the
      matched gt id in dtMatches and tests it against 0, so a detection
      matched to the id-0 person counts as unmatched (the script checks that
      renaming that person changes the stats).
  int_coords    integer keypoints and boxes (as in the real COCO files),
      crowd regions, people without keypoints, equal scores.

and perkeypoint.json: for every case above and every shared case
(shared/goldens/cocoeval), `keypoint_ap` and `keypoint_ar`, the per-keypoint
AP and AR. Per keypoint k they are COCOeval's stats[0] and stats[5] on the
data reduced to keypoint k: every gt keeps [x_k, y_k, v_k] with
num_keypoints = (v_k > 0), every result keeps [x_k, y_k, s_k], and
kpt_oks_sigmas = sigmas[k:k+1].
"""

import contextlib
import copy
import io
import json
import math
import os
import sys
import types

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "coco")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "goldens", "cocoeval")

KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear",
             "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
             "left_wrist", "right_wrist", "left_hip", "right_hip",
             "left_knee", "right_knee", "left_ankle", "right_ankle"]
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13],
            [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3],
            [2, 4], [3, 5], [4, 6], [5, 7]]
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                   1.07, 1.07, .87, .87, .89, .89]) / 10.0
# A standing person's keypoints in a unit box (x, y), to place people.
TEMPLATE = [(.5, .08), (.54, .06), (.46, .06), (.6, .08), (.4, .08),
            (.7, .22), (.3, .22), (.8, .38), (.2, .38), (.85, .52), (.15, .52),
            (.62, .55), (.38, .55), (.64, .76), (.36, .76), (.65, .96), (.35, .96)]


def load_pycocotools(src):
    """Imports COCO and COCOeval, from src with a stub mask module if needed."""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        return COCO, COCOeval
    except ImportError:
        pass
    if not src:
        sys.exit("pycocotools is not installed: pass the folder holding pycocotools/coco.py")
    sys.path.insert(0, os.path.abspath(src))
    for name in [m for m in sys.modules if m.startswith("pycocotools")]:
        del sys.modules[name]
    # The C extension (RLE masks) is only used for segm and bbox evaluation.
    sys.modules["pycocotools.mask"] = types.ModuleType("pycocotools.mask")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    return COCO, COCOeval


def evaluate(COCO, COCOeval, gt, dt, sigmas=None):
    """Runs COCOeval on in-memory data; returns (stats, summary lines, E)."""
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = copy.deepcopy(gt)
        cg.createIndex()
        cd = cg.loadRes(copy.deepcopy(dt))
        E = COCOeval(cg, cd, "keypoints")
        if sigmas is not None:
            E.params.kpt_oks_sigmas = sigmas
        E.evaluate()
        E.accumulate()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        E.summarize()
    return [float(s) for s in E.stats], buf.getvalue().splitlines(), E


def per_keypoint(COCO, COCOeval, gt, dt):
    """Per-keypoint AP and AR: COCOeval on the data reduced to one keypoint."""
    ap, ar = [], []
    for k in range(17):
        g = copy.deepcopy(gt)
        for a in g["annotations"]:
            kp = a["keypoints"][3 * k:3 * k + 3]
            a["keypoints"] = kp
            a["num_keypoints"] = int(kp[2] > 0)
        for c in g["categories"]:
            c["keypoints"] = [KEYPOINTS[k]]
            c["skeleton"] = []
        d = copy.deepcopy(dt)
        for r in d:
            r["keypoints"] = r["keypoints"][3 * k:3 * k + 3]
        stats, _, _ = evaluate(COCO, COCOeval, g, d, SIGMAS[k:k + 1])
        ap.append(stats[0])
        ar.append(stats[5])
    return ap, ar


def category(cid, name):
    return {"id": cid, "name": name, "supercategory": "person",
            "keypoints": KEYPOINTS, "skeleton": SKELETON}


def person(rng, W, H, integer):
    """A random person: (keypoints, num_keypoints, bbox, area)."""
    w = rng.uniform(15, 220)
    h = w * rng.uniform(1.4, 2.6)
    x, y = rng.uniform(0, max(1, W - w)), rng.uniform(0, max(1, H - h))
    kp, n = [], 0
    p_vis = rng.uniform(0.3, 1.0)
    for tx, ty in TEMPLATE:
        px = x + w * (tx + rng.normal(0, .04))
        py = y + h * (ty + rng.normal(0, .03))
        v = 0 if rng.rand() > p_vis else int(rng.choice([1, 2], p=[.3, .7]))
        if v == 0:
            px = py = 0.0
        if integer:
            px, py = float(round(px)), float(round(py))
        kp += [px, py, v]
        n += v > 0
    bbox = [x, y, w, h]
    area = round(w * h * rng.uniform(.45, .75), 2)
    if integer:
        kp = [int(v) for v in kp]
        bbox = [int(round(b)) for b in bbox]
    else:
        kp = [round(v, 2) for v in kp]
        bbox = [round(b, 2) for b in bbox]
    return kp, n, bbox, area


def detect(rng, ann, integer, scores):
    """A detection of a gt person with noise scaled by its size."""
    x, y, w, h = ann["bbox"]
    s = math.sqrt(max(ann["area"], 1.0))
    noise = rng.choice([.01, .03, .08, .2])
    kp = []
    for k, (tx, ty) in enumerate(TEMPLATE):
        gx, gy, gv = ann["keypoints"][3 * k:3 * k + 3]
        if gv == 0:
            gx, gy = x + w * tx, y + h * ty
        px, py = gx + rng.normal(0, noise * s), gy + rng.normal(0, noise * s)
        if integer:
            kp += [int(round(px)), int(round(py)), round(float(rng.rand()), 3)]
        else:
            kp += [round(px, 3), round(py, 3), round(float(rng.rand()), 3)]
    return {"image_id": ann["image_id"], "category_id": ann["category_id"],
            "keypoints": kp, "score": float(rng.choice(scores))}


def make_case(seed, n_images, cat_ids, integer=False, id_zero=False,
              crowd=0.0, empty_kp=0.0, tie_scores=False):
    rng = np.random.RandomState(seed)
    images, anns, dts = [], [], []
    aid = 0 if id_zero else 1
    scores = np.round(np.linspace(.05, .95, 7), 2) if tie_scores else None
    for i in range(n_images):
        W, H = int(rng.randint(320, 800)), int(rng.randint(320, 800))
        iid = seed * 1000 + i
        images.append({"id": iid, "width": W, "height": H, "file_name": "%012d.jpg" % iid})
        for _ in range(int(rng.randint(0, 5))):
            kp, n, bbox, area = person(rng, W, H, integer)
            c = int(rng.rand() < crowd)
            if c or rng.rand() < empty_kp:
                kp = [0] * 51 if integer else [0.0] * 51
                n = 0
            ann = {"keypoints": kp, "num_keypoints": n, "bbox": bbox, "area": area,
                   "iscrowd": c, "category_id": int(rng.choice(cat_ids)),
                   "id": aid, "image_id": iid}
            aid += 1
            anns.append(ann)
            sc = scores if scores is not None else [round(float(rng.rand()), 4)]
            if rng.rand() < .85:
                dts.append(detect(rng, ann, integer, sc))
            if rng.rand() < .2:
                dts.append(detect(rng, ann, integer, sc))  # a duplicate
        for _ in range(int(rng.randint(0, 3))):  # false positives
            kp, _, bbox, area = person(rng, W, H, integer)
            fake = {"bbox": bbox, "area": area, "keypoints": kp,
                    "image_id": iid, "category_id": int(rng.choice(cat_ids))}
            sc = scores if scores is not None else [round(float(rng.rand()), 4)]
            dts.append(detect(rng, fake, integer, sc))
    order = rng.permutation(len(dts))
    dts = [dts[j] for j in order]
    cats = [category(c, "person" if c == 1 else "person%d" % c) for c in cat_ids]
    gt = {"info": {"description": "ladderpose coco test case"}, "licenses": [],
          "images": images, "annotations": anns, "categories": cats}
    return gt, dts


def pairwise(a):
    """numpy's pairwise_sum, to check whether the 8192 block rule matters."""
    n = len(a)
    if n < 8:
        r = 0.0
        for v in a:
            r += v
        return r
    if n <= 128:
        r = list(a[:8])
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in a[i:]:
            res += v
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise(a[:n2]) + pairwise(a[n2:])


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def main():
    COCO, COCOeval = load_pycocotools(sys.argv[1] if len(sys.argv) > 1 else None)
    os.makedirs(OUT, exist_ok=True)
    # The first seed from 91 on whose AP mean depends on numpy's block rule.
    for seed in range(91, 191):
        gt, dt = make_case(seed, 40, list(range(1, 11)))
        _, _, E = evaluate(COCO, COCOeval, gt, dt)
        v = E.eval["precision"][:, :, :, 0, 0]
        v = v[v > -1]
        if np.mean(v) != pairwise(v.tolist()) / len(v):
            break
    else:
        sys.exit("no seed makes the 8192 block rule matter")
    print("categories10: seed %d, %d precision values, np.mean %r, unblocked pairwise %r"
          % (seed, len(v), np.mean(v), pairwise(v.tolist()) / len(v)))
    cases = {
        "categories10": (gt, dt),
        "id_zero": make_case(192, 30, [1], id_zero=True, crowd=.05),
        "int_coords": make_case(193, 40, [1], integer=True, crowd=.08, empty_kp=.1, tie_scores=True),
    }
    # The id-0 person must be matched for the case to test the quirk.
    gt, dt = cases["id_zero"]
    renamed = copy.deepcopy(gt)
    renamed["annotations"][0]["id"] = 10 ** 6
    if evaluate(COCO, COCOeval, gt, dt)[0] == evaluate(COCO, COCOeval, renamed, dt)[0]:
        sys.exit("id_zero: the id-0 person changes nothing")
    perkp = {}
    for name, (gt, dt) in cases.items():
        stats, summary, E = evaluate(COCO, COCOeval, gt, dt)
        oks = {}
        for img in sorted(i["id"] for i in gt["images"])[:3]:
            m = E.ious.get((img, E.params.catIds[0]), [])
            oks[str(img)] = [[float(v) for v in row] for row in np.asarray(m)]
        ap, ar = per_keypoint(COCO, COCOeval, gt, dt)
        perkp[name] = {"keypoint_ap": ap, "keypoint_ar": ar}
        dump(os.path.join(OUT, name + ".gt.json"), gt)
        dump(os.path.join(OUT, name + ".dt.json"), dt)
        with open(os.path.join(OUT, name + ".stats.json"), "w") as f:
            json.dump({"stats": stats, "summary": summary, "oks_first_images": oks,
                       "keypoint_ap": ap, "keypoint_ar": ar}, f, indent=1)
            f.write("\n")
        print(name, "stats", ["%.4f" % s for s in stats])
    for path in sorted(os.listdir(SHARED)):
        if not path.endswith(".gt.json"):
            continue
        name = path[:-len(".gt.json")]
        with open(os.path.join(SHARED, path)) as f:
            gt = json.load(f)
        with open(os.path.join(SHARED, name + ".dt.json")) as f:
            dt = json.load(f)
        ap, ar = per_keypoint(COCO, COCOeval, gt, dt)
        perkp[name] = {"keypoint_ap": ap, "keypoint_ar": ar}
        print(name, "keypoint AP", ["%.3f" % a for a in ap])
    with open(os.path.join(OUT, "perkeypoint.json"), "w") as f:
        json.dump(perkp, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
