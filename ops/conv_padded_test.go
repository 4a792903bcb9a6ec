package ops

import (
	"fmt"
	"runtime"
	"testing"
)

// TestForwardPaddedRuns checks ForwardPadded against Forward, bit for bit,
// on stride-1 convolutions whose rows hold whole 16- and 32-wide panels
// (copied as runs), panels that span two or three output rows (copied in
// pieces) and ragged last panels, on every GEMM kernel, with 1 and 2
// workers and guards around the output.
func TestForwardPaddedRuns(t *testing.T) {
	r := newRand(22)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, kn := range convKernels(t) {
		for _, tc := range []struct {
			p       Conv2DParams
			n, h, w int
		}{
			{Conv2DParams{InC: 5, OutC: 13, KH: 3, KW: 3, PadH: 1, PadW: 1, Act: ActReLU}, 2, 9, 64},
			{Conv2DParams{InC: 5, OutC: 13, KH: 3, KW: 3, PadH: 1, PadW: 1}, 1, 11, 70},
			{Conv2DParams{InC: 7, OutC: 12, KH: 3, KW: 3, PadH: 1, PadW: 1}, 2, 13, 20},
			{Conv2DParams{InC: 3, OutC: 25, KH: 3, KW: 3, PadH: 1, PadW: 1}, 1, 40, 33},
			{Conv2DParams{InC: 4, OutC: 6, KH: 1, KW: 3, PadH: 1, PadW: 1}, 1, 5, 96},
			{Conv2DParams{InC: 300, OutC: 20, KH: 3, KW: 3, PadH: 1, PadW: 1}, 1, 6, 32},
		} {
			p := tc.p
			name := fmt.Sprintf("%s/%dx%dx%dx%d_k%dx%d", kn.name, tc.n, p.InC, tc.h, tc.w, p.KH, p.KW)
			c, err := newConv2D(randNormal(r, p.OutC*p.InC*p.KH*p.KW, 0.5), randNormal(r, p.OutC, 1), p, packerFor(kn))
			if err != nil {
				t.Fatal(err)
			}
			src := randNormal(r, tc.n*p.InC*tc.h*tc.w, 1)
			oh, ow := c.p.OutSize(tc.h, tc.w)
			want := make([]float32, tc.n*p.OutC*oh*ow)
			runtime.GOMAXPROCS(prev)
			if err := c.Forward(want, src, tc.n, tc.h, tc.w, nil); err != nil {
				t.Fatal(err)
			}
			const pad = 1
			xp := make([]float32, tc.n*p.InC*(tc.h+2*pad)*(tc.w+2*pad))
			PadPlanes(xp, src, tc.n*p.InC, tc.h, tc.w, pad)
			for _, workers := range []int{1, 2} {
				runtime.GOMAXPROCS(workers)
				dst, buf := guarded(len(want))
				if err := c.ForwardPadded(dst, xp, tc.n, tc.h, tc.w, pad); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				checkGuards(t, name, buf)
				requireSameBits(t, fmt.Sprintf("%s/workers=%d", name, workers), dst, want)
			}
		}
	}
}

// BenchmarkConv2DPaddedDetr compares Forward and ForwardPadded (PadPlanes
// included) on the stride-1 3x3 convolutions of RT-DETR-r18 at 640x640.
func BenchmarkConv2DPaddedDetr(b *testing.B) {
	r := newRand(21)
	for _, tc := range []struct{ c, h int }{{64, 160}, {128, 80}, {256, 40}, {512, 20}, {32, 320}} {
		p := Conv2DParams{InC: tc.c, OutC: tc.c, KH: 3, KW: 3, PadH: 1, PadW: 1}
		c, err := NewConv2D(randNormal(r, tc.c*tc.c*9, 0.1), randNormal(r, tc.c, 1), p)
		if err != nil {
			b.Fatal(err)
		}
		h, w := tc.h, tc.h
		src := randNormal(r, tc.c*h*w, 1)
		xp := make([]float32, tc.c*(h+2)*(w+2))
		dst := make([]float32, tc.c*h*w)
		flops := 2 * float64(tc.c*tc.c*9*h*w)
		b.Run(fmt.Sprintf("c%d_%d/plain", tc.c, h), func(b *testing.B) {
			for range b.N {
				if err := c.Forward(dst, src, 1, h, w, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("c%d_%d/padded", tc.c, h), func(b *testing.B) {
			for range b.N {
				PadPlanes(xp, src, tc.c, h, w, 1)
				if err := c.ForwardPadded(dst, xp, 1, h, w, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
	}
}

// TestBlocking checks the column blocks of the im2col lowering: they cover
// the positions in order without gaps, hold whole panels (but the last),
// at most maxColBlock positions each, their number is a multiple of the
// workers when there are enough panels, and no two blocks differ by more
// than one panel (so that the workers' shares do not either, when each
// takes blocks/nw of them).
func TestBlocking(t *testing.T) {
	for _, nr := range []int{4, 12, 16, 32} {
		for _, maxW := range []int{1, 2, 3, 8} {
			for _, ohw := range []int{1, 5, 31, 32, 33, 400, 1073, 1600, 6400, 25600, 102400} {
				nw, blocks, panels := blocking(ohw, nr, maxW)
				name := fmt.Sprintf("ohw=%d nr=%d maxW=%d", ohw, nr, maxW)
				if panels != (ohw+nr-1)/nr || nw < 1 || nw > maxW || blocks < nw || blocks > panels {
					t.Fatalf("%s: %d workers, %d blocks, %d panels", name, nw, blocks, panels)
				}
				if blocks < panels && blocks%nw != 0 {
					t.Fatalf("%s: %d blocks for %d workers", name, blocks, nw)
				}
				next, lo, hi := 0, ohw, 0
				for b := 0; b < blocks; b++ {
					j0, cols := blockRange(b, blocks, panels, nr, ohw)
					if j0 != next || cols <= 0 || cols > maxColBlock || (b < blocks-1 && cols%nr != 0) {
						t.Fatalf("%s: block %d at %d of %d (expected at %d)", name, b, j0, cols, next)
					}
					next = j0 + cols
					np := (cols + nr - 1) / nr
					lo, hi = min(lo, np), max(hi, np)
				}
				if next != ohw || hi-lo > 1 {
					t.Fatalf("%s: blocks end at %d, hold %d to %d panels", name, next, lo, hi)
				}
			}
		}
	}
}
