package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ladderpose/ladderpose/ops"
)

// Every tape operation is checked against a naive float64 re-implementation
// written here: the forward value within fwdTol of it, and every input's
// gradient against central finite differences of the float64 forward of the
// scalar L = sum_i w_i y_i (random w), within gradTol. Tolerances are
// relative to the largest magnitude in the tensor compared (float32 kernels,
// float64 references).
const (
	fwdTol  = 2e-6
	gradTol = 2e-5
)

type gradInput struct {
	shape    []int
	param    bool    // a Param (weights) rather than a Var
	positive bool    // values in (0.5, 1.5) (variances)
	scale    float64 // value spread (default 1)
	noGrad   bool    // a buffer: no gradient flows to it (not checked)
}

type gradCase struct {
	name  string
	in    []gradInput
	train bool
	run   func(t *Tape, v []*Var, p []*Param) *Var
	ref   func(x [][]float64) []float64
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func runGradCase(t *testing.T, tc gradCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
	x64 := make([][]float64, len(tc.in))
	tp := NewTape(tc.train)
	vars := make([]*Var, len(tc.in))
	params := make([]*Param, len(tc.in))
	grads := make([][]float32, len(tc.in))
	for i, in := range tc.in {
		n := numel(in.shape)
		x64[i] = make([]float64, n)
		data := make([]float32, n)
		sc := in.scale
		if sc == 0 {
			sc = 1
		}
		for j := range data {
			v := float32(r.NormFloat64() * sc)
			if in.positive {
				v = float32(0.5 + r.Float64())
			}
			data[j] = v
			x64[i][j] = float64(v)
		}
		if in.param {
			p := &Param{Name: tc.name, Shape: in.shape, Data: data}
			p.EnableGrad()
			params[i] = p
			grads[i] = p.Grad
		} else {
			v := tp.Const(data, in.shape...)
			v.Grad = make([]float32, n)
			vars[i] = v
			grads[i] = v.Grad
		}
	}
	y := tc.run(tp, vars, params)
	want := tc.ref(x64)
	got := y.Data()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, reference %d", tc.name, len(got), len(want))
	}
	var maxRef, maxErr float64
	for i := range want {
		maxRef = math.Max(maxRef, math.Abs(want[i]))
		maxErr = math.Max(maxErr, math.Abs(float64(got[i])-want[i]))
	}
	if maxErr > fwdTol*math.Max(maxRef, 1e-6) {
		t.Errorf("%s: forward max abs err %.3g (max |ref| %.3g)", tc.name, maxErr, maxRef)
	}
	// Backward from L = sum w*y.
	w := make([]float64, len(want))
	for i := range w {
		w[i] = r.NormFloat64()
		y.Grad[i] = float32(w[i])
	}
	for i := len(tp.back) - 1; i >= 0; i-- {
		tp.back[i]()
	}
	loss := func() float64 {
		out := tc.ref(x64)
		var s float64
		for i, v := range out {
			s += w[i] * v
		}
		return s
	}
	for i := range tc.in {
		if tc.in[i].noGrad {
			continue
		}
		fd := make([]float64, len(x64[i]))
		var maxFD float64
		for j := range x64[i] {
			orig := x64[i][j]
			h := 1e-6 * math.Max(1, math.Abs(orig))
			x64[i][j] = orig + h
			lp := loss()
			x64[i][j] = orig - h
			lm := loss()
			x64[i][j] = orig
			fd[j] = (lp - lm) / (2 * h)
			maxFD = math.Max(maxFD, math.Abs(fd[j]))
		}
		var worst float64
		for j := range fd {
			e := math.Abs(float64(grads[i][j]) - fd[j])
			worst = math.Max(worst, e)
		}
		if worst > gradTol*math.Max(maxFD, 1e-6) {
			t.Errorf("%s: input %d gradient max abs err %.3g (max |fd| %.3g)", tc.name, i, worst, maxFD)
		}
	}
}

// References in float64.

