//go:build !noasm

package ops

// maxAVX2 returns the largest value of x that is not a NaN (-Inf if none),
// for len(x) a positive multiple of 8; rowMaxGeneric in plain Go.
//
//go:noescape
func maxAVX2(x []float32) float32

// scaleAVX2 computes x[i] *= s for len(x) a multiple of 8.
//
//go:noescape
func scaleAVX2(x []float32, s float32)

// rowMax returns the largest non-NaN value of x (-Inf if none), on the path
// chosen at init.
func rowMax(x []float32) float32 {
	body := len(x) &^ 7
	if !useAVX2 || body == 0 {
		return rowMaxGeneric(x)
	}
	m := maxAVX2(x[:body])
	if body < len(x) {
		// A tail value replaces m only when greater, as in the kernel.
		if t := rowMaxGeneric(x[body:]); t > m {
			m = t
		}
	}
	return m
}

// scaleVec multiplies x by s in place, on the path chosen at init.
func scaleVec(x []float32, s float32) {
	body := len(x) &^ 7
	if useAVX2 && body > 0 {
		scaleAVX2(x[:body], s)
	} else {
		body = 0
	}
	scaleGeneric(x[body:], s)
}
