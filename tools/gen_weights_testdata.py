#!/usr/bin/python3
"""Writes the safetensors test data of the weights package, independently of it.

Run from the repository root with /usr/bin/python3 (numpy and PyTorch 1.13):

    /usr/bin/python3 tools/gen_weights_testdata.py

Outputs (deterministic: the same bytes on every run):

  testdata/sample.safetensors   a small safetensors file written byte by byte
      from the format description (8-byte little-endian header length, JSON
      header, data section), with F32, F16 and BF16 tensors, a scalar, a
      zero-size tensor and metadata ("format": "pt" and a ladderpose.config
      JSON string). The header lists the tensors in neither name order nor data
      order, and "__metadata__" first, as the Hugging Face writer does.
  testdata/weights_sample.json  what the file holds: for every tensor its dtype,
      shape, byte range, the float32 values it was made from (source_bits,
      binary32 bit patterns), the stored 16- or 32-bit patterns (stored_bits,
      rounded by PyTorch's float16/bfloat16 conversion, round to nearest even)
      and the float32 values they decode to (value_bits). The rounding tensors
      hold ties, values just above ties, overflow, subnormals, signed zeros,
      infinities and NaN.
  weights/testdata/fuzz/FuzzParse/*  the seed corpus of the Go fuzz target:
      valid_* files that must parse and bad_* files, one per kind of
      malformation, that must be rejected.
"""

import json
import os
import struct

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f32(values):
    return np.array(values, dtype=np.float32)


def bits32(a):
    return [int(x) for x in np.asarray(a, dtype=np.float32).reshape(-1).view(np.uint32)]


