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
func (l *Linear) Pack() { l.PackFrom(l.W.Data) }

// PackFrom pre-packs the weight w ([out, in], the layout of W.Data) for
// inference without reading W.Data: a loader can pack from a mapped file
// and keep no unpacked copy (W.Data nil), for a layer that only runs
// Forward.
func (l *Linear) PackFrom(w []float32) { l.packed = ops.PackB(l.In, l.Out, ops.ColMajor(w, l.In)) }

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

// Apply is the layer on a Tape: y = x W^T + b for x [rows, in] -> [rows,
// out]. Backward: dx = dy W, dW += dy^T x, db += column sums of dy.
func (l *Linear) Apply(t *Tape, x *Var) *Var {
	if l.W.Data == nil {
		panic("nn.Linear " + l.W.Name + ": weight held only packed (an inference-only model) cannot be trained")
	}
	rows := x.Len() / l.In
	mustLen("Linear", x, rows*l.In)
	w := t.Param(l.W)
	var b *Var
	if l.B != nil {
		b = t.Param(l.B)
	}
	y := t.out(anyGrad(x, w, b), rows, l.Out)
	ep := ops.Epilogue{}
	if l.B != nil {
		ep.Bias = l.B.Data
	}
	ops.Gemm(rows, l.Out, l.In, 1, ops.RowMajor(x.Data(), l.In), ops.ColMajor(l.W.Data, l.In), 0, ops.RowMajor(y.Data(), l.Out), ep)
	if y.Grad != nil {
		t.record(func() {
			dy := ops.RowMajor(y.Grad, l.Out)
			if x.Grad != nil {
				ops.Gemm(rows, l.In, l.Out, 1, dy, ops.RowMajor(l.W.Data, l.In), 1, ops.RowMajor(x.Grad, l.In), ops.Epilogue{})
			}
			if w.Grad != nil {
				ops.Gemm(l.Out, l.In, rows, 1, ops.ColMajor(y.Grad, l.Out), ops.RowMajor(x.Data(), l.In), 1, ops.RowMajor(w.Grad, l.In), ops.Epilogue{})
			}
			if b != nil && b.Grad != nil {
				colSums(b.Grad, y.Grad, rows, l.Out)
			}
		})
	}
	return y
}

// colSums adds the column sums of m [rows, cols] to dst, each column summed
// in row order on one goroutine (deterministic).
func colSums(dst, m []float32, rows, cols int) {
	ops.ParallelFor(cols, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var s float32
			for r := 0; r < rows; r++ {
				s += m[r*cols+j]
			}
			dst[j] += s
		}
	})
}
