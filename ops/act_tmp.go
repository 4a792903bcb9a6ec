package ops

import "math"

// ReLU computes dst[i] = max(src[i], 0). (Temporary scalar version.)
func ReLU(dst, src []float32) {
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// GELU computes the exact-erf GELU. (Temporary scalar version.)
func GELU(dst, src []float32) {
	for i, v := range src {
		x := float64(v)
		dst[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
	}
}
