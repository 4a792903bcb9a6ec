package nn

import (
	"math"

	"github.com/ladderpose/ladderpose/ops"
)

// SumBlocks returns, for x [outer, nblocks, block], the sum of the blocks
// listed in which (in that order): [outer, block]. The wavelet path sums
// sub-bands this way (LL + LH + HL, HH + LH + HL).
func (t *Tape) SumBlocks(x *Var, outer, nblocks, block int, which ...int) *Var {
	mustLen("SumBlocks", x, outer*nblocks*block)
	y := t.out(anyGrad(x), outer, block)
	yd, xd := y.Data(), x.Data()
	for o := 0; o < outer; o++ {
		dst := yd[o*block : (o+1)*block]
		for k, w := range which {
			src := xd[(o*nblocks+w)*block : (o*nblocks+w+1)*block]
			if k == 0 {
				copy(dst, src)
				continue
			}
			for i, v := range src {
				dst[i] += v
			}
		}
	}
	if y.Grad != nil {
		t.record(func() {
			for o := 0; o < outer; o++ {
				g := y.Grad[o*block : (o+1)*block]
				for _, w := range which {
					accum(x.Grad[(o*nblocks+w)*block:(o*nblocks+w+1)*block], g)
				}
			}
		})
	}
	return y
}

// OuterSum returns y[b][i][j] = a[b][i] + c[b][j] for a, c [b, n]: the
// pairwise attention scores of a graph attention layer.
func (t *Tape) OuterSum(a, c *Var, b, n int) *Var {
	mustLen("OuterSum", a, b*n)
	mustLen("OuterSum", c, b*n)
	y := t.out(anyGrad(a, c), b, n, n)
	yd, ad, cd := y.Data(), a.Data(), c.Data()
	for bi := 0; bi < b; bi++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				yd[(bi*n+i)*n+j] = ad[bi*n+i] + cd[bi*n+j]
			}
		}
	}
	if y.Grad != nil {
		t.record(func() {
			for bi := 0; bi < b; bi++ {
				for i := 0; i < n; i++ {
					for j := 0; j < n; j++ {
						g := y.Grad[(bi*n+i)*n+j]
						if a.Grad != nil {
							a.Grad[bi*n+i] += g
						}
						if c.Grad != nil {
							c.Grad[bi*n+j] += g
						}
					}
				}
			}
		})
	}
	return y
}

// AddBroadcast returns x [outer, inner] + p [inner] (p repeated over the
// outer dimension): position embeddings.
func (t *Tape) AddBroadcast(x, p *Var, outer, inner int) *Var {
	mustLen("AddBroadcast", x, outer*inner)
	mustLen("AddBroadcast", p, inner)
	y := t.out(anyGrad(x, p), x.Shape()...)
	yd, xd, pd := y.Data(), x.Data(), p.Data()
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			yd[o*inner+i] = xd[o*inner+i] + pd[i]
		}
	}
	if y.Grad != nil {
		t.record(func() {
			accum(x.Grad, y.Grad)
			if p.Grad != nil {
				ops.ParallelFor(inner, 256, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						var s float32
						for o := 0; o < outer; o++ {
							s += y.Grad[o*inner+i]
						}
						p.Grad[i] += s
					}
				})
			}
		})
	}
	return y
}

// ParamSlice returns elements lo..hi-1 of a parameter as a Var sharing its
// value and gradient (MGA's edge_a halves).
func (t *Tape) ParamSlice(p *Param, lo, hi int, shape ...int) *Var {
	v := &Var{Val: t.Param(p).Val.MustReshape(-1).Narrow(0, lo, hi-lo).Contiguous().MustReshape(shape...)}
	if p.Grad != nil {
		v.Grad = p.Grad[lo:hi]
	}
	return v
}

// bilinearTaps computes PyTorch's align_corners=False source positions for
// an axis scaled from in to out samples: index i0, i1 and weights l0, l1.
func bilinearTaps(in, out int) (i0, i1 []int, l0, l1 []float32) {
	i0, i1 = make([]int, out), make([]int, out)
	l0, l1 = make([]float32, out), make([]float32, out)
	scale := float32(in) / float32(out)
	for o := 0; o < out; o++ {
		src := max(scale*(float32(o)+0.5)-0.5, 0)
		f := int(math.Floor(float64(src)))
		f = min(f, in-1)
		lam := src - float32(f)
		i0[o], i1[o] = f, min(f+1, in-1)
		l0[o], l1[o] = 1-lam, lam
	}
	return i0, i1, l0, l1
}

// ResizeBilinear returns the planes of x [planes, h, w] resized to
// [planes, oh, ow] with align_corners=False (ops.ResizeBilinear's values).
// Backward scatters each output gradient to its four source pixels with the
// same weights.
func (t *Tape) ResizeBilinear(x *Var, planes, h, w, oh, ow int) *Var {
	mustLen("ResizeBilinear", x, planes*h*w)
	y := t.out(anyGrad(x), planes, oh, ow)
	ops.ResizeBilinear(y.Data(), x.Data(), planes, h, w, oh, ow)
	if y.Grad != nil {
		t.record(func() {
			y0, y1, ly0, ly1 := bilinearTaps(h, oh)
			x0, x1, lx0, lx1 := bilinearTaps(w, ow)
			ops.ParallelFor(planes, 1, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					g := y.Grad[p*oh*ow : (p+1)*oh*ow]
					dx := x.Grad[p*h*w : (p+1)*h*w]
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							v := g[oy*ow+ox]
							dx[y0[oy]*w+x0[ox]] += v * ly0[oy] * lx0[ox]
							dx[y0[oy]*w+x1[ox]] += v * ly0[oy] * lx1[ox]
							dx[y1[oy]*w+x0[ox]] += v * ly1[oy] * lx0[ox]
							dx[y1[oy]*w+x1[ox]] += v * ly1[oy] * lx1[ox]
						}
					}
				}
			})
		})
	}
	return y
}
