package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestRowMaxScale checks rowMax, scaleVec, addScalar and addVec (the dispatched path: AVX2 on
// amd64 hosts that have it) against plain loops and the pure-Go forms, on
// ragged lengths, with NaNs, infinities and signed zeros placed at the
// start, in the vector body and in the tail.
func TestRowMaxScale(t *testing.T) {
	t.Logf("row kernels on path %s", Path())
	r := newRand(12)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, n := range append([]int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 191, 192, 193}, raggedSizes...) {
		for variant := 0; variant < 6; variant++ {
			x := randNormal(r, n, 5)
			switch variant {
			case 1: // NaNs everywhere but one value
				for i := range x {
					if i != n/2 {
						x[i] = nan
					}
				}
			case 2: // all NaN
				for i := range x {
					x[i] = nan
				}
			case 3: // +Inf in the tail, NaN first
				x[0], x[n-1] = nan, inf
			case 4: // all -Inf
				for i := range x {
					x[i] = -inf
				}
			case 5: // signed zeros and negatives: the maximum is zero
				for i := range x {
					x[i] = -float32(math.Abs(float64(x[i])))
					if i%3 == 0 {
						x[i] = float32(math.Copysign(0, float64(i%2*2-1)))
					}
				}
			}
			want := float32(math.Inf(-1))
			for _, v := range x {
				if v > want {
					want = v
				}
			}
			name := fmt.Sprintf("n=%d/variant%d", n, variant)
			if got := rowMax(x); got != want && !(got != got && want != want) {
				t.Fatalf("%s: rowMax = %g, want %g", name, got, want)
			}
			if got := rowMaxGeneric(x); got != want {
				t.Fatalf("%s: rowMaxGeneric = %g, want %g", name, got, want)
			}
			s := float32(r.NormFloat64())
			z, zbuf := guarded(n)
			copy(z, x)
			addScalar(z, s)
			checkGuards(t, name+" addScalar", zbuf)
			bias := randNormal(r, n+1, 1)
			u, ubuf := guarded(n)
			copy(u, x)
			addVec(u, bias)
			checkGuards(t, name+" addVec", ubuf)
			for i, v := range x {
				if w := v + s; math.Float32bits(z[i]) != math.Float32bits(w) && !(w != w && z[i] != z[i]) {
					t.Fatalf("%s: addScalar[%d] = %g, want %g", name, i, z[i], w)
				}
				if w := v + bias[i]; math.Float32bits(u[i]) != math.Float32bits(w) && !(w != w && u[i] != u[i]) {
					t.Fatalf("%s: addVec[%d] = %g, want %g", name, i, u[i], w)
				}
			}
			y, buf := guarded(n)
			copy(y, x)
			scaleVec(y, s)
			checkGuards(t, name+" scale", buf)
			for i, v := range x {
				w := v * s
				if math.Float32bits(y[i]) != math.Float32bits(w) && !(w != w && y[i] != y[i]) {
					t.Fatalf("%s: scaleVec[%d] = %g, want %g", name, i, y[i], w)
				}
			}
		}
	}
}

// TestCopyRuns16 checks copyRuns16 (dispatched: AVX2 where the host has
// it) against its definition, with guards after the last run and values
// between the runs that must stay untouched.
func TestCopyRuns16(t *testing.T) {
	r := newRand(14)
	for _, n := range []int{0, 1, 2, 3, 7} {
		for _, stride := range []int{16, 17, 48, 256} {
			src := randNormal(r, 16*n+1, 1)
			dst, buf := guarded(max(0, (n-1)*stride+16))
			for i := range dst {
				dst[i] = -7
			}
			copyRuns16(dst, stride, src, n)
			checkGuards(t, fmt.Sprintf("n=%d stride=%d", n, stride), buf)
			for i := range dst {
				want := float32(-7)
				if run, k := i/stride, i%stride; k < 16 && run < n {
					want = src[16*run+k]
				}
				if dst[i] != want {
					t.Fatalf("n=%d stride=%d: dst[%d] = %g, want %g", n, stride, i, dst[i], want)
				}
			}
		}
	}
}

// TestCopyPanelRows32 checks copyPanelRows32 (dispatched: AVX2 where the
// host has it) and copyPanelRows32Generic against their definition, with
// guards around dst and values between the panels' rows that must stay
// untouched, on ragged row counts, run counts and bases.
func TestCopyPanelRows32(t *testing.T) {
	r := newRand(18)
	for _, f := range []struct {
		name string
		fn   func(dst, x []float32, bases []int, src, n, kcb int)
	}{{"dispatch", copyPanelRows32}, {"generic", copyPanelRows32Generic}} {
		for _, rows := range []int{1, 2, 5, 9, 64} {
			for _, n := range []int{1, 2, 3, 8} {
				kcb := rows + r.IntN(3)
				x := randNormal(r, 5000, 1)
				bases := make([]int, rows)
				for i := range bases {
					bases[i] = r.IntN(5000 - 32*n - 7)
				}
				src := r.IntN(7)
				dst, buf := guarded((n-1)*kcb*32 + kcb*32)
				for i := range dst {
					dst[i] = -7
				}
				f.fn(dst, x, bases, src, n, kcb)
				name := fmt.Sprintf("%s rows=%d n=%d kcb=%d", f.name, rows, n, kcb)
				checkGuards(t, name, buf)
				for i := range dst {
					want := float32(-7)
					panel, row, col := i/(kcb*32), i/32%kcb, i%32
					if row < rows {
						want = x[bases[row]+src+32*panel+col]
					}
					if dst[i] != want {
						t.Fatalf("%s: dst[%d] = %g, want %g", name, i, dst[i], want)
					}
				}
			}
		}
	}
}

