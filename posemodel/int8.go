package posemodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/weights"
)

// Int8 inference (issue 17).
//
// At int8 precision the backbone's linear layers (qkv, proj, fc1, fc2 and
// ViTPose+'s experts) run through ops.GemmInt8: their weights are quantized
// once, symmetrically per output channel to 7-bit codes (in [-63, 63], one
// float32 scale per output channel), and each call quantizes its input per
// row (token) to 8-bit codes (in [-127, 127]), multiplies in integers with
// exact int32 sums and dequantizes in the GEMM's epilogue, where the bias and
// GELU (fc1) are applied as in the float32 path. The residual additions
// (after proj and fc2) follow in float32. LayerNorm, softmax, attention's
// matrix products, the patch embedding, the side network and the head stay
// float32: the side network's convolutions are not quantized (on ViT-B they
// are a few percent of the time, and ops has no int8 convolution). See
// package ops (qgemm.go) for the exact arithmetic; the results are
// bit-identical for every kernel path and any number of threads.

// The precisions LoadOptions.Precision accepts.
const (
	PrecisionFloat32 = "float32"
	PrecisionInt8    = "int8"
)

// QuantizationKey is the metadata key of a file written by WriteQuantized:
// its value (QuantizationScheme) describes the scheme. Load recognises such
// a file by its I8 tensors.
const QuantizationKey = "ladderpose.quantization"

// ScaleSuffix is appended to a quantized weight's name ("<layer>.weight",
// I8 [out, in]) to name its per-output-channel scales (F32 [out]).
const ScaleSuffix = "_scale"

// QuantizationScheme is the value of the QuantizationKey metadata.
var QuantizationScheme = func() string {
	b, err := json.Marshal(map[string]any{
		"layers":      "backbone linear layers: attn.qkv, attn.proj, mlp.fc1, mlp.fc2, mlp.experts.*",
		"weights":     "symmetric per output channel, 7-bit range: I8 <layer>.weight [out, in] holds codes in [-63, 63], F32 <layer>.weight" + ScaleSuffix + " [out] holds scale[n] = max_k |W[n,k]| / 63; W[n,k] ~ scale[n] * code[n,k]",
		"activations": "dynamic, per row (token), symmetric 8-bit: scale = max_k |x[k]| / 127, codes in [-127, 127]",
		"accumulate":  "int32, exact; y = float32(float32(S) * w_scale) * x_scale + bias, then GELU for fc1",
		"other":       "every other tensor F32, as in the float checkpoint",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// ParsePrecision checks a precision name: "float32", "int8" or "" (the
// checkpoint's own: int8 for a file written by WriteQuantized, else
// float32). The case does not matter.
func ParsePrecision(s string) (string, error) {
	switch p := strings.ToLower(s); p {
	case "", PrecisionFloat32, PrecisionInt8:
		return p, nil
	}
	return "", fmt.Errorf("unknown precision %q (want float32 or int8)", s)
}

// Precision returns "int8" when the backbone's linear layers run as int8
// GEMMs, else "float32".
func (m *Model) Precision() string {
	if m.quant != nil {
		return PrecisionInt8
	}
	return PrecisionFloat32
}

// Quantize switches the model to int8 precision: it quantizes the
// backbone's linear layers from their float32 weights and drops their
// packed float32 copies (Prepare re-quantizes after a weight change). A
// model loaded inference-only at float32 holds no float weights to
// quantize: load it with LoadOptions.Precision "int8" instead. Calling it
// again re-quantizes.
func (m *Model) Quantize() error {
	for _, blk := range m.blocks {
		for _, l := range blk.linears() {
			if l.W.Data == nil && m.quant[l] == nil {
				return fmt.Errorf("quantize %s: the float32 weights were dropped at an inference-only load; load with precision int8 instead", l.W.Name)
			}
		}
	}
	if m.quant == nil {
		m.quant = map[*nn.Linear]*ops.QuantizedB{}
	}
	return m.quantizeLinears()
}

// quantizeLinears quantizes every backbone linear layer that has float32
// weights and drops its packed float32 copy.
func (m *Model) quantizeLinears() error {
	for _, blk := range m.blocks {
		for _, l := range blk.linears() {
			if l.W.Data == nil {
				continue // loaded quantized (or quantized from the file)
			}
			qb, err := ops.QuantizeWeights(l.W.Data, l.Out, l.In)
			if err != nil {
				return fmt.Errorf("%s: %w", l.W.Name, err)
			}
			m.quant[l] = qb
			l.Unpack()
		}
	}
	return nil
}

// linear runs layer l: y = act(x W^T + b + beta*y) for x [rows, l.In] (row
// stride ldx), y [rows, l.Out] (row stride ldy). At int8 precision the GEMM
// writes into res (laid out as y: same row stride) and res is added to y
// when beta is 1 (a residual connection); res is unused with beta 0.
func (m *Model) linear(ws *Workspace, l *nn.Linear, y []float32, ldy int, x []float32, ldx, rows int, beta float32, act ops.Act, res []float32) error {
	qb := m.quant[l]
	if qb == nil {
		l.Forward(y, ldy, x, ldx, rows, beta, act)
		return nil
	}
	if ws.i8 == nil {
		ws.i8 = new(ops.Int8Workspace)
	}
	ep := ops.Epilogue{Act: act}
	if l.B != nil {
		ep.Bias = l.B.Data
	}
	out := y
	if beta != 0 {
		out = res
	}
	if err := ops.GemmInt8(rows, ops.RowMajor(x, ldx), qb, ops.RowMajor(out, ldy), ep, ws.i8); err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSuffix(l.W.Name, ".weight"), err)
	}
	if beta != 0 {
		n := l.Out
		ops.ParallelFor(rows, 16, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				yr, rr := y[r*ldy:r*ldy+n], res[r*ldy:r*ldy+n]
				for j, v := range rr {
					yr[j] += v
				}
			}
		})
	}
	return nil
}

