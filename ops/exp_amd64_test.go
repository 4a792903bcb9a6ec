//go:build !noasm

package ops

import "testing"

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
