//go:build !(amd64 || arm64) || noasm

package ops

// expAffine computes dst[i] = exp(a*src[i] + b) and returns their sum.
func expAffine(dst, src []float32, a, b float32) float32 {
	return expAffineGeneric(dst, src, a, b)
}

// gelu computes dst[i] = GELU(src[i]).
func gelu(dst, src []float32) { geluGeneric(dst, src) }