// linearOf returns the backbone linear layer whose weight p is (the layers
// int8 precision quantizes), nil if none.
func (m *Model) linearOf(p *nn.Param) *nn.Linear {
	for _, blk := range m.blocks {
		for _, l := range blk.linears() {
			if l.W == p {
				return l
			}
		}
	}
	return nil
}

// readQuantized reads a linear layer stored quantized (I8 codes and F32
// scales, as WriteQuantized writes them). ok is false when the checkpoint
// holds the weight in a float type.
func (ck *checkpoint) readQuantized(l *nn.Linear) (qb *ops.QuantizedB, ok bool, err error) {
	name := l.W.Name
	f, st, found := ck.lookup(name)
	if !found {
		return nil, false, nil
	}
	info, _ := f.Info(st)
	if info.DType != weights.I8 {
		return nil, false, nil
	}
	ck.used[f.Path()+"\x00"+st] = true
	ck.last = append(ck.last[:0], stored{f, st})
	codes, shape, err := f.Int8(st)
	if err != nil {
		return nil, true, err
	}
	if !sameInts(shape, l.W.Shape) {
		return nil, true, fmt.Errorf("tensor %q has shape %v, want %v", name, shape, l.W.Shape)
	}
	sn := st + ScaleSuffix
	if !f.Has(sn) {
		return nil, true, fmt.Errorf("tensor %q is int8 (I8) but its scales %q are missing", name, sn)
	}
	ck.used[f.Path()+"\x00"+sn] = true
	ck.last = append(ck.last, stored{f, sn})
	scales, ss, err := f.Float32(sn)
	if err != nil {
		return nil, true, err
	}
	if len(ss) != 1 || ss[0] != l.Out {
		return nil, true, fmt.Errorf("tensor %q has shape %v, want [%d]", sn, ss, l.Out)
	}
	qb, err = ops.NewQuantizedB(codes, scales, l.Out, l.In)
	if err != nil {
		return nil, true, fmt.Errorf("tensor %q: %w", name, err)
	}
	return qb, true, nil
}

// hasQuantized reports whether the checkpoint stores any backbone linear
// weight as I8.
func (ck *checkpoint) hasQuantized(m *Model) bool {
	for _, blk := range m.blocks {
		for _, l := range blk.linears() {
			if f, st, ok := ck.lookup(l.W.Name); ok {
				if info, _ := f.Info(st); info.DType == weights.I8 {
					return true
				}
			}
		}
	}
	return false
}

// QuantizedTensors returns the model's tensors for a quantized checkpoint:
// each backbone linear weight as I8 codes "<layer>.weight" [out, in] with
// F32 scales "<layer>.weight_scale" [out], every other parameter as F32
// under SPEC.md's names, and the metadata (the config under MetadataKey,
// the scheme under QuantizationKey). The model must run at int8
// precision; the tensors alias the model's float32 parameters.
func (m *Model) QuantizedTensors() ([]weights.Tensor, map[string]string, error) {
	if m.quant == nil {
		return nil, nil, errors.New("quantized tensors: the model runs at float32 precision (load it with precision int8 or call Quantize)")
	}
	var ts []weights.Tensor
	for _, p := range m.Params() {
		if l := m.linearOf(p); l != nil {
			qb := m.quant[l]
			if qb == nil {
				return nil, nil, fmt.Errorf("quantized tensors: %s is not quantized", p.Name)
			}
			codes, scales := qb.Int8()
			ts = append(ts, weights.Tensor{Name: p.Name, DType: weights.I8, Shape: []int{l.Out, l.In}, Int8: codes},
				weights.Tensor{Name: p.Name + ScaleSuffix, DType: weights.F32, Shape: []int{l.Out}, Data: scales})
			continue
		}
		if p.Data == nil {
			return nil, nil, fmt.Errorf("quantized tensors: %s holds no values (an inference-only load)", p.Name)
		}
		ts = append(ts, weights.Tensor{Name: p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Data})
	}
	meta := map[string]string{MetadataKey: m.Cfg.JSON(), QuantizationKey: QuantizationScheme}
	return ts, meta, nil
}

// WriteQuantized writes the model at int8 precision as a safetensors file
// (QuantizedTensors), atomically. Load reads it back at int8 precision with
// the same codes and scales, so its outputs are bit-identical to those of
// the model it was written from.
func (m *Model) WriteQuantized(path string) error {
	ts, meta, err := m.QuantizedTensors()
	if err != nil {
		return err
	}
	return weights.Write(path, ts, meta)
}
