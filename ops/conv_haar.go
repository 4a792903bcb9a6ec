package ops

import "fmt"

// HaarDWT computes one level of the 2-D Haar wavelet transform of SPEC.md
// section 3: the four fixed 2x2 filters LL = 1/2 [[1,1],[1,1]], LH = 1/2
// [[1,-1],[1,-1]], HL = 1/2 [[1,1],[-1,-1]], HH = 1/2 [[1,-1],[-1,1]], each
// applied to every channel with stride 2 and no padding (cross-correlation,
// as a depthwise torch conv2d), after zero-padding an odd height or width at
// the bottom/right by one. src is [n, c, h, w]; dst is [n, 4c, oh, ow] with
// oh = (h+1)/2, ow = (w+1)/2 and the channels in the order LL (c channels),
// LH, HL, HH, which is Concat(LL, LH, HL, HH). Planes run in parallel.
func HaarDWT(dst, src []float32, n, c, h, w int) {
	oh, ow := (h+1)/2, (w+1)/2
	if h <= 0 || w <= 0 || len(src) != n*c*h*w || len(dst) != n*4*c*oh*ow {
		panic(fmt.Sprintf("ops.HaarDWT: %d values into %d for [%d, %d, %d, %d]", len(src), len(dst), n, c, h, w))
	}
	ohw := oh * ow
	ParallelFor(n*c, max(1, 4096/ohw), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			s, ch := u/c, u%c
			x := src[u*h*w : (u+1)*h*w]
			base := s*4*c*ohw + ch*ohw
			ll := dst[base : base+ohw]
			lh := dst[base+c*ohw : base+c*ohw+ohw]
			hl := dst[base+2*c*ohw : base+2*c*ohw+ohw]
			hh := dst[base+3*c*ohw : base+3*c*ohw+ohw]
			for i := 0; i < oh; i++ {
				r0 := x[2*i*w : (2*i+1)*w]
				var r1 []float32
				if 2*i+1 < h {
					r1 = x[(2*i+1)*w : (2*i+2)*w]
				}
				for j := 0; j < ow; j++ {
					a := r0[2*j]
					var b, cc, d float32
					if 2*j+1 < w {
						b = r0[2*j+1]
					}
					if r1 != nil {
						cc = r1[2*j]
						if 2*j+1 < w {
							d = r1[2*j+1]
						}
					}
					s1, d1 := a+b, a-b
					s2, d2 := cc+d, cc-d
					q := i*ow + j
					ll[q] = (s1 + s2) * 0.5
					lh[q] = (d1 + d2) * 0.5
					hl[q] = (s1 - s2) * 0.5
					hh[q] = (d1 - d2) * 0.5
				}
			}
		}
	})
}
