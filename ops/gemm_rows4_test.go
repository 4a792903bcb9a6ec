package ops

import (
	"fmt"
	"testing"
)

// TestGemmRows4 checks the ragged-row-panel path of the kernels that have
// microRows (AVX-512: up to 8 rows straight into C) against the same
// kernel without it (a full tile merged into C), bit for bit, on M with a
// ragged last panel of 1 to 11 rows, ragged N, K over one and several K
// blocks, beta 0, 1 and 0.5, plain and pre-packed A, with guards around C.
func TestGemmRows4(t *testing.T) {
	r := newRand(40)
	tested := 0
	for _, kn := range asmKernels() {
		if kn.microRows == nil {
			continue
		}
		plain := *kn
		plain.microRows = nil
		for _, m := range []int{1, 3, 4, 5, 8, 9, 11, 16, 20, 28, 32, 64, 100} {
			for _, n := range []int{32, 70, 96} {
				for _, k := range []int{1, 7, 256, 300, 576} {
					for _, beta := range []float32{0, 1, 0.5} {
						name := fmt.Sprintf("%s m=%d n=%d k=%d beta=%g", kn.name, m, n, k, beta)
						a, b := randNormal(r, m*k, 0.5), randNormal(r, k*n, 1)
						c0 := randNormal(r, m*n, 1)
						bias := randNormal(r, m, 1)
						ep := Epilogue{Bias: bias, BiasPerRow: true, Act: ActReLU}
						want := append([]float32(nil), c0...)
						gemmK(&plain, 1, m, n, k, 1, RowMajor(a, k), nil, RowMajor(b, n), nil, beta, RowMajor(want, n), ep)
						got, buf := guarded(m * n)
						copy(got, c0)
						gemmK(kn, 1, m, n, k, 1, RowMajor(a, k), nil, RowMajor(b, n), nil, beta, RowMajor(got, n), ep)
						checkGuards(t, name, buf)
						requireSameBits(t, name, got, want)
						// Pre-packed A, as the convolutions use it.
						pa := packerFor(kn)(m, k, RowMajor(a, k))
						pplain := *pa
						pplain.kern = &plain
						copy(want, c0)
						gemmK(&plain, 1, m, n, k, 1, Mat{}, &pplain, RowMajor(b, n), nil, beta, RowMajor(want, n), ep)
						copy(got, c0)
						gemmK(kn, 1, m, n, k, 1, Mat{}, pa, RowMajor(b, n), nil, beta, RowMajor(got, n), ep)
						checkGuards(t, name+" packed", buf)
						requireSameBits(t, name+" packed", got, want)
						tested++
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Skip("no kernel with microRows on this host")
	}
}