func refLinear(x, w, b []float64, rows, in, out int) []float64 {
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for i := 0; i < in; i++ {
				s += x[r*in+i] * w[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func refConv(x, w, b []float64, n int, g ops.ConvGeom, o, groups int) []float64 {
	oh, ow := g.OutSize()
	cg, og := g.C/groups, o/groups
	y := make([]float64, n*o*oh*ow)
	for s := 0; s < n; s++ {
		for oc := 0; oc < o; oc++ {
			gi := oc / og
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					v := 0.0
					if b != nil {
						v = b[oc]
					}
					for ci := 0; ci < cg; ci++ {
						for ky := 0; ky < g.KH; ky++ {
							for kx := 0; kx < g.KW; kx++ {
								iy := oy*g.StrideH - g.PadH + ky*g.DilH
								ix := ox*g.StrideW - g.PadW + kx*g.DilW
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								v += x[((s*g.C+gi*cg+ci)*g.H+iy)*g.W+ix] * w[((oc*cg+ci)*g.KH+ky)*g.KW+kx]
							}
						}
					}
					y[((s*o+oc)*oh+oy)*ow+ox] = v
				}
			}
		}
	}
	return y
}

// refConvT is PyTorch's ConvTranspose2d: each input pixel scatters
// x * w[ci][co] into the output at (iy*s - p + ky*d, ix*s - p + kx*d).
func refConvT(x, w, b []float64, n, cin, h, wd int, out ops.ConvGeom) []float64 {
	cout := out.C
	y := make([]float64, n*cout*out.H*out.W)
	for s := 0; s < n; s++ {
		for co := 0; co < cout; co++ {
			for i := 0; i < out.H*out.W; i++ {
				if b != nil {
					y[(s*cout+co)*out.H*out.W+i] = b[co]
				}
			}
		}
		for ci := 0; ci < cin; ci++ {
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < wd; ix++ {
					xv := x[((s*cin+ci)*h+iy)*wd+ix]
					for co := 0; co < cout; co++ {
						for ky := 0; ky < out.KH; ky++ {
							for kx := 0; kx < out.KW; kx++ {
								oy := iy*out.StrideH - out.PadH + ky*out.DilH
								ox := ix*out.StrideW - out.PadW + kx*out.DilW
								if oy < 0 || oy >= out.H || ox < 0 || ox >= out.W {
									continue
								}
								y[((s*cout+co)*out.H+oy)*out.W+ox] += xv * w[((ci*cout+co)*out.KH+ky)*out.KW+kx]
							}
						}
					}
				}
			}
		}
	}
	return y
}

func refSoftmaxRows(x []float64, n int) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < len(x)/n; r++ {
		m := math.Inf(-1)
		for _, v := range x[r*n : (r+1)*n] {
			m = math.Max(m, v)
		}
		s := 0.0
		for i := r * n; i < (r+1)*n; i++ {
			y[i] = math.Exp(x[i] - m)
			s += y[i]
		}
		for i := r * n; i < (r+1)*n; i++ {
			y[i] /= s
		}
	}
	return y
}

func refAttention(q, k, v []float64, ldq, ldk, ldv, qOff, kOff, vOff, b, nq, nk, heads, hd int, scale float64) []float64 {
	e := heads * hd
	out := make([]float64, b*nq*e)
	for i := 0; i < b; i++ {
		for h := 0; h < heads; h++ {
			s := make([]float64, nq*nk)
			for r := 0; r < nq; r++ {
				for c := 0; c < nk; c++ {
					d := 0.0
					for j := 0; j < hd; j++ {
						d += q[qOff+(i*nq+r)*ldq+h*hd+j] * k[kOff+(i*nk+c)*ldk+h*hd+j]
					}
					s[r*nk+c] = d * scale
				}
			}
			p := refSoftmaxRows(s, nk)
			for r := 0; r < nq; r++ {
				for j := 0; j < hd; j++ {
					d := 0.0
					for c := 0; c < nk; c++ {
						d += p[r*nk+c] * v[vOff+(i*nk+c)*ldv+h*hd+j]
					}
					out[(i*nq+r)*e+h*hd+j] = d
				}
			}
		}
	}
	return out
}

