#!/usr/bin/python3
"""Writes pycocotools references for keypoint sets other than COCO's 17.

pycocotools' COCOeval evaluates any keypoint set: computeOks takes
k = len(params.kpt_oks_sigmas) and vars = (sigmas * 2)**2, and loadRes boxes
results by their keypoints whatever their number. This script runs
pycocotools' own coco.py and cocoeval.py (Debian has no python3-pycocotools;
see tools/coco_goldens.py, whose loader it uses: the official cocoapi
PythonAPI sources with a stub for the compiled mask module, which keypoint
evaluation never calls) with E.params.kpt_oks_sigmas set to each case's
sigmas. Run from the repository root:

    /usr/bin/python3 tools/coco_k_goldens.py PYCOCOTOOLS_DIR

where PYCOCOTOOLS_DIR holds pycocotools/coco.py and pycocotools/cocoeval.py
(cocoapi's PythonAPI folder; matplotlib, which its coco.py imports for
drawing only, is stubbed when not installed). Cases are random with fixed seeds, so a rerun
gives the same files with the same numpy. Where numpy's exp is its AVX-512
one (not the C library's), the script reruns itself with
NPY_DISABLE_CPU_FEATURES set so that OKS values are glibc's, as for the
shared goldens.

Outputs, in coco/testdata/oks_k/, for each case NAME: NAME.gt.json,
NAME.dt.json and NAME.stats.json with `sigmas` (the float64 values given to
COCOeval), `stats`, `summary` (COCOeval.summarize()'s lines),
`oks_first_images` (E.ious of the first four images with both ground truth
and results in the first category) and
`keypoint_ap`/`keypoint_ar`: per keypoint k, COCOeval's stats[0] and
stats[5] on the data reduced to keypoint k (every gt keeps [x_k, y_k, v_k]
with num_keypoints = (v_k > 0), every result [x_k, y_k, s_k], and
kpt_oks_sigmas = sigmas[k:k+1]), as coco_goldens.py defines them for 17.
Cases:

  k14  14 keypoints (COCO's body sigmas, .79 for head and neck), two categories, crowd regions,
       people without labelled keypoints, duplicates and false positives.
  k5   5 keypoints with random sigmas in [0.02, 0.12], integer coordinates,
       tied scores, crowd regions, people without labelled keypoints.
"""

import json
import math
import os
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coco_goldens import dump, evaluate, load_pycocotools  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "coco", "testdata", "oks_k")

# 14 keypoints named as CrowdPose's, with COCO's sigmas for the body
# keypoints and .79 for head and neck.
CROWDPOSE_NAMES = ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                   "left_wrist", "right_wrist", "left_hip", "right_hip",
                   "left_knee", "right_knee", "left_ankle", "right_ankle",
                   "head", "neck"]
CROWDPOSE_SIGMAS = np.array([.79, .79, .72, .72, .62, .62, 1.07, 1.07,
                             .87, .87, .89, .89, .79, .79]) / 10.0


def person(rng, template, W, H, integer):
    """A random person: (keypoints, num_keypoints, bbox, area)."""
    w = rng.uniform(15, 220)
    h = w * rng.uniform(1.2, 2.4)
    x, y = rng.uniform(0, max(1, W - w)), rng.uniform(0, max(1, H - h))
    kp, n = [], 0
    p_vis = rng.uniform(0.3, 1.0)
    for tx, ty in template:
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


def detect(rng, template, ann, integer, scores):
    """A detection of a gt person with noise scaled by its size."""
    x, y, w, h = ann["bbox"]
    s = np.sqrt(max(ann["area"], 1.0))
    noise = rng.choice([.01, .03, .08, .2])
    kp = []
    for k, (tx, ty) in enumerate(template):
        gx, gy, gv = ann["keypoints"][3 * k:3 * k + 3]
        if gv == 0:
            gx, gy = x + w * tx, y + h * ty
        px, py = gx + rng.normal(0, noise * s), gy + rng.normal(0, noise * s)
        if integer:
            kp += [int(round(px)), int(round(py)), round(float(rng.rand()), 3)]
        else:
            kp += [round(float(px), 3), round(float(py), 3), round(float(rng.rand()), 3)]
    return {"image_id": ann["image_id"], "category_id": ann["category_id"],
            "keypoints": kp, "score": float(rng.choice(scores))}


