package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// softmaxRef is a float64 softmax of one row.
func softmaxRef(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// TestSoftmax checks Softmax on every exp path against float64, per row
// (max|got-want| / max|want| <= 3e-6: exp is within an ulp, but x - max is
// rounded to float32 before it, which costs |x - max| ulps of the argument,
// and the sum is float32), on ragged shapes with guards, and its special
// rows.
func TestSoftmax(t *testing.T) {
	r := newRand(9)
	for _, im := range expImpls(t) {
		for _, n := range raggedSizes {
			for _, rows := range []int{1, 3, 17} {
				name := fmt.Sprintf("%s/%dx%d", im.name, rows, n)
				x, buf := guarded(rows * n)
				copy(x, randNormal(r, rows*n, 4))
				src := append([]float32(nil), x...)
				softmaxWith(x, n, im.expAll)
				checkGuards(t, name, buf)
				for i := 0; i < rows; i++ {
					checkRel(t, fmt.Sprintf("%s/row%d", name, i), x[i*n:(i+1)*n], softmaxRef(src[i*n:(i+1)*n]), 3e-6)
				}
			}
		}
		inf := float32(math.Inf(-1))
		for _, tc := range []struct {
			row, want []float32
		}{
			{[]float32{0, inf, 0, inf}, []float32{0.5, 0, 0.5, 0}},
			{[]float32{3e38, 3e38, -3e38}, []float32{0.5, 0.5, 0}},
			{[]float32{7, 7, 7, 7, 7}, []float32{0.2, 0.2, 0.2, 0.2, 0.2}},
			{[]float32{-1e4, 0}, []float32{0, 1}},
		} {
			x := append([]float32(nil), tc.row...)
			softmaxWith(x, len(x), im.expAll)
			for i := range x {
				if math.Abs(float64(x[i]-tc.want[i])) > 1e-7 {
					t.Errorf("%s: softmax(%v) = %v, want %v", im.name, tc.row, x, tc.want)
					break
				}
			}
		}
		nan := float32(math.NaN())
		for _, row := range [][]float32{{1, nan, 2}, {nan, 1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6, 7, nan}} {
			x := append([]float32(nil), row...)
			softmaxWith(x, len(x), im.expAll)
			for _, v := range x {
				if v == v {
					t.Errorf("%s: softmax of %v = %v, want all NaN", im.name, row, x)
					break
				}
			}
		}
	}
}

// layerNormRef normalises one row in float64.
func layerNormRef(x, gamma, beta []float32, eps float64) (out []float64, mean, rstd float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += float64(v)
	}
	mean /= n
	var q float64
	for _, v := range x {
		q += (float64(v) - mean) * (float64(v) - mean)
	}
	rstd = 1 / math.Sqrt(q/n+eps)
	out = make([]float64, len(x))
	for i, v := range x {
		y := (float64(v) - mean) * rstd
		if gamma != nil {
			y *= float64(gamma[i])
		}
		if beta != nil {
			y += float64(beta[i])
		}
		out[i] = y
	}
	return out, mean, rstd
}

