package nn

import (
	"fmt"

	"github.com/ladderpose/ladderpose/ops"
)

// Conv2D applies a convolution on a Tape: x [n, C, H, W], w [O, C/groups,
// kh, kw], optional bias b [O] -> [n, O, OH, OW] (PyTorch's Conv2d), through
// im2col and GEMM per sample and group. Backward, per sample and group:
// dW += dY col^T, db += spatial sums of dY, dx = col2im(W^T dY). The im2col
// matrix is recomputed in the backward pass rather than stored.
func (t *Tape) Conv2D(x *Var, n int, w, b *Param, g ops.ConvGeom, groups int) *Var {
	o, kk := w.Shape[0], g.KH*g.KW
	if groups < 1 || g.C%groups != 0 || o%groups != 0 || w.Shape[1] != g.C/groups || w.Shape[2] != g.KH || w.Shape[3] != g.KW {
		panic(fmt.Sprintf("nn.Conv2D: weight %v for %d input channels, kernel %dx%d, %d groups", w.Shape, g.C, g.KH, g.KW, groups))
	}
	mustLen("Conv2D", x, n*g.C*g.H*g.W)
	oh, ow := g.OutSize()
	ohw, chw := oh*ow, g.C*g.H*g.W
	wv := t.Param(w)
	var bv *Var
	if b != nil {
		bv = t.Param(b)
	}
	y := t.out(anyGrad(x, wv, bv), n, o, oh, ow)
	og, cg := o/groups, g.C/groups // output and input channels per group
	rowsG := cg * kk               // im2col rows per group
	// Forward through ops.Conv2D (its im2col writes straight into the
	// GEMM's packed panels); the weights change every step, so they are
	// packed again each call.
	var bias []float32
	if b != nil {
		bias = b.Data
	}
	cv, err := ops.NewConv2D(w.Data, bias, ops.Conv2DParams{InC: g.C, OutC: o, KH: g.KH, KW: g.KW,
		StrideH: g.StrideH, StrideW: g.StrideW, PadH: g.PadH, PadW: g.PadW, DilH: g.DilH, DilW: g.DilW, Groups: groups})
	if err != nil {
		panic(fmt.Sprintf("nn.Conv2D: %v", err))
	}
	if err := cv.Forward(y.Data(), x.Data(), n, g.H, g.W, t.Floats(cv.ScratchSize(n, g.H, g.W))); err != nil {
		panic(fmt.Sprintf("nn.Conv2D: %v", err))
	}
	if y.Grad == nil {
		return y
	}
	t.record(func() {
		col := t.Floats(g.C * kk * ohw)
		dcol := t.Floats(g.C * kk * ohw)
		for s := 0; s < n; s++ {
			dy := y.Grad[s*o*ohw : (s+1)*o*ohw]
			if wv.Grad != nil {
				ops.Im2Col(col, x.Data()[s*chw:(s+1)*chw], g)
			}
			for gi := 0; gi < groups; gi++ {
				dyg := ops.RowMajor(dy[gi*og*ohw:], ohw)
				if wv.Grad != nil {
					ops.Gemm(og, rowsG, ohw, 1, dyg, ops.ColMajor(col[gi*rowsG*ohw:], ohw), 1, ops.RowMajor(wv.Grad[gi*og*rowsG:], rowsG), ops.Epilogue{})
				}
				if x.Grad != nil {
					ops.Gemm(rowsG, ohw, og, 1, ops.ColMajor(w.Data[gi*og*rowsG:], rowsG), dyg, 0, ops.RowMajor(dcol[gi*rowsG*ohw:], ohw), ops.Epilogue{})
				}
			}
			if x.Grad != nil {
				ops.Col2Im(x.Grad[s*chw:(s+1)*chw], dcol, g)
			}
		}
		if bv != nil && bv.Grad != nil {
			planeSums(bv.Grad, y.Grad, n, o, ohw)
		}
	})
	return y
}

// planeSums adds, for every channel, the sum of dy [n, c, hw] over n and hw.
func planeSums(dst, dy []float32, n, c, hw int) {
	ops.ParallelFor(c, 4, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float32
			for b := 0; b < n; b++ {
				for _, v := range dy[(b*c+ch)*hw : (b*c+ch+1)*hw] {
					s += v
				}
			}
			dst[ch] += s
		}
	})
}

// ConvTranspose2D applies a transposed convolution (groups 1) on a Tape:
// x [n, Cin, H, W], w [Cin, Cout, kh, kw] -> [n, Cout, OH, OW], where out
// is the geometry of the output map (out.C = Cout, out.H = OH, out.W = OW)
// seen as the input of the adjoint convolution, whose output size is H x W.
// Forward: col = W^T x, y = col2im(col). Backward: dcol = im2col(dy),
// dx = W dcol, dW += x dcol^T.
func (t *Tape) ConvTranspose2D(x *Var, n int, w, b *Param, out ops.ConvGeom) *Var {
	cin, cout := w.Shape[0], w.Shape[1]
	kk := out.KH * out.KW
	h, wd := out.OutSize()
	if cout != out.C || w.Shape[2] != out.KH || w.Shape[3] != out.KW {
		panic(fmt.Sprintf("nn.ConvTranspose2D: weight %v for %d output channels, kernel %dx%d", w.Shape, out.C, out.KH, out.KW))
	}
	mustLen("ConvTranspose2D", x, n*cin*h*wd)
	hw, ohw := h*wd, out.H*out.W
	wv := t.Param(w)
	var bv *Var
	if b != nil {
		bv = t.Param(b)
	}
	y := t.out(anyGrad(x, wv, bv), n, cout, out.H, out.W)
	col := t.Floats(cout * kk * hw)
	yd := y.Data()
	for s := 0; s < n; s++ {
		ops.Gemm(cout*kk, hw, cin, 1, ops.ColMajor(w.Data, cout*kk), ops.RowMajor(x.Data()[s*cin*hw:], hw), 0, ops.RowMajor(col, hw), ops.Epilogue{})
		ys := yd[s*cout*ohw : (s+1)*cout*ohw]
		clear(ys)
		ops.Col2Im(ys, col, out)
		if b != nil {
			for ch := 0; ch < cout; ch++ {
				p := ys[ch*ohw : (ch+1)*ohw]
				for i := range p {
					p[i] += b.Data[ch]
				}
			}
		}
	}
	if y.Grad == nil {
		return y
	}
	t.record(func() {
		for s := 0; s < n; s++ {
			ops.Im2Col(col, y.Grad[s*cout*ohw:(s+1)*cout*ohw], out)
			if x.Grad != nil {
				ops.Gemm(cin, hw, cout*kk, 1, ops.RowMajor(w.Data, cout*kk), ops.RowMajor(col, hw), 1, ops.RowMajor(x.Grad[s*cin*hw:], hw), ops.Epilogue{})
			}
			if wv.Grad != nil {
				ops.Gemm(cin, cout*kk, hw, 1, ops.RowMajor(x.Data()[s*cin*hw:], hw), ops.ColMajor(col, hw), 1, ops.RowMajor(wv.Grad, cout*kk), ops.Epilogue{})
			}
		}
		if bv != nil && bv.Grad != nil {
			planeSums(bv.Grad, y.Grad, n, cout, ohw)
		}
	})
	return y
}