// TestCopyPanelRowsSplit32 checks copyPanelRowsSplit32 (dispatched: AVX2
// where the host has it) and copyPanelRowsSplit32Generic against their
// definition, with guards around dst, on every split point.
func TestCopyPanelRowsSplit32(t *testing.T) {
	r := newRand(19)
	for _, f := range []struct {
		name string
		fn   func(dst, x []float32, bases []int, srcA, srcB, t1 int)
	}{{"dispatch", copyPanelRowsSplit32}, {"generic", copyPanelRowsSplit32Generic}} {
		for _, rows := range []int{1, 3, 9} {
			for t1 := 0; t1 <= 32; t1++ {
				x := randNormal(r, 3000, 1)
				bases := make([]int, rows)
				for i := range bases {
					bases[i] = r.IntN(2000)
				}
				srcA, srcB := r.IntN(400), r.IntN(400)
				dst, buf := guarded(32 * rows)
				f.fn(dst, x, bases, srcA, srcB, t1)
				name := fmt.Sprintf("%s rows=%d t1=%d", f.name, rows, t1)
				checkGuards(t, name, buf)
				for i := range dst {
					row, j := i/32, i%32
					want := x[bases[row]+srcA+j]
					if j >= t1 {
						want = x[bases[row]+srcB+j]
					}
					if dst[i] != want {
						t.Fatalf("%s: dst[%d] = %g, want %g", name, i, dst[i], want)
					}
				}
			}
		}
	}
}

// TestGatherEven checks gatherEven (dispatched: AVX2 where the host has
// it) and gatherEvenGeneric against their definition, with guards around
// dst, on ragged lengths and sources of exactly 2n-1 and 2n values.
func TestGatherEven(t *testing.T) {
	r := newRand(20)
	for _, f := range []struct {
		name string
		fn   func(dst, src []float32)
	}{{"dispatch", gatherEven}, {"exported", GatherEven}, {"generic", gatherEvenGeneric}} {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 32, 33, 160} {
			for _, extra := range []int{-1, 0, 5} {
				src := randNormal(r, 2*n+extra, 1)
				dst, buf := guarded(n)
				f.fn(dst, src)
				name := fmt.Sprintf("%s n=%d src=%d", f.name, n, len(src))
				checkGuards(t, name, buf)
				for i := range dst {
					if dst[i] != src[2*i] {
						t.Fatalf("%s: dst[%d] = %g, want %g", name, i, dst[i], src[2*i])
					}
				}
			}
		}
	}
}

// TestReLUAsm checks ReLU (dispatched: AVX2 where the host has it, then
// the plain loop for the tail) against reluGeneric bit for bit, NaN
// payloads, signed zeros and infinities included, out of place (with
// guards) and in place, on ragged lengths.
func TestReLUAsm(t *testing.T) {
	r := newRand(17)
	specials := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800123),
		float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), -1e-40, 1e-40}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 100, 1027} {
		src := randNormal(r, n, 3)
		for i := range src {
			if r.IntN(4) == 0 {
				src[i] = specials[r.IntN(len(specials))]
			}
		}
		want := make([]float32, n)
		reluGeneric(want, src)
		dst, buf := guarded(n)
		ReLU(dst, src)
		checkGuards(t, fmt.Sprint(n), buf)
		in := append([]float32(nil), src...)
		ReLU(in, in)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) || math.Float32bits(in[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: ReLU(%#x) = %#x (in place %#x), plain Go %#x", n, math.Float32bits(src[i]),
					math.Float32bits(dst[i]), math.Float32bits(in[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// TestPackT16 checks packT16 (dispatched: AVX2 8x8 transposes where the
// host has AVX2, then the pure-Go rows) against the definition, with guards
// around dst, on ragged lengths and strides.
func TestPackT16(t *testing.T) {
	r := newRand(15)
	for _, kcb := range []int{1, 3, 7, 8, 9, 15, 16, 17, 33, 64, 100} {
		for _, stride := range []int{kcb, kcb + 1, 64, 192 * 3} {
			if stride < kcb {
				continue
			}
			src := randNormal(r, 15*stride+kcb, 1)
			dst, buf := guarded(kcb * 16)
			packT16(dst, src, stride, kcb)
			name := fmt.Sprintf("kcb=%d stride=%d", kcb, stride)
			checkGuards(t, name, buf)
			for p := 0; p < kcb; p++ {
				for j := 0; j < 16; j++ {
					if got, want := dst[p*16+j], src[j*stride+p]; got != want {
						t.Fatalf("%s: dst[%d][%d] = %g, want %g", name, p, j, got, want)
					}
				}
			}
		}
	}
}