// TestLayerNorm checks LayerNorm against float64 (relative 3e-7 per row:
// the statistics are float64, each output is rounded once) on ragged rows,
// with and without gamma/beta, inputs with a large common offset, and the
// saved statistics.
func TestLayerNorm(t *testing.T) {
	r := newRand(10)
	for _, n := range raggedSizes {
		for _, affine := range []string{"both", "gamma", "beta", "none"} {
			rows := 5
			name := fmt.Sprintf("n=%d/%s", n, affine)
			src := randNormal(r, rows*n, 2)
			for i := range src[:n] {
				src[i] += 1000 // a row whose mean dwarfs its spread
			}
			var gamma, beta []float32
			if affine == "both" || affine == "gamma" {
				gamma = randNormal(r, n, 1)
			}
			if affine == "both" || affine == "beta" {
				beta = randNormal(r, n, 1)
			}
			dst, buf := guarded(rows * n)
			mean, rstd := make([]float32, rows), make([]float32, rows)
			LayerNormStats(dst, src, n, gamma, beta, 1e-6, mean, rstd)
			checkGuards(t, name, buf)
			for i := 0; i < rows; i++ {
				want, mu, rs := layerNormRef(src[i*n:(i+1)*n], gamma, beta, float64(float32(1e-6)))
				checkRel(t, fmt.Sprintf("%s/row%d", name, i), dst[i*n:(i+1)*n], want, 3e-7)
				if math.Abs(float64(mean[i])-mu) > 1e-6*math.Abs(mu)+1e-7 || math.Abs(float64(rstd[i])-rs) > 1e-6*rs {
					t.Errorf("%s/row%d: mean %g rstd %g, want %g %g", name, i, mean[i], rstd[i], mu, rs)
				}
			}
			again := append([]float32(nil), src...)
			LayerNorm(again, again, n, gamma, beta, 1e-6)
			for i := range again {
				if math.Float32bits(again[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("%s: in place differs at %d", name, i)
				}
			}
		}
	}
}

// TestBatchNorm checks BatchNormScaleShift + BatchNorm against the float64
// definition (x - mean)/sqrt(var + eps)*gamma + beta, with and without the
// affine parameters and ReLU: relative error 1e-6 of the largest output.
func TestBatchNorm(t *testing.T) {
	r := newRand(11)
	for _, sz := range [][3]int{{1, 1, 1}, {2, 3, 7}, {1, 17, 33}, {3, 5, 65}} {
		for _, act := range []Act{ActNone, ActReLU} {
			for _, affine := range []bool{true, false} {
				n, c, hw := sz[0], sz[1], sz[2]
				name := fmt.Sprintf("%v/act%d/affine=%v", sz, act, affine)
				var gamma, beta []float32
				if affine {
					gamma, beta = randNormal(r, c, 1), randNormal(r, c, 1)
				}
				mean := randNormal(r, c, 1)
				variance := make([]float32, c)
				for i := range variance {
					variance[i] = float32(r.Float64()*2 + 0.01)
				}
				scale, shift := make([]float32, c), make([]float32, c)
				if err := BatchNormScaleShift(scale, shift, gamma, beta, mean, variance, 1e-5); err != nil {
					t.Fatal(err)
				}
				src := randNormal(r, n*c*hw, 2)
				dst, buf := guarded(n * c * hw)
				BatchNorm(dst, src, n, c, hw, scale, shift, act)
				checkGuards(t, name, buf)
				want := make([]float64, len(src))
				for i, v := range src {
					ch := i / hw % c
					y := (float64(v) - float64(mean[ch])) / math.Sqrt(float64(variance[ch])+float64(float32(1e-5)))
					if affine {
						y = y*float64(gamma[ch]) + float64(beta[ch])
					}
					want[i] = actRef(y, act)
				}
				checkRel(t, name, dst, want, 1e-6)
			}
		}
	}
	s := make([]float32, 2)
	for _, tc := range []struct {
		name                     string
		scale, gamma, mean, vari []float32
		want                     string
	}{
		{"var", s, nil, s, s[:1], "running_var has 1"},
		{"gamma", s, s[:1], s, s, "weight has 1"},
		{"room", s[:1], nil, s, s, "room for"},
		{"nonpositive", s, nil, s, []float32{1, -1}, "channel 1"},
	} {
		err := BatchNormScaleShift(tc.scale, make([]float32, len(tc.scale)), tc.gamma, nil, tc.mean, tc.vari, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestFoldBatchNorm checks that a convolution (and a transposed one) with a
// folded BatchNorm computes BN(conv(x)) as evaluated in float64.
func TestFoldBatchNorm(t *testing.T) {
	r := newRand(12)
	bn := func(c int) (scale, shift, gamma, beta, mean, variance []float32) {
		gamma, beta, mean = randNormal(r, c, 1), randNormal(r, c, 1), randNormal(r, c, 1)
		variance = make([]float32, c)
		for i := range variance {
			variance[i] = float32(r.Float64() + 0.1)
		}
		scale, shift = make([]float32, c), make([]float32, c)
		if err := BatchNormScaleShift(scale, shift, gamma, beta, mean, variance, 1e-5); err != nil {
			t.Fatal(err)
		}
		return
	}
	apply := func(y []float64, c, hw int, gamma, beta, mean, variance []float32) {
		for i := range y {
			ch := i / hw % c
			y[i] = (y[i]-float64(mean[ch]))/math.Sqrt(float64(variance[ch])+float64(float32(1e-5)))*float64(gamma[ch]) + float64(beta[ch])
		}
	}
	{
		p := Conv2DParams{InC: 6, OutC: 8, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 2}
		w := randNormal(r, 8*3*9, 0.5)
		src := randNormal(r, 2*6*7*5, 1)
		want := convRef(src, w, nil, p, 2, 7, 5)
		scale, shift, gamma, beta, mean, variance := bn(8)
		apply(want, 8, 35, gamma, beta, mean, variance)
		fw, fb := append([]float32(nil), w...), make([]float32, 8)
		if err := FoldBatchNorm(fw, fb, scale, shift); err != nil {
			t.Fatal(err)
		}
		c, err := NewConv2D(fw, fb, p)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 2*8*35)
		if err := c.Forward(dst, src, 2, 7, 5, make([]float32, c.ScratchSize(2, 7, 5))); err != nil {
			t.Fatal(err)
		}
		checkRel(t, "conv", dst, want, 2e-6)
		if err := FoldBatchNorm(fw, fb[:7], scale, shift); err == nil {
			t.Error("FoldBatchNorm with a short bias: no error")
		}
	}
	{
		p := ConvTranspose2DParams{InC: 6, OutC: 4, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 2}
		w := randNormal(r, 6*2*16, 0.5)
		b := randNormal(r, 4, 1)
		src := randNormal(r, 6*3*5, 1)
		want := convTransposeRef(src, w, b, p, 1, 3, 5)
		scale, shift, gamma, beta, mean, variance := bn(4)
		apply(want, 4, 6*10, gamma, beta, mean, variance)
		fw, fb := append([]float32(nil), w...), append([]float32(nil), b...)
		if err := FoldBatchNormTransposed(fw, fb, 6, 2, scale, shift); err != nil {
			t.Fatal(err)
		}
		c, err := NewConvTranspose2D(fw, fb, p)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 4*6*10)
		if err := c.Forward(dst, src, 1, 3, 5, make([]float32, c.ScratchSize(1, 3, 5))); err != nil {
			t.Fatal(err)
		}
		checkRel(t, "transposed", dst, want, 2e-6)
		if err := FoldBatchNormTransposed(fw, fb, 5, 2, scale, shift); err == nil {
			t.Error("FoldBatchNormTransposed with 5 input channels in 2 groups: no error")
		}
	}
}

// TestLayerNormRowPaths checks the assembly LayerNorm row (where this host
// has one) against the pure-Go row on ragged lengths, rows with a large
// mean and constant rows: outputs, mean and rstd within one float32 ulp
// (both compute in float64; only the order of the two sums differs).
func TestLayerNormRowPaths(t *testing.T) {
	r := newRand(13)
	ulps := func(a, b float32) int64 {
		ia, ib := int64(int32(math.Float32bits(a))), int64(int32(math.Float32bits(b)))
		if ia < 0 {
			ia = math.MinInt32 - ia
		}
		if ib < 0 {
			ib = math.MinInt32 - ib
		}
		d := ia - ib
		if d < 0 {
			d = -d
		}
		return d
	}
	ran := false
	for _, n := range append([]int{2, 4, 5, 12, 19, 20, 31, 64, 768, 769}, raggedSizes...) {
		for variant := 0; variant < 3; variant++ {
			x := randNormal(r, n, 2)
			switch variant {
			case 1:
				for i := range x {
					x[i] += 3000
				}
			case 2:
				for i := range x {
					x[i] = 1.5
				}
			}
			gamma, beta := randNormal(r, n, 1), randNormal(r, n, 1)
			want := make([]float32, n)
			wm, ws := layerNormRow(want, x, gamma, beta, 1e-5)
			got, buf := guarded(n)
			gm, gs, ok := layerNormRowAsm(got, x, gamma, beta, 1e-5)
			if !ok {
				continue
			}
			ran = true
			name := fmt.Sprintf("n=%d/variant%d", n, variant)
			checkGuards(t, name, buf)
			if ulps(gm, wm) > 1 || ulps(gs, ws) > 1 {
				t.Fatalf("%s: mean %g rstd %g, Go %g %g", name, gm, gs, wm, ws)
			}
			for i := range got {
				if ulps(got[i], want[i]) > 1 {
					t.Fatalf("%s: y[%d] = %g, Go %g", name, i, got[i], want[i])
				}
			}
		}
	}
	if !ran {
		t.Skipf("no assembly LayerNorm on path %s", Path())
	}
}
