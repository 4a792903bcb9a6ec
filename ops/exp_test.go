package ops

import (
	"fmt"
	"math"
	"testing"
)

// expImpl is one implementation of the vector exp and GELU kernels; w is the
// number of lanes the kernel needs (1 for the pure-Go twin).
type expImpl struct {
	name string
	w    int
	exp  func(dst, src []float32, a, b float32) float32
	gelu func(dst, src []float32)
}

// expAll runs the kernel over any length (through the tail wrapper the
// dispatchers use).
func (im expImpl) expAll(dst, src []float32, a, b float32) float32 {
	if im.w == 1 {
		return im.exp(dst, src, a, b)
	}
	return expAffineVec(dst, src, a, b, im.w, im.exp)
}

func (im expImpl) geluAll(dst, src []float32) {
	if im.w == 1 {
		im.gelu(dst, src)
		return
	}
	unaryVec(dst, src, im.w, im.gelu)
}

// expSweep returns float32 values spread densely over [-110, 100]: every
// step-th bit pattern of each sign, plus the special values.
func expSweep(step uint32) []float32 {
	var xs []float32
	for b := uint32(0); b <= math.Float32bits(100); b += step {
		xs = append(xs, math.Float32frombits(b))
	}
	for b := uint32(0); b <= math.Float32bits(110); b += step {
		xs = append(xs, -math.Float32frombits(b))
	}
	inf := float32(math.Inf(1))
	xs = append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()),
		88.72283, 88.72284, 88.7229, 89, -87.33654, -87.33655, -103.27893, -103.972, -103.97208, -104, -105,
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-8, -1e-8)
	return xs
}

// TestExpAccuracy checks every exp path against the correctly rounded
// float32 of math.Exp over a dense sweep of the float32 range, including
// overflow to +Inf, results in the subnormals, underflow to 0, Inf and NaN.
// Tolerance: 1 ulp.
func TestExpAccuracy(t *testing.T) {
	xs := expSweep(397)
	want := make([]float32, len(xs))
	for i, x := range xs {
		want[i] = float32(math.Exp(float64(x)))
	}
	for _, im := range expImpls(t) {
		got := make([]float32, len(xs))
		im.expAll(got, xs, 1, 0)
		var worst int64
		var at float32
		for i := range xs {
			if d := ulpDiff(got[i], want[i]); d > worst {
				worst, at = d, xs[i]
			}
		}
		t.Logf("%s: %d values, max error %d ulp (at x=%g)", im.name, len(xs), worst, at)
		if worst > 1 {
			i := indexOf(xs, at)
			t.Errorf("%s: exp(%g) = %g, want %g (%d ulp)", im.name, at, got[i], want[i], worst)
		}
	}
}

func indexOf(xs []float32, x float32) int {
	for i, v := range xs {
		if v == x || (v != v && x != x) {
			return i
		}
	}
	return -1
}

// TestExpAffineSum checks exp(a*x+b) and the returned sum on ragged lengths,
// with guard values around the output and in-place use, for every path.
func TestExpAffineSum(t *testing.T) {
	r := newRand(1)
	for _, im := range expImpls(t) {
		for _, n := range raggedSizes {
			for _, ab := range [][2]float32{{1, 0}, {1, -2.5}, {-1, 0}, {0.125, 3}} {
				name := fmt.Sprintf("%s/n=%d/a=%g,b=%g", im.name, n, ab[0], ab[1])
				src := randNormal(r, n, 4)
				dst, buf := guarded(n)
				sum := im.expAll(dst, src, ab[0], ab[1])
				checkGuards(t, name, buf)
				want := make([]float64, n)
				var wsum float64
				for i, x := range src {
					want[i] = math.Exp(float64(float32(ab[0]*x) + ab[1]))
					wsum += want[i]
				}
				checkRel(t, name, dst, want, 2e-7)
				if e := math.Abs(float64(sum)-wsum) / wsum; e > 1e-6 {
					t.Errorf("%s: sum %g, want %g (relative error %.2g)", name, sum, wsum, e)
				}
				// In place gives the same bits.
				inp := append([]float32(nil), src...)
				im.expAll(inp, inp, ab[0], ab[1])
				for i := range inp {
					if math.Float32bits(inp[i]) != math.Float32bits(dst[i]) {
						t.Fatalf("%s: in-place result differs at %d", name, i)
					}
				}
			}
		}
	}
}

