package coco

import (
	"math"
	"math/big"
	"path/filepath"
	"testing"
)

// TestExpCorrectlyRounded compares expCR bit for bit with e^x correctly
// rounded by Python's decimal module (tools/coco_exp_goldens.py): the OKS
// range [-20, 0], large negative arguments down to the subnormal and
// underflow range, tiny and positive arguments, boundaries. It also checks
// the slow path alone on every argument.
func TestExpCorrectlyRounded(t *testing.T) {
	var ref struct {
		X     []float64 `json:"x"`
		Exp   []float64 `json:"exp"`
		Numpy []float64 `json:"numpy"`
	}
	readJSON(t, filepath.Join(ownGoldenDir, "exp.json"), &ref)
	if len(ref.X) < 2000 || len(ref.X) != len(ref.Exp) {
		t.Fatalf("exp.json: %d arguments, %d values", len(ref.X), len(ref.Exp))
	}
	goSame, npSame := 0, 0
	for i, x := range ref.X {
		want := ref.Exp[i]
		if got := expCR(x); got != want {
			t.Errorf("expCR(%v) = %v (%x), want %v (%x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
		}
		if got := expSlow(x); got != want && x != 0 {
			t.Errorf("expSlow(%v) = %v, want %v", x, got, want)
		}
		if math.Exp(x) == want {
			goSame++
		}
		if ref.Numpy[i] == want {
			npSame++
		}
	}
	t.Logf("%d arguments: correctly rounded by math.Exp %d, by numpy %d", len(ref.X), goSame, npSame)
	for _, c := range []struct{ x, want float64 }{
		{math.Inf(-1), 0}, {math.Inf(1), math.Inf(1)}, {-1000, 0}, {1000, math.Inf(1)},
	} {
		if got := expCR(c.x); got != c.want {
			t.Errorf("expCR(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(expCR(math.NaN())) {
		t.Error("expCR(NaN) is not NaN")
	}
}

// TestExpConstants checks the double-double constants with big.Float:
// e^(ln2Hi + ln2Mid + ln2Lo) = 2, n! (cnHi + cnLo) = 1 and
// (exp2Table[j])^64 = 2^j, each to better than 2^-100.
func TestExpConstants(t *testing.T) {
	// ln 2 from expSlow's own series is what is under test elsewhere; here
	// e^(ln2Hi + ln2Mid + ln2Lo) must be 2 to 150 bits.
	f := func() *big.Float { return new(big.Float).SetPrec(200) }
	sum := f().Add(f().SetFloat64(ln2Hi), f().SetFloat64(ln2Mid))
	sum.Add(sum, f().SetFloat64(ln2Lo))
	// exp(sum) by its series.
	e, term := f().SetInt64(1), f().SetInt64(1)
	for n := int64(1); n < 80; n++ {
		term.Mul(term, sum)
		term.Quo(term, f().SetInt64(n))
		e.Add(e, term)
	}
	diff := f().Sub(e, f().SetInt64(2))
	if d, _ := diff.Float64(); math.Abs(d) > 0x1p-150 {
		t.Errorf("e^(ln2 split) - 2 = %g", d)
	}
	for _, c := range []struct {
		hi, lo float64
		n      int64
	}{{c3Hi, c3Lo, 6}, {c4Hi, c4Lo, 24}, {c5Hi, c5Lo, 120}} {
		v := f().Add(f().SetFloat64(c.hi), f().SetFloat64(c.lo))
		v.Mul(v, f().SetInt64(c.n))
		v.Sub(v, f().SetInt64(1))
		if d, _ := v.Float64(); math.Abs(d) > 0x1p-104 {
			t.Errorf("(%x + %x) * %d - 1 = %g", c.hi, c.lo, c.n, d)
		}
	}
	for j, c := range exp2Table {
		v := f().Add(f().SetFloat64(c[0]), f().SetFloat64(c[1]))
		p := f().SetInt64(1)
		for i := 0; i < 64; i++ {
			p.Mul(p, v)
		}
		p.SetMantExp(p, -j)
		p.Sub(p, f().SetInt64(1))
		if d, _ := p.Float64(); math.Abs(d) > 0x1p-100 {
			t.Errorf("exp2Table[%d]^64 / 2^%d - 1 = %g", j, j, d)
		}
		if math.Abs(c[1]) > math.Abs(c[0])*0x1p-52 {
			t.Errorf("exp2Table[%d] is not normalised: %v", j, c)
		}
	}
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = -20 * float64(i) / 1024
	}
	b.Run("expCR", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += expCR(xs[i%1024])
		}
		_ = s
	})
	b.Run("math.Exp", func(b *testing.B) {
		s := 0.0
		for i := 0; i < b.N; i++ {
			s += math.Exp(xs[i%1024])
		}
		_ = s
	})
}

// FuzzExp checks the fast path against the 320-bit one on any argument.
func FuzzExp(f *testing.F) {
	for _, x := range []float64{0, -1e-17, -0.5, -3.25, -20, -707.5, -745.1, 1, 700} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < -746 || math.Abs(x) < 0x1p-54 {
			return // handled before either path
		}
		if got, want := expCR(x), expSlow(x); got != want {
			t.Fatalf("expCR(%v) = %v, 320-bit %v", x, got, want)
		}
	})
}