func TestTapeGradients(t *testing.T) {
	geom := func(c, h, w, k, s, p, d int) ops.ConvGeom {
		return ops.ConvGeom{C: c, H: h, W: w, KH: k, KW: k, StrideH: s, StrideW: s, PadH: p, PadW: p, DilH: d, DilW: d}
	}
	cases := []gradCase{
		{name: "Add", in: []gradInput{{shape: []int{7}}, {shape: []int{7}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Add(v[0], v[1]) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 7)
				for i := range y {
					y[i] = x[0][i] + x[1][i]
				}
				return y
			}},
		{name: "Mul", in: []gradInput{{shape: []int{9}}, {shape: []int{9}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Mul(v[0], v[1]) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 9)
				for i := range y {
					y[i] = x[0][i] * x[1][i]
				}
				return y
			}},
		{name: "ScaleBy", in: []gradInput{{shape: []int{5}}, {shape: []int{3}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var { return t.ScaleBy(v[0], t.Param(p[1]), 2) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 5)
				for i := range y {
					y[i] = x[0][i] * x[1][2]
				}
				return y
			}},
		{name: "ReLU", in: []gradInput{{shape: []int{17}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.ReLU(v[0]) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, len(x[0]))
				for i, v := range x[0] {
					y[i] = math.Max(v, 0)
				}
				return y
			}},
		{name: "LeakyReLU", in: []gradInput{{shape: []int{17}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.LeakyReLU(v[0], 0.2) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, len(x[0]))
				for i, v := range x[0] {
					y[i] = v
					if v <= 0 {
						y[i] = 0.2 * v
					}
				}
				return y
			}},
		{name: "Sigmoid", in: []gradInput{{shape: []int{15}, scale: 3}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Sigmoid(v[0]) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, len(x[0]))
				for i, v := range x[0] {
					y[i] = 1 / (1 + math.Exp(-v))
				}
				return y
			}},
		{name: "GELU", in: []gradInput{{shape: []int{33}, scale: 2}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.GELU(v[0]) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, len(x[0]))
				for i, v := range x[0] {
					y[i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
				}
				return y
			}},
		{name: "Softmax", in: []gradInput{{shape: []int{3, 7}, scale: 2}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Softmax(v[0], 7) },
			ref: func(x [][]float64) []float64 { return refSoftmaxRows(x[0], 7) }},
		{name: "MeanRows", in: []gradInput{{shape: []int{2, 5, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.MeanRows(v[0], 2, 5, 3) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 6)
				for b := 0; b < 2; b++ {
					for r := 0; r < 5; r++ {
						for c := 0; c < 3; c++ {
							y[b*3+c] += x[0][(b*5+r)*3+c] / 5
						}
					}
				}
				return y
			}},
		{name: "MulRows", in: []gradInput{{shape: []int{2, 4, 3}}, {shape: []int{2, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.MulRows(v[0], v[1], 2, 4, 3) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 24)
				for i := range y {
					y[i] = x[0][i] * x[1][(i/12)*3+i%3]
				}
				return y
			}},
		{name: "Transpose", in: []gradInput{{shape: []int{2, 3, 5}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Transpose(v[0], 2, 3, 5) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 30)
				for b := 0; b < 2; b++ {
					for i := 0; i < 3; i++ {
						for j := 0; j < 5; j++ {
							y[(b*5+j)*3+i] = x[0][(b*3+i)*5+j]
						}
					}
				}
				return y
			}},
		{name: "Concat", in: []gradInput{{shape: []int{2, 3, 4}}, {shape: []int{2, 1, 4}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Concat(2, 4, v[0], v[1]) },
			ref: func(x [][]float64) []float64 {
				var y []float64
				for b := 0; b < 2; b++ {
					y = append(y, x[0][b*12:(b+1)*12]...)
					y = append(y, x[1][b*4:(b+1)*4]...)
				}
				return y
			}},
		{name: "RowsView", in: []gradInput{{shape: []int{5, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.Sigmoid(t.Rows(v[0], 3, 1, 4)) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 9)
				for i := range y {
					y[i] = 1 / (1 + math.Exp(-x[0][3+i]))
				}
				return y
			}},
		{name: "BroadcastPlanes", in: []gradInput{{shape: []int{2, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.BroadcastPlanes(v[0], 2, 3, 4) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 24)
				for i := range y {
					y[i] = x[0][i/4]
				}
				return y
			}},
		{name: "MeanPlanes", in: []gradInput{{shape: []int{6, 5}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.MeanPlanes(v[0], 6, 5) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 6)
				for i := range y {
					for j := 0; j < 5; j++ {
						y[i] += x[0][i*5+j] / 5
					}
				}
				return y
			}},
		{name: "AdaptiveAvgPool", in: []gradInput{{shape: []int{3, 10}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.AdaptiveAvgPool(v[0], 3, 10, 4) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 12)
				for r := 0; r < 3; r++ {
					for o := 0; o < 4; o++ {
						s, e := o*10/4, ((o+1)*10+3)/4
						for i := s; i < e; i++ {
							y[r*4+o] += x[0][r*10+i] / float64(e-s)
						}
					}
				}
				return y
			}},
		{name: "HaarDWT", in: []gradInput{{shape: []int{2, 3, 5, 4}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.HaarDWT(v[0], 2, 3, 5, 4) },
			ref: func(x [][]float64) []float64 {
				k := [4][2][2]float64{{{.5, .5}, {.5, .5}}, {{.5, -.5}, {.5, -.5}}, {{.5, .5}, {-.5, -.5}}, {{.5, -.5}, {-.5, .5}}}
				oh, ow := 3, 2
				y := make([]float64, 2*12*oh*ow)
				for b := 0; b < 2; b++ {
					for s := 0; s < 4; s++ {
						for c := 0; c < 3; c++ {
							for i := 0; i < oh; i++ {
								for j := 0; j < ow; j++ {
									v := 0.0
									for r := 0; r < 2; r++ {
										for q := 0; q < 2; q++ {
											if 2*i+r < 5 && 2*j+q < 4 {
												v += k[s][r][q] * x[0][((b*3+c)*5+2*i+r)*4+2*j+q]
											}
										}
									}
									y[((b*12+s*3+c)*oh+i)*ow+j] = v
								}
							}
						}
					}
				}
				return y
			}},
		{name: "Linear", in: []gradInput{{shape: []int{7, 5}}, {shape: []int{3, 5}, param: true}, {shape: []int{3}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				l := &Linear{In: 5, Out: 3, W: p[1], B: p[2]}
				return l.Apply(t, v[0])
			},
			ref: func(x [][]float64) []float64 { return refLinear(x[0], x[1], x[2], 7, 5, 3) }},
		{name: "LayerNorm", in: []gradInput{{shape: []int{4, 6}, scale: 3}, {shape: []int{6}, param: true}, {shape: []int{6}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				l := &LayerNorm{Dim: 6, Eps: 1e-6, Gamma: p[1], Beta: p[2]}
				return l.Apply(t, v[0])
			},
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 24)
				for r := 0; r < 4; r++ {
					row := x[0][r*6 : (r+1)*6]
					var mu, v float64
					for _, a := range row {
						mu += a / 6
					}
					for _, a := range row {
						v += (a - mu) * (a - mu) / 6
					}
					for i, a := range row {
						y[r*6+i] = (a-mu)/math.Sqrt(v+1e-6)*x[1][i] + x[2][i]
					}
				}
				return y
			}},
		{name: "BatchNormTrain", train: true,
			in: []gradInput{{shape: []int{3, 2, 5}, scale: 2}, {shape: []int{2}, param: true}, {shape: []int{2}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				bn := NewBatchNorm("bn", 2)
				bn.Gamma, bn.Beta = p[1], p[2]
				return bn.Apply(t, v[0], 3, 5)
			},
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 30)
				for c := 0; c < 2; c++ {
					var mu, v float64
					for b := 0; b < 3; b++ {
						for i := 0; i < 5; i++ {
							mu += x[0][(b*2+c)*5+i] / 15
						}
					}
					for b := 0; b < 3; b++ {
						for i := 0; i < 5; i++ {
							d := x[0][(b*2+c)*5+i] - mu
							v += d * d / 15
						}
					}
					for b := 0; b < 3; b++ {
						for i := 0; i < 5; i++ {
							q := (b*2+c)*5 + i
							y[q] = (x[0][q]-mu)/math.Sqrt(v+BNEps)*x[1][c] + x[2][c]
						}
					}
				}
				return y
			}},
		{name: "BatchNormEval",
			in: []gradInput{{shape: []int{2, 3, 4}}, {shape: []int{3}, param: true}, {shape: []int{3}, param: true}, {shape: []int{3}, noGrad: true}, {shape: []int{3}, positive: true, noGrad: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				bn := NewBatchNorm("bn", 3)
				bn.Gamma, bn.Beta = p[1], p[2]
				copy(bn.RunningMean.Data, v[3].Data())
				copy(bn.RunningVar.Data, v[4].Data())
				return bn.Apply(t, v[0], 2, 4)
			},
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 24)
				for q := range y {
					c := (q / 4) % 3
					y[q] = (x[0][q]-x[3][c])/math.Sqrt(x[4][c]+BNEps)*x[1][c] + x[2][c]
				}
				return y
			}},
		{name: "Conv2D", in: []gradInput{{shape: []int{2, 3, 7, 6}}, {shape: []int{4, 3, 3, 3}, param: true}, {shape: []int{4}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				return t.Conv2D(v[0], 2, p[1], p[2], geom(3, 7, 6, 3, 2, 1, 1), 1)
			},
			ref: func(x [][]float64) []float64 { return refConv(x[0], x[1], x[2], 2, geom(3, 7, 6, 3, 2, 1, 1), 4, 1) }},
		{name: "Conv2DDilated", in: []gradInput{{shape: []int{1, 2, 9, 8}}, {shape: []int{3, 2, 3, 3}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				return t.Conv2D(v[0], 1, p[1], nil, geom(2, 9, 8, 3, 1, 3, 3), 1)
			},
			ref: func(x [][]float64) []float64 { return refConv(x[0], x[1], nil, 1, geom(2, 9, 8, 3, 1, 3, 3), 3, 1) }},
		{name: "Conv2DGroups", in: []gradInput{{shape: []int{2, 4, 5, 5}}, {shape: []int{6, 2, 3, 3}, param: true}, {shape: []int{6}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				return t.Conv2D(v[0], 2, p[1], p[2], geom(4, 5, 5, 3, 1, 1, 1), 2)
			},
			ref: func(x [][]float64) []float64 { return refConv(x[0], x[1], x[2], 2, geom(4, 5, 5, 3, 1, 1, 1), 6, 2) }},
		{name: "Conv2DDepthwiseStride4", in: []gradInput{{shape: []int{1, 3, 8, 8}}, {shape: []int{3, 1, 4, 4}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				return t.Conv2D(v[0], 1, p[1], nil, geom(3, 8, 8, 4, 4, 0, 1), 3)
			},
			ref: func(x [][]float64) []float64 { return refConv(x[0], x[1], nil, 1, geom(3, 8, 8, 4, 4, 0, 1), 3, 3) }},
		{name: "ConvTranspose2D", in: []gradInput{{shape: []int{2, 3, 3, 4}}, {shape: []int{3, 2, 4, 4}, param: true}, {shape: []int{2}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var {
				return t.ConvTranspose2D(v[0], 2, p[1], p[2], geom(2, 6, 8, 4, 2, 1, 1))
			},
			ref: func(x [][]float64) []float64 {
				return refConvT(x[0], x[1], x[2], 2, 3, 3, 4, geom(2, 6, 8, 4, 2, 1, 1))
			}},
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			ta, tb := ta, tb
			name := "MatMul"
			if ta {
				name += "TA"
			}
			if tb {
				name += "TB"
			}
			cases = append(cases, gradCase{name: name, in: []gradInput{{shape: []int{2, 3, 4}}, {shape: []int{2, 4, 5}}},
				run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.MatMul(v[0], v[1], 2, 3, 4, 5, ta, tb) },
				ref: func(x [][]float64) []float64 {
					y := make([]float64, 2*3*5)
					for b := 0; b < 2; b++ {
						for i := 0; i < 3; i++ {
							for j := 0; j < 5; j++ {
								for p := 0; p < 4; p++ {
									a := x[0][b*12+i*4+p]
									if ta {
										a = x[0][b*12+p*3+i]
									}
									bb := x[1][b*20+p*5+j]
									if tb {
										bb = x[1][b*20+j*4+p]
									}
									y[(b*3+i)*5+j] += a * bb
								}
							}
						}
					}
					return y
				}})
		}
	}
	// Self-attention on one qkv tensor (the ViT form) and cross-attention
	// between separate tensors (the fusion form).
	cases = append(cases,
		gradCase{name: "SelfAttention", in: []gradInput{{shape: []int{2 * 5, 3 * 4}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var {
				return t.AttentionT(v[0], 0, 12, v[0], 4, 12, v[0], 8, 12, 2, 5, 5, 2, 2, 0.7)
			},
			ref: func(x [][]float64) []float64 {
				return refAttention(x[0], x[0], x[0], 12, 12, 12, 0, 4, 8, 2, 5, 5, 2, 2, 0.7)
			}},
		gradCase{name: "CrossAttention", in: []gradInput{{shape: []int{3, 4}}, {shape: []int{6, 4}}, {shape: []int{6, 4}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var {
				return t.AttentionT(v[0], 0, 4, v[1], 0, 4, v[2], 0, 4, 1, 3, 6, 2, 2, 0.5)
			},
			ref: func(x [][]float64) []float64 {
				return refAttention(x[0], x[1], x[2], 4, 4, 4, 0, 0, 0, 1, 3, 6, 2, 2, 0.5)
			}},
	)
	cases = append(cases,
		gradCase{name: "SumBlocks", in: []gradInput{{shape: []int{2, 4, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.SumBlocks(v[0], 2, 4, 3, 3, 1, 2) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 6)
				for o := 0; o < 2; o++ {
					for i := 0; i < 3; i++ {
						y[o*3+i] = x[0][(o*4+3)*3+i] + x[0][(o*4+1)*3+i] + x[0][(o*4+2)*3+i]
					}
				}
				return y
			}},
		gradCase{name: "OuterSum", in: []gradInput{{shape: []int{2, 3}}, {shape: []int{2, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.OuterSum(v[0], v[1], 2, 3) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 18)
				for b := 0; b < 2; b++ {
					for i := 0; i < 3; i++ {
						for j := 0; j < 3; j++ {
							y[(b*3+i)*3+j] = x[0][b*3+i] + x[1][b*3+j]
						}
					}
				}
				return y
			}},
		gradCase{name: "AddBroadcast", in: []gradInput{{shape: []int{3, 4}}, {shape: []int{4}, param: true}},
			run: func(t *Tape, v []*Var, p []*Param) *Var { return t.AddBroadcast(v[0], t.Param(p[1]), 3, 4) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 12)
				for i := range y {
					y[i] = x[0][i] + x[1][i%4]
				}
				return y
			}},
		gradCase{name: "ParamSlice", in: []gradInput{{shape: []int{6}, param: true}},
			run: func(t *Tape, _ []*Var, p []*Param) *Var { return t.Sigmoid(t.ParamSlice(p[0], 2, 5, 3, 1)) },
			ref: func(x [][]float64) []float64 {
				y := make([]float64, 3)
				for i := range y {
					y[i] = 1 / (1 + math.Exp(-x[0][2+i]))
				}
				return y
			}},
		gradCase{name: "ResizeBilinearX4", in: []gradInput{{shape: []int{2, 3, 5}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.ResizeBilinear(v[0], 2, 3, 5, 12, 20) },
			ref: func(x [][]float64) []float64 { return refResize(x[0], 2, 3, 5, 12, 20) }},
		gradCase{name: "ResizeBilinearOdd", in: []gradInput{{shape: []int{1, 4, 3}}},
			run: func(t *Tape, v []*Var, _ []*Param) *Var { return t.ResizeBilinear(v[0], 1, 4, 3, 7, 5) },
			ref: func(x [][]float64) []float64 { return refResize(x[0], 1, 4, 3, 7, 5) }},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runGradCase(t, tc) })
	}
}

// refResize is PyTorch's bilinear interpolation with align_corners=False.
func refResize(x []float64, planes, h, w, oh, ow int) []float64 {
	y := make([]float64, planes*oh*ow)
	src := func(o, in, out int) (int, int, float64) {
		s := math.Max((float64(o)+0.5)*float64(in)/float64(out)-0.5, 0)
		f := int(math.Floor(s))
		if f > in-1 {
			f = in - 1
		}
		return f, min(f+1, in-1), s - float64(f)
	}
	for p := 0; p < planes; p++ {
		for oy := 0; oy < oh; oy++ {
			a0, a1, ly := src(oy, h, oh)
			for ox := 0; ox < ow; ox++ {
				b0, b1, lx := src(ox, w, ow)
				v := func(yy, xx int) float64 { return x[(p*h+yy)*w+xx] }
				y[(p*oh+oy)*ow+ox] = (1-ly)*((1-lx)*v(a0, b0)+lx*v(a0, b1)) + ly*((1-lx)*v(a1, b0)+lx*v(a1, b1))
			}
		}
	}
	return y
}

func TestBatchNormRunningStats(t *testing.T) {
	bn := NewBatchNorm("bn", 1)
	tp := NewTape(true)
	x := tp.Const([]float32{1, 2, 3, 6}, 2, 1, 2) // mean 3, unbiased var 14/3
	bn.Apply(tp, x, 2, 2)
	if got, want := bn.RunningMean.Data[0], float32(0.9*0+0.1*3); got != want {
		t.Errorf("running mean %v, want %v", got, want)
	}
	if got, want := bn.RunningVar.Data[0], float32(0.9*1+0.1*14.0/3); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("running var %v, want %v", got, want)
	}
}

func TestBackwardErrors(t *testing.T) {
	tp := NewTape(false)
	x := tp.Const([]float32{1, 2}, 2)
	if err := tp.Backward(x); err == nil {
		t.Error("Backward of a 2-element value: no error")
	}
	y := tp.MeanPlanes(x, 1, 2)
	if err := tp.Backward(y); err == nil {
		t.Error("Backward without any gradient: no error")
	}
}
