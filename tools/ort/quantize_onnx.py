#!/usr/bin/env python3
"""quantize_onnx.py: an ONNX Runtime dynamic-int8 model from a float ONNX model.

Usage: quantize_onnx.py IN.onnx OUT.onnx

What onnxruntime.quantization.quantize_dynamic does for MatMul (it is not
installed here; only Debian's python3-onnx is): every MatMul whose second
input is a constant 2-D weight W [K, N] (the linear layers; attention's
activation-by-activation products stay float) becomes

    DynamicQuantizeLinear(x) -> x_q (uint8), x_scale, x_zero_point   (per tensor)
    MatMulInteger(x_q, W_q, x_zero_point)                            (int32)
    Cast(float) * x_scale * w_scale

with W quantized symmetrically per output channel (column of W) to 7-bit codes
in [-63, 63] (ORT's reduce_range, the same weight range as ladderpose's int8
scheme; the activations differ: ORT quantizes the whole tensor with a zero
point, ladderpose each row symmetrically). ONNX Runtime's graph optimiser
fuses the sequence into DynamicQuantizeMatMul. Needs only numpy and onnx.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(src, dst):
    model = onnx.load(src)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers = {}
    for n in g.node:
        for x in n.input:
            consumers[x] = consumers.get(x, 0) + 1
    nodes, new_inits, drop = [], [], set()
    count = 0
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if w is None or len(w.dims) != 2:
            nodes.append(n)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)  # [K, N]
        amax = np.abs(W).max(axis=0)
        scale = np.where(amax > 0, amax / 63.0, 0.0).astype(np.float32)
        inv = np.where(amax > 0, 63.0 / np.where(amax > 0, amax, 1.0), 0.0)
        q = np.clip(np.round(W * inv), -63, 63).astype(np.int8)
        p = f"q{count}_"
        count += 1
        new_inits += [numpy_helper.from_array(q, p + "w_q"), numpy_helper.from_array(scale, p + "w_scale")]
        if consumers.get(w.name, 0) == 1:
            drop.add(w.name)
        x, y = n.input[0], n.output[0]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "x_q", p + "x_scale", p + "x_zp"], name=p + "dql"),
            helper.make_node("MatMulInteger", [p + "x_q", p + "w_q", p + "x_zp"], [p + "acc"], name=p + "mmi"),
            helper.make_node("Cast", [p + "acc"], [p + "accf"], to=TensorProto.FLOAT, name=p + "cast"),
            helper.make_node("Mul", [p + "accf", p + "x_scale"], [p + "y1"], name=p + "mul_x"),
            helper.make_node("Mul", [p + "y1", p + "w_scale"], [y], name=p + "mul_w"),
        ]
    del g.node[:]
    g.node.extend(nodes)
    kept = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"quantized {count} MatMul weights of {src} into {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
