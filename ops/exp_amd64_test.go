//go:build !noasm

package ops

import (
	"math"
	"testing"
)

// expImpls lists the exp kernels this CPU can run: the pure-Go twin and the
// assembly ones, with the width the latter need.
func expImpls(t *testing.T) []expImpl {
	im := []expImpl{{"generic", 1, expAffineGeneric, geluGeneric}}
	if useAVX2 {
		im = append(im, expImpl{"avx2", 8, expAffineAVX2, geluAVX2})
	} else {
		t.Logf("AVX2 path not tested: not available or disabled (path %s)", Path())
	}
	if useAVX512 {
		im = append(im, expImpl{"avx512", 16, expAffineAVX512, geluAVX512})
	} else {
		t.Logf("AVX-512 path not tested: not available or disabled (path %s)", Path())
	}
	return im
}

// TestGELUAVX2Loops checks that geluAVX2's two loops (16 elements per
// iteration with constants as memory operands, and 8) give the same bits:
// the same input through one call of n values and through n/8 calls of 8.
func TestGELUAVX2Loops(t *testing.T) {
	if !useAVX2 {
		t.Skipf("AVX2 path not available or disabled (path %s)", Path())
	}
	r := newRand(9)
	const n = 8 * 41 // 20 two-vector iterations, then one of 8
	src := randNormal(r, n, 4)
	inf := float32(math.Inf(1))
	copy(src, []float32{float32(math.NaN()), inf, -inf, 0, float32(math.Copysign(0, -1)), 1, -1, 6, -6, 6.0001, -6.0001, 1e-40, -1e-40, 3e38, -3e38, 0.99999994})
	whole := make([]float32, n)
	geluAVX2(whole, src)
	part := make([]float32, n)
	for i := 0; i < n; i += 8 {
		geluAVX2(part[i:i+8], src[i:i+8])
	}
	for i := range whole {
		if math.Float32bits(whole[i]) != math.Float32bits(part[i]) {
			t.Fatalf("gelu(%g): %g (16-element loop) vs %g (8-element loop)", src[i], whole[i], part[i])
		}
	}
}
