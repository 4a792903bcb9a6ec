//go:build !noasm

package ops

import "testing"

// expImpls lists the exp kernels this CPU can run: the pure-Go twin and the
// NEON one, with the width the latter needs.
func expImpls(t *testing.T) []expImpl {
	im := []expImpl{{"generic", 1, expAffineGeneric, geluGeneric}}
	if useNEON {
		im = append(im, expImpl{"neon", 4, expAffineNEON, geluNEON})
	} else {
		t.Logf("NEON path not tested: disabled (path %s)", Path())
	}
	return im
}
