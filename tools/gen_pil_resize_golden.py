#!/usr/bin/python3
"""Writes detect/testdata/pil_resize.json: Pillow's Image.resize(BILINEAR)
on small random RGB images, the reference for detect's pilResizeBilinear
(the resampling Hugging Face's RTDetrImageProcessor uses).

Run with Debian's python3-pil: /usr/bin/python3 tools/gen_pil_resize_golden.py
"""
import base64
import json
import os
import random

import PIL
from PIL import Image

# (source w, h) -> (target w, h): down and up scaling, one axis only,
# extreme aspect ratios, 1x1, identity, and a large downscale factor.
CASES = [
    ((37, 23), (48, 40)),
    ((100, 75), (24, 24)),
    ((1, 1), (16, 16)),
    ((300, 2), (32, 32)),
    ((2, 300), (32, 32)),
    ((16, 12), (16, 12)),
    ((30, 44), (30, 21)),
    ((44, 30), (21, 30)),
    ((1000, 3), (40, 40)),
    ((61, 47), (16, 40)),
    ((9, 300), (300, 12)),
]


def main():
    rng = random.Random(1234)
    out = {"pillow": PIL.__version__, "cases": []}
    for (sw, sh), (dw, dh) in CASES:
        # Smooth gradients plus noise, so rounding differences would show.
        src = bytearray()
        for y in range(sh):
            for x in range(sw):
                for c in range(3):
                    v = (x * 255 // max(sw - 1, 1) + y * 97 // max(sh - 1, 1) + c * 60) % 256
                    v = max(0, min(255, v + rng.randint(-40, 40)))
                    src.append(v)
        im = Image.frombytes("RGB", (sw, sh), bytes(src))
        dst = im.resize((dw, dh), resample=Image.BILINEAR).tobytes()
        out["cases"].append({
            "src_w": sw, "src_h": sh, "dst_w": dw, "dst_h": dh,
            "src": base64.b64encode(bytes(src)).decode(),
            "dst": base64.b64encode(dst).decode(),
        })
    path = os.path.join(os.path.dirname(__file__), "..", "detect", "testdata", "pil_resize.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
