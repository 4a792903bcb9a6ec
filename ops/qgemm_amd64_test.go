//go:build !noasm

package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestQuantizeU8AVX2 checks the AVX2 activation quantizer and row maximum
// against their pure-Go twins on ragged lengths, with guard bytes, on
// values that land exactly on and next to the rounding midpoints.
func TestQuantizeU8AVX2(t *testing.T) {
	if !haveAVX2() {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(17, 8))
	for _, n := range []int{32, 64, 96, 160, 1024} {
		x := make([]float32, n)
		for i := range x {
			switch i % 4 {
			case 0: // exact midpoints k + 0.5 with inv = 1
				x[i] = float32(r.IntN(254)-127) + 0.5
			case 1: // just below and above a midpoint
				x[i] = math.Nextafter32(float32(r.IntN(254)-127)+0.5, float32(r.IntN(3)-1)*1000)
			default:
				x[i] = float32(r.NormFloat64() * 60)
			}
		}
		x[n/2] = 127
		x[n/3] = -127.4
		for _, inv := range []float32{1, 0.3, 127 / 127.4} {
			const g = 8
			got := make([]uint8, g+n+g)
			want := make([]uint8, n)
			for i := range got {
				got[i] = 0xa5
			}
			quantizeU8AVX2(&got[g], &x[0], n, inv)
			quantizeU8Generic(want, x, inv)
			for i := range got {
				if i < g || i >= g+n {
					if got[i] != 0xa5 {
						t.Fatalf("n=%d: wrote outside dst at %d", n, i-g)
					}
					continue
				}
				if got[i] != want[i-g] {
					t.Fatalf("n=%d inv=%v: x=%v quantized to %d, want %d", n, inv, x[i-g], int(got[i])-128, int(want[i-g])-128)
				}
			}
		}
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		x[r.IntN(n)] = -9.5
		if got, want := absMaxBitsAVX2(&x[0], n), absMaxBitsGeneric(x); got != want {
			t.Fatalf("n=%d: absMaxBitsAVX2 = %#x, want %#x", n, got, want)
		}
		x[r.IntN(n)] = float32(math.NaN())
		if got := absMaxBitsAVX2(&x[0], n); got < 0x7f800000 {
			t.Fatalf("n=%d: NaN not seen (%#x)", n, got)
		}
	}
}
