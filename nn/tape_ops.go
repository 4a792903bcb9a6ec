package nn

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/ops"
)

// Element-wise, reduction and layout operations on a Tape. Each method
// computes its value and, when a gradient flows to an input, records the
// backward step next to it.

// Add returns a + b (same shape).
func (t *Tape) Add(a, b *Var) *Var {
	mustLen("Add", b, a.Len())
	y := t.out(anyGrad(a, b), a.Shape()...)
	ya, av, bv := y.Data(), a.Data(), b.Data()
	for i := range ya {
		ya[i] = av[i] + bv[i]
	}
	if y.Grad != nil {
		t.record(func() {
			accum(a.Grad, y.Grad)
			accum(b.Grad, y.Grad)
		})
	}
	return y
}

// Mul returns a * b element-wise (same shape).
func (t *Tape) Mul(a, b *Var) *Var {
	mustLen("Mul", b, a.Len())
	y := t.out(anyGrad(a, b), a.Shape()...)
	ya, av, bv := y.Data(), a.Data(), b.Data()
	for i := range ya {
		ya[i] = av[i] * bv[i]
	}
	if y.Grad != nil {
		t.record(func() {
			if a.Grad != nil {
				for i, g := range y.Grad {
					a.Grad[i] += g * bv[i]
				}
			}
			if b.Grad != nil {
				for i, g := range y.Grad {
					b.Grad[i] += g * av[i]
				}
			}
		})
	}
	return y
}

// ScaleBy returns x * s[i], s a parameter vector and i an index into it
// (the ladder gates, MGA's alpha and beta).
func (t *Tape) ScaleBy(x, s *Var, i int) *Var {
	y := t.out(anyGrad(x, s), x.Shape()...)
	k := s.Data()[i]
	yd, xd := y.Data(), x.Data()
	for j := range yd {
		yd[j] = xd[j] * k
	}
	if y.Grad != nil {
		t.record(func() {
			if x.Grad != nil {
				for j, g := range y.Grad {
					x.Grad[j] += g * k
				}
			}
			if s.Grad != nil {
				var acc float64
				for j, g := range y.Grad {
					acc += float64(g) * float64(xd[j])
				}
				s.Grad[i] += float32(acc)
			}
		})
	}
	return y
}

// MulConst returns x * k for a constant k.
func (t *Tape) MulConst(x *Var, k float32) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	yd, xd := y.Data(), x.Data()
	for j := range yd {
		yd[j] = xd[j] * k
	}
	if y.Grad != nil {
		t.record(func() {
			for j, g := range y.Grad {
				x.Grad[j] += g * k
			}
		})
	}
	return y
}

// accum adds g into dst when dst needs a gradient.
func accum(dst, g []float32) {
	if dst == nil {
		return
	}
	for i, v := range g {
		dst[i] += v
	}
}

// ReLU returns max(x, 0).
func (t *Tape) ReLU(x *Var) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	ops.ReLU(y.Data(), x.Data())
	if y.Grad != nil {
		t.record(func() {
			xd := x.Data()
			ops.ParallelFor(len(xd), 16384, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					// Selecting the gradient's bits (not a branch on
					// the sign, which random signs mispredict half
					// the time) compiles to a conditional move.
					gb := math.Float32bits(y.Grad[i])
					if !(xd[i] > 0) {
						gb = 0
					}
					x.Grad[i] += math.Float32frombits(gb)
				}
			})
		})
	}
	return y
}

// LeakyReLU returns x for x > 0, slope*x otherwise.
func (t *Tape) LeakyReLU(x *Var, slope float32) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	ops.LeakyReLU(y.Data(), x.Data(), slope)
	if y.Grad != nil {
		t.record(func() {
			xd := x.Data()
			for i, g := range y.Grad {
				if xd[i] > 0 {
					x.Grad[i] += g
				} else {
					x.Grad[i] += g * slope
				}
			}
		})
	}
	return y
}