def from_bits32(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def rounding_values_f16():
    """Float32 values around the float16 rounding boundaries."""
    one = 1.0
    ulp = 2.0 ** -10  # float16 ulp at 1
    vals = [
        one + ulp / 2,  # tie, 1 is even: rounds down
        one + 3 * ulp / 2,  # tie, 1+ulp is odd: rounds up
        one + ulp / 2 + 2.0 ** -20,  # just above a tie: up
        one + ulp / 2 - 2.0 ** -20,  # just below a tie: down
        -(one + 3 * ulp / 2),
        65504.0,  # largest float16
        65519.99,  # below the overflow tie: stays 65504
        65520.0,  # the tie above the largest float16: infinity
        1e6,  # overflow
        -1e6,
        2.0 ** -14,  # smallest normal
        2.0 ** -24,  # smallest subnormal
        2.0 ** -25,  # tie between 0 and the smallest subnormal: 0
        3 * 2.0 ** -25,  # tie between 1 and 2 subnormal ulps: 2
        2.0 ** -25 + 2.0 ** -40,  # above that tie: smallest subnormal
        1e-10,  # underflows to 0
        -1e-10,  # underflows to -0
        0.0,
        -0.0,
        float("inf"),
        float("-inf"),
        float("nan"),
        0.1,
        -3.14159265,
        1234.5678,
    ]
    return f32(vals)


def rounding_values_bf16():
    """Float32 values around the bfloat16 rounding boundaries."""
    ulp = 2.0 ** -7  # bfloat16 ulp at 1
    vals = [
        1 + ulp / 2,  # tie down to even
        1 + 3 * ulp / 2,  # tie up to even
        1 + ulp / 2 + 2.0 ** -20,
        1 + ulp / 2 - 2.0 ** -20,
        -(1 + 3 * ulp / 2),
        float(np.finfo(np.float32).max),  # rounds up to infinity
        3.3895313892515355e38,  # largest bfloat16
        1e-39,  # float32 subnormal
        float(from_bits32([0x00008000])[0]),  # subnormal tie: down to 0
        float(from_bits32([0x00018000])[0]),  # subnormal tie: up to 2
        float(from_bits32([0x80000001])[0]),  # tiny negative: -0
        0.0,
        -0.0,
        float("inf"),
        float("-inf"),
        float("nan"),
        0.1,
        -3.14159265,
        1234.5678,
        65504.0,
    ]
    return f32(vals)


def stored(values, dtype):
    """The stored bit patterns and decoded float32 values of values as dtype."""
    t = torch.from_numpy(values.copy())
    if dtype == "F32":
        return bits32(values), bits32(values), values.tobytes()
    if dtype == "F16":
        h = t.to(torch.float16)
        raw = h.view(torch.int16).numpy().astype("<i2").view(np.uint16)
        # numpy's own conversion must agree (NaN payloads aside).
        with np.errstate(over="ignore"):
            ref = values.astype(np.float16)
        ok = np.isnan(values) | (ref.view(np.uint16) == raw)
        assert ok.all(), "torch and numpy disagree on float16 rounding"
        dec = h.to(torch.float32).numpy()
    elif dtype == "BF16":
        h = t.to(torch.bfloat16)
        raw = h.view(torch.int16).numpy().astype("<i2").view(np.uint16)
        dec = h.to(torch.float32).numpy()
        # decoding a bfloat16 is a shift into the upper half
        ok = np.isnan(values) | (dec.view(np.uint32) == raw.astype(np.uint32) << 16)
        assert ok.all()
    else:
        raise ValueError(dtype)
    return [int(x) for x in raw.reshape(-1)], bits32(dec), raw.astype("<u2").tobytes()


def safetensors_bytes(header, data, pad=True):
    """A safetensors file from a header dict (or raw header bytes) and data."""
    if isinstance(header, (bytes, bytearray)):
        h = bytes(header)
    else:
        h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def write_sample():
    rng = np.random.default_rng(20250601)
    config = {
        "dim": 8, "depth": 4, "heads": 2, "mlp_ratio": 4, "ln_eps": 1e-6,
        "head": "classic", "keypoints": 17, "input": [256, 192],
        "side": {"channels": 8, "fusion_width": 4, "fusion_heads": 2, "nodes": 16},
    }
    metadata = {"format": "pt", "ladderpose.config": json.dumps(config)}
    # (name, dtype, shape, float32 source values), in header order.
    tensors = [
        ("side.fusion.proj.weight", "F16", [3, 5], rng.standard_normal(15).astype(np.float32)),
        ("backbone.blocks.0.attn.qkv.weight", "F32", [6, 4], rng.standard_normal(24).astype(np.float32)),
        ("rounding.f16", "F16", [len(rounding_values_f16())], rounding_values_f16()),
        # Right after the 6-byte gates in the data section: at an offset that
        # is not a multiple of 4, so a reader cannot alias it as float32.
        ("unaligned.f32", "F32", [3], f32([1.0, -2.5, 1e-3])),
        ("side.ladder.gates", "BF16", [3], f32([0.0, -0.015625, 0.3])),
        ("backbone.pos_embed", "BF16", [1, 3, 4], (rng.standard_normal(12) * 0.02).astype(np.float32)),
        ("side.scale", "F32", [], f32([0.5])),
        ("rounding.bf16", "BF16", [len(rounding_values_bf16())], rounding_values_bf16()),
        ("empty", "F32", [0, 4], f32([])),
        ("keypoint_head.final_layer.bias", "F32", [17], rng.standard_normal(17).astype(np.float32)),
    ]
    # Data goes in reverse header order, so that neither the header order nor
    # the name order is the data order.
    header = {"__metadata__": metadata}
    expected = {}
    chunks = []
    offset = 0
    encoded = {}
    for name, dtype, shape, src in tensors:
        assert int(np.prod(shape)) == src.size
        stored_bits, value_bits, raw = stored(src, dtype)
        encoded[name] = raw
    order = [t[0] for t in reversed(tensors)]
    offsets = {}
    for name in order:
        raw = encoded[name]
        offsets[name] = [offset, offset + len(raw)]
        chunks.append(raw)
        offset += len(raw)
    for name, dtype, shape, src in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": offsets[name]}
        stored_bits, value_bits, _ = stored(src, dtype)
        expected[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": offsets[name],
            "source_bits": bits32(src),
            "stored_bits": stored_bits,
            "value_bits": value_bits,
        }
    blob = safetensors_bytes(header, b"".join(chunks))
    with open(os.path.join(ROOT, "testdata", "sample.safetensors"), "wb") as f:
        f.write(blob)
    with open(os.path.join(ROOT, "testdata", "weights_sample.json"), "w") as f:
        json.dump({
            "comment": "written by tools/gen_weights_testdata.py; bits are IEEE patterns",
            "header_order": [t[0] for t in tensors],
            "data_order": order,
            "metadata": metadata,
            "tensors": expected,
        }, f, indent=1)
        f.write("\n")
    return blob


def go_bytes_literal(b):
    out = []
    for c in b:
        if 0x20 <= c < 0x7F and c not in (0x22, 0x5C):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '[]byte("' + "".join(out) + '")'


def write_corpus(sample):
    d = os.path.join(ROOT, "weights", "testdata", "fuzz", "FuzzParse")
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith(("valid_", "bad_")):
            os.remove(os.path.join(d, old))

    def ent(dtype, shape, begin, end):
        return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}

    f4 = struct.pack("<4f", 1, 2, 3, 4)
    cases = {
        "valid_sample": sample,
        "valid_empty": safetensors_bytes({}, b""),
        "valid_scalar_f16": safetensors_bytes({"s": ent("F16", [], 0, 2)}, struct.pack("<e", 1.5)),
        "valid_zero_size": safetensors_bytes({"z": ent("F32", [3, 0], 0, 0), "a": ent("F32", [4], 0, 16)}, f4),
        "valid_metadata_null": safetensors_bytes(
            b'{"__metadata__":null,"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', b"\x80\x3f\x00\x40"),
        "valid_i64_u8": safetensors_bytes({"i": ent("I64", [1], 0, 8), "u": ent("U8", [3], 8, 11)}, bytes(11)),
        "valid_unpadded": safetensors_bytes({"a": ent("F32", [2, 2], 0, 16)}, f4, pad=False),
        "bad_short_file": b"\x05\x00\x00",
        "bad_header_past_end": struct.pack("<Q", 1000) + b"{}",
        "bad_header_over_limit": struct.pack("<Q", 200 << 20) + b"{}",
        "bad_invalid_json": safetensors_bytes(b'{"a":{"dtype":"F32",', b""),
        "bad_not_object": safetensors_bytes(b"{}[1]", b""),
        "bad_header_no_brace": safetensors_bytes(b'["a"]', b""),
        "bad_utf8": safetensors_bytes(b'{"\xff":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', bytes(4)),
        "bad_metadata_not_object": safetensors_bytes(b'{"__metadata__":[1,2]}', b""),
        "bad_metadata_value": safetensors_bytes(b'{"__metadata__":{"epochs":3}}', b""),
        "bad_metadata_duplicate": safetensors_bytes(b'{"__metadata__":{"k":"a","k":"b"}}', b""),
        "bad_duplicate_name": safetensors_bytes(
            b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
            b'"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', f4),
        "bad_unknown_dtype": safetensors_bytes({"a": ent("F31", [4], 0, 16)}, f4),
        "bad_negative_dim": safetensors_bytes({"a": ent("F32", [-1, -4], 0, 16)}, f4),
        "bad_overflow_shape": safetensors_bytes({"a": ent("F32", [1 << 40, 1 << 40, 0], 0, 0)}, b""),
        "bad_size_mismatch": safetensors_bytes({"a": ent("F32", [2, 3], 0, 16)}, f4),
        "bad_begin_after_end": safetensors_bytes({"a": ent("F32", [0], 16, 0)}, f4),
        "bad_past_data_end": safetensors_bytes({"a": ent("F32", [8], 0, 32)}, f4),
        "bad_overlap": safetensors_bytes({"a": ent("F32", [2], 0, 8), "b": ent("F32", [2], 4, 12)}, f4[:12]),
        "bad_gap": safetensors_bytes({"a": ent("F32", [1], 0, 4), "b": ent("F32", [2], 8, 16)}, f4),
        "bad_gap_at_start": safetensors_bytes({"a": ent("F32", [3], 4, 16)}, f4),
        "bad_trailing_bytes": safetensors_bytes({"a": ent("F32", [3], 0, 12)}, f4),
        "bad_empty_name": safetensors_bytes({"": ent("F32", [4], 0, 16)}, f4),
        "bad_missing_offsets": safetensors_bytes(b'{"a":{"dtype":"F32","shape":[4]}}', f4),
        "bad_unknown_field": safetensors_bytes(
            b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"strides":[1]}}', f4),
        "bad_fractional_dim": safetensors_bytes(b'{"a":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}}', f4),
        "bad_three_offsets": safetensors_bytes(b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}', f4),
        "bad_dtype_not_string": safetensors_bytes(b'{"a":{"dtype":4,"shape":[4],"data_offsets":[0,16]}}', f4),
    }
    for name, blob in cases.items():
        with open(os.path.join(d, name), "w") as f:
            f.write("go test fuzz v1\n" + go_bytes_literal(blob) + "\n")


def main():
    torch.manual_seed(0)
    sample = write_sample()
    write_corpus(sample)


if __name__ == "__main__":
    main()