def make_case(seed, names, n_images, cat_ids, integer=False, crowd=0.0,
              empty_kp=0.0, tie_scores=False):
    rng = np.random.RandomState(seed)
    K = len(names)
    template = [(float(rng.uniform(.1, .9)), float(rng.uniform(.05, .95))) for _ in range(K)]
    images, anns, dts = [], [], []
    aid = 1
    scores = np.round(np.linspace(.05, .95, 7), 2) if tie_scores else None
    for i in range(n_images):
        W, H = int(rng.randint(320, 800)), int(rng.randint(320, 800))
        iid = seed * 1000 + i
        images.append({"id": iid, "width": W, "height": H, "file_name": "%012d.jpg" % iid})
        for _ in range(int(rng.randint(0, 5))):
            kp, n, bbox, area = person(rng, template, W, H, integer)
            c = int(rng.rand() < crowd)
            if c or rng.rand() < empty_kp:
                kp = [0] * (3 * K) if integer else [0.0] * (3 * K)
                n = 0
            ann = {"keypoints": kp, "num_keypoints": n, "bbox": bbox, "area": area,
                   "iscrowd": c, "category_id": int(rng.choice(cat_ids)),
                   "id": aid, "image_id": iid}
            aid += 1
            anns.append(ann)
            sc = scores if scores is not None else [round(float(rng.rand()), 4)]
            if rng.rand() < .85:
                dts.append(detect(rng, template, ann, integer, sc))
            if rng.rand() < .2:
                dts.append(detect(rng, template, ann, integer, sc))  # a duplicate
        for _ in range(int(rng.randint(0, 3))):  # false positives
            kp, _, bbox, area = person(rng, template, W, H, integer)
            fake = {"bbox": bbox, "area": area, "keypoints": kp,
                    "image_id": iid, "category_id": int(rng.choice(cat_ids))}
            sc = scores if scores is not None else [round(float(rng.rand()), 4)]
            dts.append(detect(rng, template, fake, integer, sc))
    order = rng.permutation(len(dts))
    dts = [dts[j] for j in order]
    skeleton = [[k + 1, k + 2] for k in range(K - 1)]
    cats = [{"id": c, "name": "person" if c == 1 else "person%d" % c, "supercategory": "person",
             "keypoints": names, "skeleton": skeleton} for c in cat_ids]
    gt = {"info": {"description": "ladderpose coco test case, %d keypoints" % K},
          "images": images, "annotations": anns, "categories": cats}
    return gt, dts


def per_keypoint(COCO, COCOeval, gt, dt, sigmas):
    """Per-keypoint AP and AR: COCOeval on the data reduced to one keypoint."""
    ap, ar = [], []
    for k in range(len(sigmas)):
        g = json.loads(json.dumps(gt))
        for a in g["annotations"]:
            kp = a["keypoints"][3 * k:3 * k + 3]
            a["keypoints"] = kp
            a["num_keypoints"] = int(kp[2] > 0)
        for c in g["categories"]:
            c["keypoints"] = [c["keypoints"][k]]
            c["skeleton"] = []
        d = json.loads(json.dumps(dt))
        for r in d:
            r["keypoints"] = r["keypoints"][3 * k:3 * k + 3]
        stats, _, _ = evaluate(COCO, COCOeval, g, d, sigmas[k:k + 1])
        ap.append(stats[0])
        ar.append(stats[5])
    return ap, ar


def stub_matplotlib():
    """cocoapi's coco.py imports matplotlib for showAnns alone; without it
    installed, empty stand-ins let it load (evaluation never draws)."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    mods = {n: types.ModuleType(n) for n in
            ["matplotlib", "matplotlib.pyplot", "matplotlib.collections", "matplotlib.patches"]}
    mods["matplotlib.collections"].PatchCollection = None
    mods["matplotlib.patches"].Polygon = None
    sys.modules.update(mods)


# numpy's AVX-512 exp (numpy >= 1.22 on a CPU with AVX-512) is not the C
# library's: here it differs from math.exp for about a quarter of
# arguments, by an ulp. pycocotools computes OKS with np.exp, and the
# references (like shared/goldens/cocoeval, made with glibc's exp) must not
# depend on the machine: without AVX-512 numpy calls the C library.
NO_AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"


def exp_is_libm():
    x = -np.random.RandomState(0).uniform(0, 8, 20000)
    return bool(np.all(np.exp(x) == np.array([math.exp(v) for v in x])))


def main():
    if not exp_is_libm():
        if os.environ.get("NPY_DISABLE_CPU_FEATURES"):
            sys.exit("np.exp differs from the C library's exp even with NPY_DISABLE_CPU_FEATURES set")
        env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=NO_AVX512)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    stub_matplotlib()
    COCO, COCOeval = load_pycocotools(sys.argv[1] if len(sys.argv) > 1 else None)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(5)
    k5_sigmas = np.round(rng.uniform(.02, .12, 5), 4)
    cases = {
        "k14": (CROWDPOSE_SIGMAS, make_case(314, CROWDPOSE_NAMES, 30, [1, 2], crowd=.05, empty_kp=.08)),
        "k5": (k5_sigmas, make_case(315, ["a", "b", "c", "d", "e"], 40, [1], integer=True,
                                    crowd=.08, empty_kp=.1, tie_scores=True)),
    }
    for name, (sigmas, (gt, dt)) in cases.items():
        stats, summary, E = evaluate(COCO, COCOeval, gt, dt, sigmas)
        # The sigmas must matter: COCOeval with others gives other stats.
        if evaluate(COCO, COCOeval, gt, dt, sigmas * 1.5)[0] == stats:
            sys.exit("%s: the sigmas change nothing" % name)
        oks = {}
        for img in sorted(i["id"] for i in gt["images"]):
            m = E.ious.get((img, E.params.catIds[0]), [])
            if len(m) and len(oks) < 4:
                oks[str(img)] = [[float(v) for v in row] for row in np.asarray(m)]
        ap, ar = per_keypoint(COCO, COCOeval, gt, dt, sigmas)
        dump(os.path.join(OUT, name + ".gt.json"), gt)
        dump(os.path.join(OUT, name + ".dt.json"), dt)
        with open(os.path.join(OUT, name + ".stats.json"), "w") as f:
            json.dump({"sigmas": [float(s) for s in sigmas], "stats": stats, "summary": summary,
                       "oks_first_images": oks, "keypoint_ap": ap, "keypoint_ar": ar}, f, indent=1)
            f.write("\n")
        print(name, "sigmas", [float(s) for s in sigmas])
        print(name, "stats", ["%.4f" % s for s in stats])
        print(name, "keypoint AP", ["%.3f" % a for a in ap])


if __name__ == "__main__":
    main()