// Sigmoid returns 1/(1+exp(-x)).
func (t *Tape) Sigmoid(x *Var) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	ops.Sigmoid(y.Data(), x.Data())
	if y.Grad != nil {
		t.record(func() {
			yd := y.Data()
			for i, g := range y.Grad {
				x.Grad[i] += g * yd[i] * (1 - yd[i])
			}
		})
	}
	return y
}

// GELU returns the exact-erf GELU, x * Phi(x).
func (t *Tape) GELU(x *Var) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	ops.GELU(y.Data(), x.Data())
	if y.Grad != nil {
		t.record(func() { geluBackward(x.Grad, y.Grad, x.Data(), y.Data()) })
	}
	return y
}

// geluBackward adds dx = dy * GELU'(x), GELU'(x) = Phi(x) + x phi(x), on
// the vectorised exp: Phi(x) = GELU(x)/x from the forward output y (a
// Taylor step near 0), phi(x) = exp(-x^2/2)/sqrt(2 pi). Float32 throughout: within a few
// float32 roundings of the exact derivative (checked against float64 in
// tape_test.go).
func geluBackward(dx, dy, x, y []float32) {
	const chunk = 1024
	ops.ParallelFor((len(x)+chunk-1)/chunk, 4, func(lo, hi int) {
		var e [chunk]float32
		for c := lo; c < hi; c++ {
			xs := x[c*chunk : min((c+1)*chunk, len(x))]
			t := e[:len(xs)]
			for i, v := range xs {
				t[i] = -0.5 * v * v
			}
			ops.Exp(t, t)
			ys, gs, ds := y[c*chunk:][:len(xs)], dy[c*chunk:][:len(xs)], dx[c*chunk:][:len(xs)]
			for i, v := range xs {
				// Near 0, GELU(x)/x loses its digits (GELU(x) may even
				// underflow): there GELU'(x) = 1/2 + 2 phi(0) x + O(x^3).
				d := 0.5 + 2*invSqrt2Pi*v
				if math.Abs(float64(v)) >= 1e-4 {
					d = ys[i]/v + v*t[i]*invSqrt2Pi
				}
				ds[i] += gs[i] * d
			}
		}
	})
}

// invSqrt2Pi is 1/sqrt(2 pi).
const invSqrt2Pi = 0.3989422804014327

// Softmax returns the softmax of every row of n values (the last dimension).
func (t *Tape) Softmax(x *Var, n int) *Var {
	y := t.out(anyGrad(x), x.Shape()...)
	copy(y.Data(), x.Data())
	ops.Softmax(y.Data(), n)
	if y.Grad != nil {
		t.record(func() { softmaxBackward(x.Grad, y.Grad, y.Data(), n) })
	}
	return y
}

// softmaxBackward adds dx = y * (dy - sum(dy*y)) row by row.
func softmaxBackward(dx, dy, y []float32, n int) {
	ops.ParallelFor(len(y)/n, max(1, 4096/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, gr, xr := y[r*n:(r+1)*n], dy[r*n:(r+1)*n], dx[r*n:(r+1)*n]
			var dot float32
			for i, v := range yr {
				dot += v * gr[i]
			}
			for i, v := range yr {
				xr[i] += v * (gr[i] - dot)
			}
		}
	})
}

// MeanRows returns the mean over the middle dimension of x [b, n, c]:
// [b, c].
func (t *Tape) MeanRows(x *Var, b, n, c int) *Var {
	mustLen("MeanRows", x, b*n*c)
	y := t.out(anyGrad(x), b, c)
	yd, xd := y.Data(), x.Data()
	for bi := 0; bi < b; bi++ {
		row := yd[bi*c : (bi+1)*c]
		clear(row)
		for r := 0; r < n; r++ {
			src := xd[(bi*n+r)*c : (bi*n+r+1)*c]
			for j, v := range src {
				row[j] += v
			}
		}
		for j := range row {
			row[j] /= float32(n)
		}
	}
	if y.Grad != nil {
		t.record(func() {
			inv := 1 / float32(n)
			for bi := 0; bi < b; bi++ {
				g := y.Grad[bi*c : (bi+1)*c]
				for r := 0; r < n; r++ {
					dst := x.Grad[(bi*n+r)*c : (bi*n+r+1)*c]
					for j, v := range g {
						dst[j] += v * inv
					}
				}
			}
		})
	}
	return y
}

