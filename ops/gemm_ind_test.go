package ops

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// TestMicroInd checks each kernel's microInd (B read in place through row
// offsets) against its micro on the same rows packed, bit for bit: every
// row count 1..MR (fewer rows: the first rows of the full tile), K of one
// step up to a whole K block and past the 4-step unrolling, beta 0, 1 and
// 0.5, B rows at scattered, unaligned offsets (one at the very end of B),
// with guards around C.
func TestMicroInd(t *testing.T) {
	r := newRand(41)
	tested := 0
	for _, kn := range append([]*kernel{genericKernel}, asmKernels()...) {
		if kn.microInd == nil {
			continue
		}
		mr, nr := kn.mr, kn.nr
		for _, kc := range []int{1, 2, 3, 4, 5, 8, 17, 255, 256} {
			const span = 3000
			x := randNormal(r, span, 1)
			boff := make([]int, kc)
			bp := make([]float32, kc*nr) // the same rows, packed
			for p := range boff {
				boff[p] = r.IntN(span - nr + 1)
				if p == kc-1 {
					boff[p] = span - nr
				}
				copy(bp[p*nr:(p+1)*nr], x[boff[p]:boff[p]+nr])
			}
			a := randNormal(r, kc*mr, 0.5) // a packed A panel
			for rows := 1; rows <= mr; rows++ {
				for _, beta := range []float32{0, 1, 0.5} {
					name := fmt.Sprintf("%s kc=%d rows=%d beta=%g", kn.name, kc, rows, beta)
					c0 := randNormal(r, mr*nr, 1)
					want := append([]float32(nil), c0...)
					kn.micro(kc, a, 1, mr, bp, want, nr, 1.5, beta)
					got, buf := guarded(rows * nr)
					copy(got, c0)
					kn.microInd(kc, a, 1, mr, x, boff, got, nr, 1.5, beta, rows)
					checkGuards(t, name, buf)
					requireSameBits(t, name, got, want[:rows*nr])
					tested++
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no kernel with microInd")
	}
}

// TestForwardPaddedInPlace checks that ForwardPadded reads whole panels in
// place (microInd) where it can, and that this gives Forward's values bit
// for bit: a counting wrapper around each kernel's microInd must be called,
// on ragged output-channel counts (a last row panel of 1 to MR-1 rows),
// several K blocks, rows that hold whole panels and panels that span rows,
// with 1 and 2 workers.
func TestForwardPaddedInPlace(t *testing.T) {
	r := newRand(42)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, base := range append([]*kernel{genericKernel}, asmKernels()...) {
		if base.microInd == nil {
			continue
		}
		for _, tc := range []struct {
			inC, outC, h, w int
		}{
			{3, 1, 5, base.nr},
			{7, base.mr + 1, 4, 3 * base.nr},
			{5, 2*base.mr - 1, 6, 2*base.nr + 5},
			{40, base.mr, 3, base.nr + 1},
			{300, base.mr + 8, 2, 2 * base.nr},
		} {
			var calls atomic.Int64
			kn := countingInd(base, &calls)
			p := Conv2DParams{InC: tc.inC, OutC: tc.outC, KH: 3, KW: 3, PadH: 1, PadW: 1, Act: ActReLU}
			name := fmt.Sprintf("%s/%dx%dx%dx%d", base.name, tc.inC, tc.outC, tc.h, tc.w)
			c, err := newConv2D(randNormal(r, tc.outC*tc.inC*9, 0.5), randNormal(r, tc.outC, 1), p, packerFor(kn))
			if err != nil {
				t.Fatal(err)
			}
			src := randNormal(r, tc.inC*tc.h*tc.w, 1)
			want := make([]float32, tc.outC*tc.h*tc.w)
			runtime.GOMAXPROCS(1)
			if err := c.Forward(want, src, 1, tc.h, tc.w, nil); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 0 {
				t.Fatalf("%s: Forward (unpadded input) read panels in place", name)
			}
			xp := make([]float32, tc.inC*(tc.h+2)*(tc.w+2))
			PadPlanes(xp, src, tc.inC, tc.h, tc.w, 1)
			for _, workers := range []int{1, 2} {
				runtime.GOMAXPROCS(workers)
				dst, buf := guarded(len(want))
				if err := c.ForwardPadded(dst, xp, 1, tc.h, tc.w, 1); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				checkGuards(t, name, buf)
				requireSameBits(t, fmt.Sprintf("%s/workers=%d", name, workers), dst, want)
			}
			if calls.Load() == 0 {
				t.Fatalf("%s: no panel was read in place", name)
			}
		}
	}
}

// TestGemmRowMajorBInPlace checks GEMMs with a pre-packed A and a
// row-major B (a 1x1 convolution: weights times the input planes), whose
// full column panels the kernels with microInd read in place, against the
// same kernel without microInd (every panel packed), bit for bit: ragged
// M and N, B with a row stride above N, K over several K blocks, beta 0, 1
// and 0.5 (0.5 packs), 1 and 2 workers, guards around C; and that the
// in-place path is taken.
func TestGemmRowMajorBInPlace(t *testing.T) {
	r := newRand(43)
	tested := 0
	for _, base := range append([]*kernel{genericKernel}, asmKernels()...) {
		if base.microInd == nil {
			continue
		}
		plain := *base
		plain.microInd = nil
		for _, m := range []int{1, 5, base.mr, 2*base.mr + 3, 64} {
			for _, n := range []int{base.nr, 3*base.nr + 7, 200} {
				for _, k := range []int{1, 9, 300, 600} {
					for _, beta := range []float32{0, 1, 0.5} {
						for _, workers := range []int{1, 2} {
							var calls atomic.Int64
							kn := countingInd(base, &calls)
							name := fmt.Sprintf("%s m=%d n=%d k=%d beta=%g workers=%d", base.name, m, n, k, beta, workers)
							a := randNormal(r, m*k, 0.5)
							ldb := n + 3
							b := randNormal(r, k*ldb, 1)
							c0 := randNormal(r, m*n, 1)
							ep := Epilogue{Bias: randNormal(r, m, 1), BiasPerRow: true, Act: ActReLU}
							want := append([]float32(nil), c0...)
							pplain := packerFor(&plain)(m, k, RowMajor(a, k))
							gemmK(&plain, workers, m, n, k, 1, Mat{}, pplain, Mat{b, ldb, 1}, nil, beta, RowMajor(want, n), ep)
							got, buf := guarded(m * n)
							copy(got, c0)
							pa := packerFor(kn)(m, k, RowMajor(a, k))
							gemmK(kn, workers, m, n, k, 1, Mat{}, pa, Mat{b, ldb, 1}, nil, beta, RowMajor(got, n), ep)
							checkGuards(t, name, buf)
							requireSameBits(t, name, got, want)
							if (beta == 0 || beta == 1) && calls.Load() == 0 {
								t.Fatalf("%s: no panel was read in place", name)
							}
							if beta == 0.5 && calls.Load() != 0 {
								t.Fatalf("%s: beta 0.5 read panels in place", name)
							}
							tested++
						}
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no kernel with microInd")
	}
}

// TestMicroN checks the multi-panel kernels (microN, microIndN) against
// their one-tile twins (micro, microInd) panel by panel, bit for bit: 1 to
// 4 panels, K of one step up to a whole K block, A panels further apart
// than a panel, beta 0, 1 and 0.5, with guards around C.
func TestMicroN(t *testing.T) {
	r := newRand(44)
	tested := 0
	for _, kn := range append([]*kernel{genericKernel}, asmKernels()...) {
		if kn.microN == nil && kn.microIndN == nil {
			continue
		}
		mr, nr := kn.mr, kn.nr
		for _, np := range []int{1, 2, 3, 4} {
			for _, kc := range []int{1, 3, 4, 5, 17, 256} {
				apanel := kc*mr + 7
				a := randNormal(r, np*apanel, 0.5)
				const span = 2000
				x := randNormal(r, span, 1)
				boff := make([]int, kc)
				bp := make([]float32, kc*nr)
				for p := range boff {
					boff[p] = r.IntN(span - nr + 1)
					copy(bp[p*nr:(p+1)*nr], x[boff[p]:boff[p]+nr])
				}
				for _, beta := range []float32{0, 1, 0.5} {
					name := fmt.Sprintf("%s np=%d kc=%d beta=%g", kn.name, np, kc, beta)
					c0 := randNormal(r, np*mr*nr, 1)
					want := append([]float32(nil), c0...)
					for i := 0; i < np; i++ {
						kn.micro(kc, a[i*apanel:], 1, mr, bp, want[i*mr*nr:], nr, 1.5, beta)
					}
					if kn.microN != nil {
						got, buf := guarded(len(c0))
						copy(got, c0)
						kn.microN(np, kc, a, 1, mr, apanel, bp, got, nr, 1.5, beta)
						checkGuards(t, name+" microN", buf)
						requireSameBits(t, name+" microN", got, want)
						tested++
					}
					if kn.microIndN != nil {
						got, buf := guarded(len(c0))
						copy(got, c0)
						kn.microIndN(np, kc, a, 1, mr, apanel, x, boff, got, nr, 1.5, beta)
						checkGuards(t, name+" microIndN", buf)
						requireSameBits(t, name+" microIndN", got, want)
						tested++
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Skip("no kernel with microN or microIndN on this host")
	}
}

// countingInd returns a copy of base whose in-place kernels (microInd,
// microIndN, where base has them) count their calls in calls (atomically:
// the workers call them concurrently).
func countingInd(base *kernel, calls *atomic.Int64) *kernel {
	kn := *base
	if base.microInd != nil {
		kn.microInd = func(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int) {
			calls.Add(1)
			base.microInd(kc, a, ars, aks, b, boff, c, ldc, alpha, beta, rows)
		}
	}
	if base.microIndN != nil {
		kn.microIndN = func(np, kc int, a []float32, ars, aks, apanel int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
			calls.Add(1)
			base.microIndN(np, kc, a, ars, aks, apanel, b, boff, c, ldc, alpha, beta)
		}
	}
	return &kn
}
