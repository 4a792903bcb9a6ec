package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestGlobalAvgPool checks the row means against float64 (relative 1e-7).
func TestGlobalAvgPool(t *testing.T) {
	r := newRand(13)
	for _, rows := range []int{1, 3, 17} {
		for _, n := range raggedSizes {
			name := fmt.Sprintf("%dx%d", rows, n)
			src := randNormal(r, rows*n, 1)
			dst, buf := guarded(rows)
			GlobalAvgPool(dst, src, rows, n)
			checkGuards(t, name, buf)
			want := make([]float64, rows)
			for i := range want {
				for _, v := range src[i*n : (i+1)*n] {
					want[i] += float64(v)
				}
				want[i] /= float64(n)
			}
			for i := range want {
				if math.Abs(float64(dst[i])-want[i]) > 1e-7*math.Abs(want[i])+1e-9 {
					t.Errorf("%s: row %d mean %g, want %g", name, i, dst[i], want[i])
				}
			}
		}
	}
}

// TestAdaptiveAvgPool1D checks the bins (start floor(i*l/o), end
// ceil((i+1)*l/o), computed here in floating point) against float64 means,
// for divisible and ragged l/o, o > l and inner strides.
func TestAdaptiveAvgPool1D(t *testing.T) {
	r := newRand(14)
	for _, tc := range [][4]int{{1, 128, 1, 16}, {3, 5, 1, 3}, {2, 7, 3, 4}, {1, 3, 2, 7}, {4, 17, 1, 17}, {2, 65, 5, 1}, {1, 1, 1, 1}} {
		outer, l, inner, o := tc[0], tc[1], tc[2], tc[3]
		name := fmt.Sprint(tc)
		src := randNormal(r, outer*l*inner, 1)
		dst, buf := guarded(outer * o * inner)
		AdaptiveAvgPool1D(dst, src, outer, l, inner, o)
		checkGuards(t, name, buf)
		want := make([]float64, outer*o*inner)
		for b := 0; b < outer; b++ {
			for i := 0; i < o; i++ {
				start := int(math.Floor(float64(i*l) / float64(o)))
				end := int(math.Ceil(float64((i+1)*l) / float64(o)))
				for j := 0; j < inner; j++ {
					var s float64
					for p := start; p < end; p++ {
						s += float64(src[(b*l+p)*inner+j])
					}
					want[(b*o+i)*inner+j] = s / float64(end-start)
				}
			}
		}
		checkRel(t, name, dst, want, 2e-7)
	}
}
