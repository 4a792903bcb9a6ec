//go:build !noasm

package ops

import "math"

// expAffineAVX2 computes dst[i] = exp(a*src[i] + b) for len(dst) (a multiple
// of 8, src at least as long) and returns the sum of the results:
//
//	var sum float32
//	for i := range dst {
//		dst[i] = expf32(a*src[i] + b)
//		sum += dst[i]
//	}
//	return sum
//
//go:noescape
func expAffineAVX2(dst, src []float32, a, b float32) float32

// expAffineAVX512 is expAffineAVX2 for len(dst) a multiple of 16.
//
//go:noescape
func expAffineAVX512(dst, src []float32, a, b float32) float32

// geluAVX2 computes dst[i] = gelu(src[i]) as geluGeneric, for len(dst) a
// multiple of 8.
//
//go:noescape
func geluAVX2(dst, src []float32)

// geluAVX512 is geluAVX2 for len(dst) a multiple of 16.
//
//go:noescape
func geluAVX512(dst, src []float32)

// expAffine computes dst[i] = exp(a*src[i] + b) and returns their sum, on the
// path chosen at init.
// It is expAffineVec written out with direct calls: through expAffineVec's
// function value the tail buffer would escape, one allocation per row.
func expAffine(dst, src []float32, a, b float32) float32 {
	n := len(dst)
	var buf [maxLanes]float32
	switch {
	case useAVX512:
		body := n &^ 15
		var sum float32
		if body > 0 {
			sum = expAffineAVX512(dst[:body], src[:body], a, b)
		}
		if body < n {
			copy(buf[:], src[body:n])
			expAffineAVX512(buf[:16], buf[:16], a, b)
			sum = addTail(dst[body:], buf[:], sum)
		}
		return sum
	case useAVX2:
		body := n &^ 7
		var sum float32
		if body > 0 {
			sum = expAffineAVX2(dst[:body], src[:body], a, b)
		}
		if body < n {
			copy(buf[:], src[body:n])
			expAffineAVX2(buf[:8], buf[:8], a, b)
			sum = addTail(dst[body:], buf[:], sum)
		}
		return sum
	}
	return expAffineGeneric(dst, src, a, b)
}

// gelu computes dst[i] = GELU(src[i]) on the path chosen at init.
func gelu(dst, src []float32) {
	switch {
	case useAVX512:
		unaryVec(dst, src, 16, geluAVX512)
	case useAVX2:
		unaryVec(dst, src, 8, geluAVX2)
	default:
		geluGeneric(dst, src)
	}
}

// geluVec holds geluAVX2's constants, each broadcast to 8 lanes so that the
// kernel reads them as memory operands of its arithmetic: in the order of
// the GV_ offsets in exp_amd64.s, 1/sqrt2, the absolute-value mask, the
// tail cut, 1, 2, 0.5, log2(e), C1, C2, 127 (int32), S0..S6, L0..L9,
// P0..P5, all copied from erfTab and expTab. Read-only after init.
//
//lint:ignore U1000 read by geluAVX2 in exp_amd64.s (·geluVec)
var geluVec = func() (v [33][8]float32) {
	vals := []float32{erfTab[erfRsqrt2], math.Float32frombits(0x7fffffff), erfTab[erfCut], erfTab[erfOne],
		erfTab[erfTwo], erfTab[erfHalf], expTab[expLog2e], expTab[expC1], expTab[expC2], math.Float32frombits(127)}
	vals = append(vals, erfTab[erfS0:erfS0+7]...)
	vals = append(vals, erfTab[erfL0:erfL0+10]...)
	vals = append(vals, expTab[expP0:expP0+6]...)
	for i, x := range vals {
		for j := range v[i] {
			v[i][j] = x
		}
	}
	return v
}()
