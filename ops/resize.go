package ops

import (
	"fmt"
	"math"
)

// ResizeBilinear resizes the nc planes of src [nc, h, w] to dst [nc, oh, ow]
// by bilinear interpolation with align_corners=False, as
// torch.nn.functional.interpolate(x, size=(oh, ow), mode="bilinear"): output
// pixel i samples the source at (i + 0.5)*h/oh - 0.5, clamped at 0, between
// the two neighbouring pixels (the last pixel repeats at the far edge).
// Planes run in parallel.
func ResizeBilinear(dst, src []float32, nc, h, w, oh, ow int) {
	resizeBilinear(dst, src, nc, h, w, oh, ow, float32(h)/float32(oh), float32(w)/float32(ow))
}

// ResizeBilinearScale is the scale-factor form, as interpolate(x,
// scale_factor=(sh, sw), mode="bilinear") without recompute_scale_factor:
// the output is oh = floor(h*sh) by ow = floor(w*sw) (see ScaledSize) and
// the source step is 1/sh and 1/sw rather than h/oh and w/ow, which differ
// when h*sh is not a whole number.
func ResizeBilinearScale(dst, src []float32, nc, h, w int, sh, sw float64) {
	if !(sh > 0) || !(sw > 0) {
		panic(fmt.Sprintf("ops.ResizeBilinearScale: scale factors %g, %g are not positive", sh, sw))
	}
	resizeBilinear(dst, src, nc, h, w, ScaledSize(h, sh), ScaledSize(w, sw), float32(1/sh), float32(1/sw))
}

// ScaledSize returns floor(n*s), the output size PyTorch's interpolate gives
// a dimension of size n for scale factor s.
func ScaledSize(n int, s float64) int { return int(math.Floor(float64(n) * s)) }

// bilinearTaps returns, for each of the out positions, the two source
// indices and weights along one axis (PyTorch's compute_source_index_and_lambda:
// the position is computed in float64 from a float32 step and rounded to
// float32 once; equal sizes copy).
func bilinearTaps(in, out int, step float32) (idx []int32, lam []float32) {
	idx = make([]int32, 2*out)
	lam = make([]float32, 2*out)
	for i := 0; i < out; i++ {
		if in == out {
			idx[2*i], idx[2*i+1] = int32(i), int32(i)
			lam[2*i], lam[2*i+1] = 1, 0
			continue
		}
		r := float32(float64(float64(step)*(float64(i)+0.5)) - 0.5)
		r = max(r, 0)
		i0 := int(r)
		i1 := i0
		if i0 < in-1 {
			i1++
		}
		l1 := min(max(r-float32(i0), 0), 1)
		idx[2*i], idx[2*i+1] = int32(i0), int32(i1)
		lam[2*i], lam[2*i+1] = 1-l1, l1
	}
	return idx, lam
}

func resizeBilinear(dst, src []float32, nc, h, w, oh, ow int, sy, sx float32) {
	if h <= 0 || w <= 0 || oh <= 0 || ow <= 0 || len(src) != nc*h*w || len(dst) != nc*oh*ow {
		panic(fmt.Sprintf("ops.ResizeBilinear: %d values into %d for %d planes %dx%d -> %dx%d", len(src), len(dst), nc, h, w, oh, ow))
	}
	yi, yl := bilinearTaps(h, oh, sy)
	xi, xl := bilinearTaps(w, ow, sx)
	ParallelFor(nc, max(1, 4096/(oh*ow)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in := src[p*h*w : (p+1)*h*w]
			out := dst[p*oh*ow : (p+1)*oh*ow]
			for y := 0; y < oh; y++ {
				r0 := in[int(yi[2*y])*w : int(yi[2*y]+1)*w]
				r1 := in[int(yi[2*y+1])*w : int(yi[2*y+1]+1)*w]
				h0, h1 := yl[2*y], yl[2*y+1]
				row := out[y*ow : (y+1)*ow]
				for x := range row {
					x0, x1 := xi[2*x], xi[2*x+1]
					w0, w1 := xl[2*x], xl[2*x+1]
					t0 := float32(r0[x0]*w0) + float32(r0[x1]*w1)
					t1 := float32(r1[x0]*w0) + float32(r1[x1]*w1)
					row[x] = float32(t0*h0) + float32(t1*h1)
				}
			}
		}
	})
}
