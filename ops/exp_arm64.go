//go:build !noasm

package ops

// expAffineNEON computes dst[i] = exp(a*src[i] + b) for len(dst) (a multiple
// of 4, src at least as long) and returns the sum of the results:
//
//	var sum float32
//	for i := range dst {
//		dst[i] = expf32(a*src[i] + b)
//		sum += dst[i]
//	}
//	return sum
//
//go:noescape
func expAffineNEON(dst, src []float32, a, b float32) float32

// geluNEON computes dst[i] = gelu(src[i]) as geluGeneric, for len(dst) a
// multiple of 4.
//
//go:noescape
func geluNEON(dst, src []float32)

// expAffine computes dst[i] = exp(a*src[i] + b) and returns their sum, on the
// path chosen at init.
// It is expAffineVec written out with a direct call: through expAffineVec's
// function value the tail buffer would escape, one allocation per row.
func expAffine(dst, src []float32, a, b float32) float32 {
	if !useNEON {
		return expAffineGeneric(dst, src, a, b)
	}
	n := len(dst)
	body := n &^ 3
	var sum float32
	if body > 0 {
		sum = expAffineNEON(dst[:body], src[:body], a, b)
	}
	if body < n {
		var buf [4]float32
		copy(buf[:], src[body:n])
		expAffineNEON(buf[:], buf[:], a, b)
		sum = addTail(dst[body:], buf[:], sum)
	}
	return sum
}

// gelu computes dst[i] = GELU(src[i]) on the path chosen at init.
func gelu(dst, src []float32) {
	if useNEON {
		unaryVec(dst, src, 4, geluNEON)
		return
	}
	geluGeneric(dst, src)
}
