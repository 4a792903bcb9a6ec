//go:build !(amd64 || arm64) || noasm

package ops

import "testing"

// expImpls lists the exp kernels of this build: only the pure-Go twin.
func expImpls(t *testing.T) []expImpl {
	t.Logf("assembly paths not tested: not built (path %s)", Path())
	return []expImpl{{"generic", 1, expAffineGeneric, geluGeneric}}
}
