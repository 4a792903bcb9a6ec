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

// addScalarAVX2 computes x[i] += s for len(x) a multiple of 8.
//
//go:noescape
func addScalarAVX2(x []float32, s float32)

// addVecAVX2 computes x[i] += y[i] for len(x) a multiple of 8 (y at least
// as long).
//
//go:noescape
func addVecAVX2(x, y []float32)

// copyRuns16AVX2 copies n runs of 16 values, run i from src[16*i:] to
// dst[stride*i:].
//
//go:noescape
func copyRuns16AVX2(dst []float32, stride int, src []float32, n int)

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

// addScalar adds s to every value of x (a convolution's bias along one
// output row), on the path chosen at init.
func addScalar(x []float32, s float32) {
	body := len(x) &^ 7
	if useAVX2 && body > 0 {
		addScalarAVX2(x[:body], s)
	} else {
		body = 0
	}
	addScalarGeneric(x[body:], s)
}

// addVec adds y[i] to x[i] (a linear layer's bias along one output row;
// y at least as long as x), on the path chosen at init.
func addVec(x, y []float32) {
	y = y[:len(x)]
	body := len(x) &^ 7
	if useAVX2 && body > 0 {
		addVecAVX2(x[:body], y[:body])
	} else {
		body = 0
	}
	addVecGeneric(x[body:], y[body:])
}

// packT16AVX2 transposes 16 runs of 8*groups values, run j from
// src[j*stride:], into dst[p*16+j] (p < 8*groups).
//
//go:noescape
func packT16AVX2(dst []float32, src []float32, stride, groups int)

// packT16 writes value p of the 16 runs src[j*stride:] (j < 16, p < kcb)
// to dst[p*16+j], on the path chosen at init.
func packT16(dst, src []float32, stride, kcb int) {
	if kcb <= 0 {
		return
	}
	_, _ = dst[kcb*16-1], src[15*stride+kcb-1]
	done := 0
	if useAVX2 {
		done = kcb &^ 7
		packT16AVX2(dst, src, stride, done/8)
	}
	packT16Generic(dst[done*16:], src[done:], stride, kcb-done)
}

// copyRuns16 copies n runs of 16 values, run i from src[16*i:] to
// dst[stride*i:], on the path chosen at init.
func copyRuns16(dst []float32, stride int, src []float32, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[(n-1)*stride+15], src[16*n-1]
	if useAVX2 {
		copyRuns16AVX2(dst, stride, src, n)
		return
	}
	copyRuns16Generic(dst, stride, src, n)
}
