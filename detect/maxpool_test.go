package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxIntoAsm runs maxInto (the AVX2 assembly on the body where the CPU
// has it) against maxIntoGeneric bit for bit, NaN payloads of both signs,
// signed zeros and infinities in either operand included, on ragged
// lengths, with guard values after col that must stay untouched.
func TestMaxIntoAsm(t *testing.T) {
	if !useDeformAVX2 {
		t.Log("no AVX2 kernel on this platform: checking the plain Go loop alone")
	}
	r := rand.New(rand.NewPCG(9, 10))
	specials := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800123),
		math.Float32frombits(0xff812345), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1}
	const guard = 1e30
	for _, n := range []int{1, 7, 8, 9, 16, 17, 31, 40, 160, 320, 333} {
		for rep := 0; rep < 4; rep++ {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				if r.IntN(3) == 0 {
					a[i] = specials[r.IntN(len(specials))]
				}
				if r.IntN(3) == 0 {
					b[i] = specials[r.IntN(len(specials))]
				}
			}
			want := append([]float32(nil), a...)
			maxIntoGeneric(want, b)
			buf := make([]float32, n+8)
			for i := range buf {
				buf[i] = guard
			}
			got := buf[:n:n]
			copy(got, a)
			maxInto(got, b)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d: max(%#x, %#x) = %#x, plain Go %#x", n, math.Float32bits(a[i]), math.Float32bits(b[i]),
						math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
			for _, v := range buf[n:] {
				if v != guard {
					t.Fatalf("n %d: wrote past col", n)
				}
			}
		}
	}
}
