package ops

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPadPhases checks PadPhases against padding the plane and reading
// every phase value from it, on odd and even sizes, paddings 0 to 3 and
// strides 1 to 3 (per axis), with guards around the output.
func TestPadPhases(t *testing.T) {
	r := newRand(50)
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {5, 4}, {7, 33}, {16, 70}} {
		for pad := 0; pad <= 3; pad++ {
			for sh := 1; sh <= 3; sh++ {
				for sw := 1; sw <= 3; sw++ {
					h, w := sz[0], sz[1]
					const planes = 3
					name := fmt.Sprintf("%dx%d pad %d stride %dx%d", h, w, pad, sh, sw)
					src := randNormal(r, planes*h*w, 1)
					ph, pw := PhasedSize(h, w, pad, sh, sw)
					hp, wp := h+2*pad, w+2*pad
					if ph*sh < hp || (ph-1)*sh >= hp || pw*sw < wp || (pw-1)*sw >= wp {
						t.Fatalf("%s: phase planes %dx%d", name, ph, pw)
					}
					dst, buf := guarded(planes * sh * sw * ph * pw)
					PadPhases(dst, src, planes, h, w, pad, sh, sw)
					checkGuards(t, name, buf)
					for q := 0; q < planes; q++ {
						for a := 0; a < sh; a++ {
							for b := 0; b < sw; b++ {
								for i := 0; i < ph; i++ {
									for j := 0; j < pw; j++ {
										y, x := a+i*sh-pad, b+j*sw-pad
										var want float32
										if y >= 0 && y < h && x >= 0 && x < w {
											want = src[(q*h+y)*w+x]
										}
										got := dst[(((q*sh+a)*sw+b)*ph+i)*pw+j]
										if got != want {
											t.Fatalf("%s: plane %d phase (%d,%d) [%d,%d] = %g, want %g", name, q, a, b, i, j, got, want)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestConv2DForwardPhased checks ForwardPhased against Forward, bit for
// bit, on strided convolutions (stride 2 and 3, per axis, dilated, padded
// exactly and by more, output rows wider and narrower than a panel, several
// K blocks, ragged channel counts, two samples, groups) on every GEMM
// kernel, with 1 and 2 workers and guards around the output; that kernels
// with microInd read panels in place; and that it refuses convolutions
// without im2col, inputs padded too little and inputs of the wrong size.
func TestConv2DForwardPhased(t *testing.T) {
	r := newRand(51)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, base := range convKernels(t) {
		for _, tc := range []struct {
			p       Conv2DParams
			n, h, w int
		}{
			{Conv2DParams{InC: 3, OutC: 13, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ActReLU}, 2, 9, 130},
			{Conv2DParams{InC: 5, OutC: 12, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 1, 8, 8},
			{Conv2DParams{InC: 300, OutC: 25, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 1, 6, 66},
			{Conv2DParams{InC: 4, OutC: 7, KH: 3, KW: 3, StrideH: 3, StrideW: 2, PadH: 1, PadW: 2, DilH: 2}, 1, 17, 71},
			{Conv2DParams{InC: 2, OutC: 9, KH: 5, KW: 3, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1}, 2, 11, 100},
			{Conv2DParams{InC: 6, OutC: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 2}, 1, 7, 67},
			{Conv2DParams{InC: 3, OutC: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 1, 1, 1},
			{Conv2DParams{InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 1, 3, 200},
		} {
			var calls atomic.Int64
			kn := countingInd(base, &calls)
			p := tc.p.withDefaults()
			name := fmt.Sprintf("%s/%dx%dx%dx%d_k%dx%d_s%dx%d", base.name, tc.n, p.InC, tc.h, tc.w, p.KH, p.KW, p.StrideH, p.StrideW)
			c, err := newConv2D(randNormal(r, p.OutC*p.InC/p.Groups*p.KH*p.KW, 0.5), randNormal(r, p.OutC, 1), tc.p, packerFor(kn))
			if err != nil {
				t.Fatal(err)
			}
			src := randNormal(r, tc.n*p.InC*tc.h*tc.w, 1)
			oh, ow := p.OutSize(tc.h, tc.w)
			want := make([]float32, tc.n*p.OutC*oh*ow)
			runtime.GOMAXPROCS(prev)
			if err := c.Forward(want, src, tc.n, tc.h, tc.w, nil); err != nil {
				t.Fatal(err)
			}
			wantCalls := ow >= kn.nr && base.microInd != nil
			calls.Store(0)
			basePad := max(p.PadH, p.PadW)
			for _, pad := range []int{basePad, basePad + 1} {
				ph, pw := PhasedSize(tc.h, tc.w, pad, p.StrideH, p.StrideW)
				xs := make([]float32, tc.n*p.InC*p.StrideH*p.StrideW*ph*pw)
				PadPhases(xs, src, tc.n*p.InC, tc.h, tc.w, pad, p.StrideH, p.StrideW)
				for _, workers := range []int{1, 2} {
					runtime.GOMAXPROCS(workers)
					dst, buf := guarded(len(want))
					if err := c.ForwardPhased(dst, xs, tc.n, tc.h, tc.w, pad); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					checkGuards(t, name, buf)
					requireSameBits(t, fmt.Sprintf("%s/pad%d/workers=%d", name, pad, workers), dst, want)
				}
				if err := c.ForwardPhased(want, xs[1:], tc.n, tc.h, tc.w, pad); err == nil || !strings.Contains(err.Error(), "phase-split input") {
					t.Fatalf("%s: short input: err = %v", name, err)
				}
			}
			if wantCalls && calls.Load() == 0 {
				t.Fatalf("%s: no panel was read in place", name)
			}
			if err := c.ForwardPhased(want, src, tc.n, tc.h, tc.w, basePad-1); err == nil || !strings.Contains(err.Error(), "padded by") {
				t.Fatalf("%s: input padded too little: err = %v", name, err)
			}
		}
	}
	c, err := NewConv2D(make([]float32, 4*3), nil, Conv2DParams{InC: 3, OutC: 4, KH: 1, KW: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ForwardPhased(make([]float32, 4*4), make([]float32, 3*4), 1, 2, 2, 0); err == nil || !strings.Contains(err.Error(), "im2col") {
		t.Fatalf("1x1 convolution: err = %v", err)
	}
}
