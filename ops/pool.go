package ops

import "fmt"

// GlobalAvgPool averages every row of src (rows of n values, e.g. the H*W
// plane of each channel of an NCHW tensor with rows = N*C) into dst[row], as
// torch.nn.AdaptiveAvgPool2d(1). Sums are accumulated in float64.
func GlobalAvgPool(dst, src []float32, rows, n int) {
	if n <= 0 || len(src) != rows*n || len(dst) != rows {
		panic(fmt.Sprintf("ops.GlobalAvgPool: %d values into %d for %d rows of %d", len(src), len(dst), rows, n))
	}
	ParallelFor(rows, max(1, 16384/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var s float64
			for _, v := range src[r*n : (r+1)*n] {
				s += float64(v)
			}
			dst[r] = float32(s / float64(n))
		}
	})
}

// AdaptiveAvgPool1D pools the middle axis of src [outer, l, inner] into o bins,
// writing dst [outer, o, inner], as torch.nn.functional.adaptive_avg_pool1d
// along that axis: bin i averages positions floor(i*l/o) to ceil((i+1)*l/o)-1
// (bins overlap when l is not a multiple of o, and repeat positions when
// o > l). Sums are accumulated in float64. For the last axis of a [rows, l]
// matrix, outer = rows and inner = 1.
func AdaptiveAvgPool1D(dst, src []float32, outer, l, inner, o int) {
	if l <= 0 || o <= 0 || inner <= 0 || len(src) != outer*l*inner || len(dst) != outer*o*inner {
		panic(fmt.Sprintf("ops.AdaptiveAvgPool1D: %d values into %d for [%d, %d, %d] -> %d bins", len(src), len(dst), outer, l, inner, o))
	}
	ParallelFor(outer, max(1, 16384/(l*inner)), func(lo, hi int) {
		for b := lo; b < hi; b++ {
			x := src[b*l*inner : (b+1)*l*inner]
			y := dst[b*o*inner : (b+1)*o*inner]
			for i := 0; i < o; i++ {
				start := i * l / o
				end := ((i+1)*l + o - 1) / o
				inv := 1 / float64(end-start)
				for j := 0; j < inner; j++ {
					var s float64
					for p := start; p < end; p++ {
						s += float64(x[p*inner+j])
					}
					y[i*inner+j] = float32(s * inv)
				}
			}
		}
	})
}
