package ops

import (
	"fmt"
	"math"
	"testing"
)

// resizeRef is bilinear resizing with align_corners=False in float64:
// source coordinate (i + 0.5)*step - 0.5, clamped at 0, interpolated between
// floor and floor+1 (clamped to the last pixel).
func resizeRef(src []float32, nc, h, w, oh, ow int, stepY, stepX float64) []float64 {
	tap := func(i, in int, step float64) (int, int, float64) {
		s := max((float64(i)+0.5)*step-0.5, 0)
		i0 := int(math.Floor(s))
		i0 = min(i0, in-1)
		i1 := min(i0+1, in-1)
		return i0, i1, s - float64(i0)
	}
	out := make([]float64, nc*oh*ow)
	for p := 0; p < nc; p++ {
		for y := 0; y < oh; y++ {
			y0, y1, ly := tap(y, h, stepY)
			for x := 0; x < ow; x++ {
				x0, x1, lx := tap(x, w, stepX)
				at := func(yy, xx int) float64 { return float64(src[(p*h+yy)*w+xx]) }
				top := at(y0, x0)*(1-lx) + at(y0, x1)*lx
				bot := at(y1, x0)*(1-lx) + at(y1, x1)*lx
				out[(p*oh+y)*ow+x] = top*(1-ly) + bot*ly
			}
		}
	}
	return out
}

// TestResizeBilinear checks the output-size and scale-factor forms against
// resizeRef with PyTorch's float32 step (relative 5e-6: the source positions
// are rounded to float32, as in PyTorch, which moves the weights by up to an
// ulp of the position),
// for upsampling x4, odd sizes, downsampling and equal sizes.
func TestResizeBilinear(t *testing.T) {
	r := newRand(15)
	for _, tc := range [][5]int{{2, 16, 12, 64, 48}, {1, 7, 5, 15, 17}, {3, 17, 33, 5, 7}, {1, 1, 1, 3, 2}, {2, 9, 9, 9, 9}, {1, 4, 6, 1, 1}} {
		nc, h, w, oh, ow := tc[0], tc[1], tc[2], tc[3], tc[4]
		name := fmt.Sprint(tc)
		src := randNormal(r, nc*h*w, 1)
		dst, buf := guarded(nc * oh * ow)
		ResizeBilinear(dst, src, nc, h, w, oh, ow)
		checkGuards(t, name, buf)
		checkRel(t, name, dst, resizeRef(src, nc, h, w, oh, ow, float64(float32(h)/float32(oh)), float64(float32(w)/float32(ow))), 5e-6)
	}
	for _, tc := range []struct {
		nc, h, w int
		sh, sw   float64
	}{{2, 16, 12, 4, 4}, {1, 7, 5, 1.7, 2.3}, {1, 9, 11, 0.45, 0.6}, {1, 5, 5, 1.1, 1.1}} {
		name := fmt.Sprint(tc)
		oh, ow := ScaledSize(tc.h, tc.sh), ScaledSize(tc.w, tc.sw)
		src := randNormal(r, tc.nc*tc.h*tc.w, 1)
		dst, buf := guarded(tc.nc * oh * ow)
		ResizeBilinearScale(dst, src, tc.nc, tc.h, tc.w, tc.sh, tc.sw)
		checkGuards(t, name, buf)
		sy, sx := float64(float32(1/tc.sh)), float64(float32(1/tc.sw))
		if oh == tc.h { // PyTorch copies a dimension whose size does not change
			sy = 1
		}
		if ow == tc.w {
			sx = 1
		}
		checkRel(t, name, dst, resizeRef(src, tc.nc, tc.h, tc.w, oh, ow, sy, sx), 5e-6)
	}
}
