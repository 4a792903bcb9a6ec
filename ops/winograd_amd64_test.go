//go:build !noasm

package ops

import (
	"fmt"
	"testing"
)

// TestWinogradTransformsAsm runs each assembly transform this CPU has
// (AVX2, AVX-512) directly, not only the one winoIn and winoOut dispatch
// to, against the pure-Go twins bit for bit, with guards around the
// outputs.
func TestWinogradTransformsAsm(t *testing.T) {
	type transforms struct {
		name  string
		block int
		in    func(dst *float32, ds int, src *float32, rs, pw, n int)
		out   func(dst *float32, ldd int, src *float32, ss, n int, bias float32)
	}
	var kernels []transforms
	if haveAVX2() {
		kernels = append(kernels, transforms{"avx2", 8, winoInAVX2, winoOutAVX2})
	} else {
		t.Log("no AVX2: the AVX2 transforms are not tested")
	}
	if haveAVX512() {
		kernels = append(kernels, transforms{"avx512", 16, winoInAVX512, winoOutAVX512})
	} else {
		t.Log("no AVX-512: the AVX-512 transforms are not tested")
	}
	r := newRand(47)
	for _, k := range kernels {
		for _, blocks := range []int{1, 2, 5} {
			n := blocks * k.block
			pw := n + 2
			rs := 2*pw + 1
			src := randNormal(r, 3*rs+pw+n+1, 2)
			ds := n + 3
			got, gbuf := guarded(15*ds + n)
			want := make([]float32, len(got))
			copy(want, got)
			k.in(&got[0], ds, &src[0], rs, pw, n)
			checkGuards(t, fmt.Sprintf("%s in n=%d", k.name, n), gbuf)
			winoInGeneric(want, ds, src, rs, pw, n)
			requireSameBits(t, fmt.Sprintf("%s in n=%d", k.name, n), got, want)

			ss := n + 5
			m := randNormal(r, 15*ss+n, 3)
			ldd := 2*n + 7
			out, obuf := guarded(ldd + 2*n)
			ref := make([]float32, len(out))
			copy(ref, out)
			k.out(&out[0], ldd, &m[0], ss, n, -0.5)
			checkGuards(t, fmt.Sprintf("%s out n=%d", k.name, n), obuf)
			winoOutGeneric(ref, ldd, 2, 2*n, m, ss, n, -0.5)
			requireSameBits(t, fmt.Sprintf("%s out n=%d", k.name, n), out, ref)
		}
	}
}
