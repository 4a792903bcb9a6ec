#!/usr/bin/python3
"""Writes testdata/coco/exp.json: correctly rounded values of e^x, for the
coco package's exp (coco/exp.go), computed independently of it.

Run from the repository root with /usr/bin/python3 (decimal and numpy):

    /usr/bin/python3 tools/coco_exp_goldens.py

Each value is Python's decimal exp at 60 significant digits, converted to
the nearest float64 by float() (correctly rounded, subnormals included).
Arguments (fixed seed): the OKS range [-20, 0] densely, [-700, -20], the
subnormal and underflow range [-745.5, -700], tiny |x|, positive x up to 709.78
(e^x finite), and a few boundary values. Also written: numpy's np.exp of the
same arguments (`numpy`), to show how often it is correctly rounded here.
"""

import json
import os
import random
from decimal import Decimal, getcontext

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

getcontext().prec = 60


def exact_exp(x):
    return float(Decimal(x).exp())


def main():
    rng = random.Random(20251125)
    xs = [rng.uniform(-20, 0) for _ in range(2000)]
    xs += [rng.uniform(-700, -20) for _ in range(200)]
    xs += [rng.uniform(-745.5, -700) for _ in range(300)]
    xs += [-(10 ** rng.uniform(-20, 0)) for _ in range(200)]
    xs += [10 ** rng.uniform(-20, 0) for _ in range(100)]
    xs += [rng.uniform(0, 709.7) for _ in range(100)]
    xs += [0.0, -0.0, 1e-300, -1e-300, 2.0 ** -54, -(2.0 ** -54), 2.0 ** -53,
           -708.3964185322641, -708.39641853226, -708.4, -707.0, -707.0000000000001,
           -745.1332191019411, -745.1332191019412, -745.13321910194, -745.2,
           -744.44007192138122, 709.0, 709.78,
           -0.34657359027997264, 0.34657359027997264, -1.0, -0.5, -2.0]
    out = {"x": xs, "exp": [exact_exp(x) for x in xs],
           "numpy": [float(v) for v in np.exp(np.array(xs))]}
    path = os.path.join(ROOT, "testdata", "coco", "exp.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    same = sum(a == b for a, b in zip(out["exp"], out["numpy"]))
    print("%d arguments; numpy's exp correctly rounded for %d" % (len(xs), same))


if __name__ == "__main__":
    main()
