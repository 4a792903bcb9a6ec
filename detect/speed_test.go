package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// maxPoolRef is torch.nn.MaxPool2d(3, 2, 1) tap by tap.
func maxPoolRef(dst, src []float32, planes, h, w int) {
	oh, ow := (h-1)/2+1, (w-1)/2+1
	for p := 0; p < planes; p++ {
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				m := float32(math.Inf(-1))
				for yy := 2*y - 1; yy <= 2*y+1; yy++ {
					for xx := 2*x - 1; xx <= 2*x+1; xx++ {
						if yy < 0 || yy >= h || xx < 0 || xx >= w {
							continue
						}
						if v := src[(p*h+yy)*w+xx]; v > m || v != v {
							m = v
						}
					}
				}
				dst[(p*oh+y)*ow+x] = m
			}
		}
	}
}

// TestMaxPool3x3s2 checks the separable max pool against the tap-by-tap
// definition on ragged sizes, with NaNs and infinities, and that it writes
// nothing past its output.
func TestMaxPool3x3s2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 3}, {4, 5}, {7, 6}, {9, 17}, {33, 1}, {1, 600}, {31, 530}} {
		h, w := sz[0], sz[1]
		const planes = 3
		src := make([]float32, planes*h*w)
		for i := range src {
			src[i] = float32(r.NormFloat64())
			switch r.IntN(50) {
			case 0:
				src[i] = float32(math.NaN())
			case 1:
				src[i] = float32(math.Inf(-1))
			}
		}
		oh, ow := (h-1)/2+1, (w-1)/2+1
		want := make([]float32, planes*oh*ow)
		maxPoolRef(want, src, planes, h, w)
		got := make([]float32, planes*oh*ow+8)
		for i := range got {
			got[i] = 12345
		}
		gh, gw := maxPool3x3s2(got, src, planes, h, w)
		if gh != oh || gw != ow {
			t.Fatalf("%dx%d: size %dx%d, want %dx%d", h, w, gh, gw, oh, ow)
		}
		for i, v := range want {
			g := got[i]
			if !(g == v || (g != g && v != v)) {
				t.Fatalf("%dx%d: value %d = %v, want %v", h, w, i, g, v)
			}
		}
		for _, v := range got[len(want):] {
			if v != 12345 {
				t.Fatalf("%dx%d: wrote past the output", h, w)
			}
		}
	}
}

// BenchmarkMaxPool3x3s2 times the stem's max pool of r18vd at 640x640
// (64 planes of 320x320).
func BenchmarkMaxPool3x3s2(b *testing.B) {
	const planes, h, w = 64, 320, 320
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, planes*h*w)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	dst := make([]float32, planes*160*160)
	for range b.N {
		maxPool3x3s2(dst, src, planes, h, w)
	}
}

// TestDeformGatherAVX2 runs the dispatching row kernel (the AVX2 assembly where
// the CPU has it) against deformGatherGeneric on ragged channel counts and
// tap lists, bit for bit, with guard values around dst and src that must
// stay untouched (and must not be read into dst).
func TestDeformGatherAVX2(t *testing.T) {
	if !useDeformAVX2 {
		t.Log("no AVX2 kernel on this platform: checking the plain Go kernel alone")
	}
	r := rand.New(rand.NewPCG(5, 6))
	const guard = 1e30
	for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 24, 31, 32, 33, 40, 63, 64, 65, 100} {
		for _, taps := range []int{0, 1, 2, 5, 48, 64} {
			const pad = 16
			srcLen := 4*n + 37
			srcBuf := make([]float32, srcLen+2*pad)
			for i := range srcBuf {
				srcBuf[i] = guard
			}
			src := srcBuf[pad : pad+srcLen]
			for i := range src {
				src[i] = float32(r.NormFloat64())
			}
			offs := make([]int, taps)
			ws := make([]float32, taps)
			for i := range offs {
				offs[i] = r.IntN(srcLen - n + 1) // ragged, unaligned offsets
				ws[i] = float32(r.NormFloat64())
			}
			want := make([]float32, n)
			gotBuf := make([]float32, n+2*pad)
			for i := range gotBuf {
				gotBuf[i] = guard
			}
			got := gotBuf[pad : pad+n]
			for i := range want {
				want[i] = float32(r.NormFloat64())
				got[i] = want[i]
			}
			deformGatherGeneric(want, src, offs, ws)
			deformGather(got, src, offs, ws)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d taps %d: dst[%d] = %v, plain Go %v", n, taps, i, got[i], want[i])
				}
			}
			for i := 0; i < pad; i++ {
				if gotBuf[i] != guard || gotBuf[pad+n+i] != guard {
					t.Fatalf("n %d taps %d: wrote outside dst", n, taps)
				}
			}
		}
	}
	// An offset past the end of src panics as the plain loop does, before
	// the assembly reads anything.
	defer func() {
		if recover() == nil {
			t.Error("out-of-range tap accepted")
		}
	}()
	deformGather(make([]float32, 16), make([]float32, 20), []int{5}, []float32{1})
}