// MulRows returns x [b, n, c] times g [b, c] broadcast over the n rows.
func (t *Tape) MulRows(x, g *Var, b, n, c int) *Var {
	mustLen("MulRows", x, b*n*c)
	mustLen("MulRows", g, b*c)
	y := t.out(anyGrad(x, g), x.Shape()...)
	yd, xd, gd := y.Data(), x.Data(), g.Data()
	for i := range yd {
		r := i / c
		yd[i] = xd[i] * gd[(r/n)*c+i%c]
	}
	if y.Grad != nil {
		t.record(func() {
			for i, dy := range y.Grad {
				r := i / c
				k := (r/n)*c + i%c
				if x.Grad != nil {
					x.Grad[i] += dy * gd[k]
				}
				if g.Grad != nil {
					g.Grad[k] += dy * xd[i]
				}
			}
		})
	}
	return y
}

// Transpose returns x [b, r, c] as [b, c, r] (tokens <-> NCHW grids).
func (t *Tape) Transpose(x *Var, b, r, c int) *Var {
	mustLen("Transpose", x, b*r*c)
	y := t.out(anyGrad(x), b, c, r)
	transposeInto(y.Data(), x.Data(), b, r, c, false)
	if y.Grad != nil {
		t.record(func() { transposeInto(x.Grad, y.Grad, b, c, r, true) })
	}
	return y
}

// transposeInto writes (or with add, adds) dst[b][j][i] = src[b][i][j].
func transposeInto(dst, src []float32, b, r, c int, add bool) {
	ops.ParallelFor(b*r, 16, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			bi, i := q/r, q%r
			s := src[(bi*r+i)*c : (bi*r+i+1)*c]
			base := bi * r * c
			for j, v := range s {
				if add {
					dst[base+j*r+i] += v
				} else {
					dst[base+j*r+i] = v
				}
			}
		}
	})
}

// Concat joins xs along a middle dimension: each x is [outer, w_i, inner]
// and the result [outer, sum w_i, inner]. For NCHW maps, inner = h*w and
// w_i the channels; for token rows, inner = 1 and w_i the features.
func (t *Tape) Concat(outer, inner int, xs ...*Var) *Var {
	total := 0
	for _, x := range xs {
		if x.Len()%(outer*inner) != 0 {
			panic(fmt.Sprintf("nn.Concat: input of shape %v is not [%d, w, %d]", x.Shape(), outer, inner))
		}
		total += x.Len() / (outer * inner)
	}
	y := t.out(anyGrad(xs...), outer, total, inner)
	yd := y.Data()
	off := 0
	for _, x := range xs {
		w := x.Len() / (outer * inner)
		xd := x.Data()
		for o := 0; o < outer; o++ {
			copy(yd[(o*total+off)*inner:(o*total+off+w)*inner], xd[o*w*inner:(o+1)*w*inner])
		}
		off += w
	}
	if y.Grad != nil {
		t.record(func() {
			off := 0
			for _, x := range xs {
				w := x.Len() / (outer * inner)
				if x.Grad != nil {
					for o := 0; o < outer; o++ {
						accum(x.Grad[o*w*inner:(o+1)*w*inner], y.Grad[(o*total+off)*inner:(o*total+off+w)*inner])
					}
				}
				off += w
			}
		})
	}
	return y
}

// Rows returns rows r0..r1-1 of x [rows, c] as a view: no copy, and its
// gradient is the same rows of x's gradient.
func (t *Tape) Rows(x *Var, c, r0, r1 int) *Var {
	v := &Var{Val: x.Val.MustReshape(-1, c).Narrow(0, r0, r1-r0)}
	if x.Grad != nil {
		v.Grad = x.Grad[r0*c : r1*c]
	}
	return v
}

// Reshape returns x with another shape, sharing value and gradient.
func (t *Tape) Reshape(x *Var, shape ...int) *Var {
	return &Var{Val: x.Val.MustReshape(shape...), Grad: x.Grad}
}