// geluRef is GELU in float64, with 1 + erf(x/sqrt2) written as
// erfc(-x/sqrt2) so that it keeps its accuracy for negative x.
func geluRef(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }

// TestErfAccuracy checks the pure-Go erf (whose formulas every GELU path
// shares) against math.Erf over a dense sweep: absolute error below 1e-7.
func TestErfAccuracy(t *testing.T) {
	var worst, at float64
	for b := uint32(0); b <= math.Float32bits(8); b += 61 {
		for _, z := range []float32{math.Float32frombits(b), -math.Float32frombits(b)} {
			if d := math.Abs(float64(erf32(z)) - math.Erf(float64(z))); d > worst {
				worst, at = d, float64(z)
			}
		}
	}
	t.Logf("erf: max abs error %.3g at %g", worst, at)
	if worst > 1e-7 {
		t.Errorf("erf: max abs error %.3g at %g > 1e-7", worst, at)
	}
	for _, z := range []float32{float32(math.Inf(1)), float32(math.Inf(-1))} {
		if got := erf32(z); got != float32(math.Erf(float64(z))) {
			t.Errorf("erf(%g) = %g", z, got)
		}
	}
	if got := erf32(float32(math.NaN())); got == got {
		t.Errorf("erf(NaN) = %g", got)
	}
}

// TestGELUAccuracy checks every GELU path against float64 over a dense
// sweep of [-12, 12]: |got - want| <= 1.2e-7 * max(|x|, 1) everywhere (the
// erf error scaled by x/2, plus rounding), and relative error below 2e-5
// for x in [-8, -1] where GELU is small (the tail keeps relative accuracy).
func TestGELUAccuracy(t *testing.T) {
	var xs []float32
	for b := uint32(0); b <= math.Float32bits(12); b += 211 {
		xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
	}
	inf := float32(math.Inf(1))
	xs = append(xs, inf, -100, -20, -8.5, 1e20, -1e20)
	for _, im := range expImpls(t) {
		got := make([]float32, len(xs))
		im.geluAll(got, xs)
		var worstAbs, worstRel, atAbs, atRel float64
		for i, x := range xs {
			x64 := float64(x)
			w := geluRef(x64)
			if math.IsInf(x64, 0) || math.Abs(x64) > 1e10 {
				if math.IsInf(x64, 1) && !math.IsInf(float64(got[i]), 1) || x64 < 0 && got[i] != 0 {
					t.Errorf("%s: GELU(%g) = %g", im.name, x, got[i])
				}
				continue
			}
			d := math.Abs(float64(got[i]) - w)
			if e := d / max(math.Abs(x64), 1); e > worstAbs {
				worstAbs, atAbs = e, x64
			}
			if x64 <= -1 && x64 >= -8 {
				if e := d / math.Abs(w); e > worstRel {
					worstRel, atRel = e, x64
				}
			}
		}
		t.Logf("%s: %d values, max |error|/max(|x|,1) %.3g at %g; tail relative error %.3g at %g", im.name, len(xs), worstAbs, atAbs, worstRel, atRel)
		if worstAbs > 1.2e-7 || worstRel > 2e-5 {
			t.Errorf("%s: GELU error too large", im.name)
		}
		if g := got[:1]; true {
			im.geluAll(g, []float32{float32(math.NaN())})
			if g[0] == g[0] {
				t.Errorf("%s: GELU(NaN) = %g", im.name, g[0])
			}
		}
	}
}

// TestGELURagged runs GELU on ragged lengths with guards and in place.
func TestGELURagged(t *testing.T) {
	r := newRand(2)
	for _, im := range expImpls(t) {
		for _, n := range raggedSizes {
			name := fmt.Sprintf("%s/n=%d", im.name, n)
			src := randNormal(r, n, 3)
			dst, buf := guarded(n)
			im.geluAll(dst, src)
			checkGuards(t, name, buf)
			want := make([]float64, n)
			for i, x := range src {
				want[i] = geluRef(float64(x))
			}
			checkRel(t, name, dst, want, 1e-6)
			inp := append([]float32(nil), src...)
			im.geluAll(inp, inp)
			for i := range inp {
				if math.Float32bits(inp[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("%s: in-place result differs at %d", name, i)
				}
			}
		}
	}
}
