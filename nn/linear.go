package nn

import "github.com/ladderpose/ladderpose/ops"

// Linear is y = x W^T + b with W [out, in] (PyTorch layout).
type Linear struct {
	In, Out int
	W, B    *Param // B is nil without bias
	packed  *ops.PackedB
}

// NewLinear returns a zero Linear layer named name (parameters name.weight
// and name.bias).
func NewLinear(name string, in, out int, bias bool) *Linear {
	l := &Linear{In: in, Out: out, W: NewParam(name+".weight", out, in)}
	if bias {
		l.B = NewParam(name+".bias", out)
	}
	return l
}

// Params lists the layer's parameters.
func (l *Linear) Params() []*Param {
	if l.B == nil {
		return []*Param{l.W}
	}
	return []*Param{l.W, l.B}
}

// Pack pre-packs W for inference. Call it again (or Unpack) after changing W.
func (l *Linear) Pack() { l.packed = ops.PackB(l.In, l.Out, ops.ColMajor(l.W.Data, l.In)) }

// Unpack drops the packed copy; Forward then packs W on every call.
func (l *Linear) Unpack() { l.packed = nil }

// Forward computes y = act(x W^T + b + beta*y) for x [rows, in] (row stride
// ldx) and y [rows, out] (row stride ldy). beta = 1 adds the product to y in
// place (a residual connection); beta = 0 overwrites y.
func (l *Linear) Forward(y []float32, ldy int, x []float32, ldx, rows int, beta float32, act ops.Act) {
	ep := ops.Epilogue{Act: act}
	if l.B != nil {
		ep.Bias = l.B.Data
	}
	if l.packed != nil {
		ops.GemmPackedB(rows, 1, ops.RowMajor(x, ldx), l.packed, beta, ops.RowMajor(y, ldy), ep)
		return
	}
	ops.Gemm(rows, l.Out, l.In, 1, ops.RowMajor(x, ldx), ops.ColMajor(l.W.Data, l.In), beta, ops.RowMajor(y, ldy), ep)
}