// BroadcastPlanes returns x [b, c] repeated over hw positions: [b, c, hw].
func (t *Tape) BroadcastPlanes(x *Var, b, c, hw int) *Var {
	y := t.out(anyGrad(x), b, c, hw)
	yd, xd := y.Data(), x.Data()
	for q := 0; q < b*c; q++ {
		v := xd[q]
		p := yd[q*hw : (q+1)*hw]
		for i := range p {
			p[i] = v
		}
	}
	if y.Grad != nil {
		t.record(func() {
			for q := 0; q < b*c; q++ {
				var s float32
				for _, g := range y.Grad[q*hw : (q+1)*hw] {
					s += g
				}
				x.Grad[q] += s
			}
		})
	}
	return y
}

// MeanPlanes returns the mean of every plane of x [b*c, hw]: global average
// pooling, [b*c].
func (t *Tape) MeanPlanes(x *Var, planes, hw int) *Var {
	mustLen("MeanPlanes", x, planes*hw)
	y := t.out(anyGrad(x), planes)
	ops.GlobalAvgPool(y.Data(), x.Data(), planes, hw)
	if y.Grad != nil {
		t.record(func() {
			inv := 1 / float32(hw)
			for q := 0; q < planes; q++ {
				g := y.Grad[q] * inv
				p := x.Grad[q*hw : (q+1)*hw]
				for i := range p {
					p[i] += g
				}
			}
		})
	}
	return y
}

// AdaptiveAvgPool returns the adaptive average pooling of every row of l
// values of x [rows, l] into o bins (PyTorch's adaptive_avg_pool1d).
func (t *Tape) AdaptiveAvgPool(x *Var, rows, l, o int) *Var {
	mustLen("AdaptiveAvgPool", x, rows*l)
	y := t.out(anyGrad(x), rows, o)
	ops.AdaptiveAvgPool1D(y.Data(), x.Data(), rows, l, 1, o)
	if y.Grad != nil {
		t.record(func() {
			for r := 0; r < rows; r++ {
				for v := 0; v < o; v++ {
					s, e := v*l/o, ((v+1)*l+o-1)/o
					g := y.Grad[r*o+v] / float32(e-s)
					for i := s; i < e; i++ {
						x.Grad[r*l+i] += g
					}
				}
			}
		})
	}
	return y
}

// HaarDWT returns the one-level Haar transform of x [b, c, h, w] (SPEC.md
// section 3; fixed filters): [b, 4c, (h+1)/2, (w+1)/2] with the sub-bands
// in the order LL, LH, HL, HH.
func (t *Tape) HaarDWT(x *Var, b, c, h, w int) *Var {
	mustLen("HaarDWT", x, b*c*h*w)
	oh, ow := (h+1)/2, (w+1)/2
	y := t.out(anyGrad(x), b, 4*c, oh, ow)
	ops.HaarDWT(y.Data(), x.Data(), b, c, h, w)
	if y.Grad != nil {
		t.record(func() {
			// Each input pixel (2i+r, 2j+s) received K_AB[r][s] of every
			// sub-band at (i, j); the kernels' entries are +-1/2.
			sign := [4][2][2]float32{
				{{1, 1}, {1, 1}},   // LL
				{{1, -1}, {1, -1}}, // LH
				{{1, 1}, {-1, -1}}, // HL
				{{1, -1}, {-1, 1}}, // HH
			}
			ops.ParallelFor(b*c, 1, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					bi, ch := q/c, q%c
					dx := x.Grad[q*h*w : (q+1)*h*w]
					for k := 0; k < 4; k++ {
						g := y.Grad[((bi*4+k)*c+ch)*oh*ow:]
						for i := 0; i < oh; i++ {
							for j := 0; j < ow; j++ {
								v := 0.5 * g[i*ow+j]
								for r := 0; r < 2; r++ {
									for s := 0; s < 2; s++ {
										yy, xx := 2*i+r, 2*j+s
										if yy < h && xx < w {
											dx[yy*w+xx] += sign[k][r][s] * v
										}
									}
								}
							}
						}
					}
				}
			})
		})
	}
	return y
}