// BenchmarkDeformGather times the row kernel on one decoder (row, head) of
// RT-DETR: 32 channels, 3 levels x 4 points x 4 corners = 48 taps.
func BenchmarkDeformGather(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	src := make([]float32, 8400*256)
	offs := make([]int, 48)
	ws := make([]float32, 48)
	for i := range offs {
		offs[i] = r.IntN(8400) * 256
		ws[i] = float32(r.Float64())
	}
	dst := make([]float32, 32)
	for _, k := range []struct {
		name string
		fn   func(dst, src []float32, offs []int, ws []float32)
	}{{"dispatch", deformGather}, {"generic", deformGatherGeneric}} {
		b.Run(k.name, func(b *testing.B) {
			for range b.N {
				k.fn(dst, src, offs, ws)
			}
		})
	}
}

// TestUpsampleConcat checks upsampleConcat against its definition: channel
// ch of each sample is top's plane upsampled 2x by nearest neighbour,
// channel c+ch bottom's plane, on odd sizes and two samples.
func TestUpsampleConcat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][4]int{{1, 1, 1, 1}, {2, 3, 5, 7}, {1, 4, 2, 9}} {
		n, c, h, w := sz[0], sz[1], sz[2], sz[3]
		top := make([]float32, n*c*h*w)
		bottom := make([]float32, n*c*4*h*w)
		for i := range top {
			top[i] = float32(r.NormFloat64())
		}
		for i := range bottom {
			bottom[i] = float32(r.NormFloat64())
		}
		got := make([]float32, n*2*c*4*h*w)
		upsampleConcat(got, top, bottom, n, c, h, w)
		for b := 0; b < n; b++ {
			for ch := 0; ch < 2*c; ch++ {
				for y := 0; y < 2*h; y++ {
					for x := 0; x < 2*w; x++ {
						var want float32
						if ch < c {
							want = top[((b*c+ch)*h+y/2)*w+x/2]
						} else {
							want = bottom[((b*c+ch-c)*2*h+y)*2*w+x]
						}
						if g := got[((b*2*c+ch)*2*h+y)*2*w+x]; g != want {
							t.Fatalf("%v: [%d,%d,%d,%d] = %g, want %g", sz, b, ch, y, x, g, want)
						}
					}
				}
			}
		}
	}
}

// TestAvgPool2x2Ceil checks avgPool2x2Ceil against the loop over each
// window's taps (summed from +0 in row-major order, divided by the number of
// taps inside), bit for bit, on odd and even sizes, with negative zeros.
func TestAvgPool2x2Ceil(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sz := range [][2]int{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 5}, {4, 4}, {7, 9}, {80, 80}, {5, 600}} {
		h, w := sz[0], sz[1]
		const planes = 2
		src := make([]float32, planes*h*w)
		for i := range src {
			src[i] = float32(r.NormFloat64())
			if r.IntN(4) == 0 {
				src[i] = float32(math.Copysign(0, -1))
			}
		}
		oh, ow := (h+1)/2, (w+1)/2
		got := make([]float32, planes*oh*ow)
		if gh, gw := avgPool2x2Ceil(got, src, planes, h, w); gh != oh || gw != ow {
			t.Fatalf("%v: size %dx%d", sz, gh, gw)
		}
		for p := 0; p < planes; p++ {
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					var s float32
					n := 0
					for yy := 2 * y; yy < min(2*y+2, h); yy++ {
						for xx := 2 * x; xx < min(2*x+2, w); xx++ {
							s += src[(p*h+yy)*w+xx]
							n++
						}
					}
					want := s / float32(n)
					if g := got[(p*oh+y)*ow+x]; math.Float32bits(g) != math.Float32bits(want) {
						t.Fatalf("%v: [%d,%d,%d] = %g, want %g", sz, p, y, x, g, want)
					}
				}
			}
		}
	}
}
