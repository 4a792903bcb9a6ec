package ops

import "math"

// Row kernels of the softmax: the maximum of a row and its scaling. The
// pure-Go forms below are the reference and the fall-back; rowops_amd64.s
// has AVX2 forms (rowMax and scaleVec dispatch between them).

// rowMaxGeneric returns the largest value of x that is not a NaN (-Inf if
// there is none, or if x is empty). A softmax row holding a NaN still comes
// out all NaN: its exp is NaN, and so is the sum that scales the row. Four
// running maxima with plain comparisons: Go's max builtin orders NaNs and
// signed zeros, which costs branches on every value. When the maximum is
// zero, which of +0 and -0 comes back depends on the path (the softmax is
// the same either way).
func rowMaxGeneric(x []float32) float32 {
	m0 := float32(math.Inf(-1))
	m1, m2, m3 := m0, m0, m0
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		if v[0] > m0 {
			m0 = v[0]
		}
		if v[1] > m1 {
			m1 = v[1]
		}
		if v[2] > m2 {
			m2 = v[2]
		}
		if v[3] > m3 {
			m3 = v[3]
		}
	}
	for ; i < len(x); i++ {
		if x[i] > m0 {
			m0 = x[i]
		}
	}
	if m1 > m0 {
		m0 = m1
	}
	if m3 > m2 {
		m2 = m3
	}
	if m2 > m0 {
		m0 = m2
	}
	return m0
}

// scaleGeneric multiplies x by s in place.
func scaleGeneric(x []float32, s float32) {
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		v[0] *= s
		v[1] *= s
		v[2] *= s
		v[3] *= s
	}
	for ; i < len(x); i++ {
		x[i] *= s
	}
}

// addScalarGeneric adds s to every value of x.
func addScalarGeneric(x []float32, s float32) {
	for i := range x {
		x[i] += s
	}
}

// addVecGeneric adds y[i] to x[i] (y at least as long as x).
func addVecGeneric(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		x[i] += y[i]
	}
}

// copyRuns16Generic copies n runs of 16 values, run i from src[16*i:] to
// dst[stride*i:].
func copyRuns16Generic(dst []float32, stride int, src []float32, n int) {
	for i := 0; i < n; i++ {
		copy16(dst[i*stride:i*stride+16], src[16*i:16*i+16])
	}
}

// copyRuns32Generic copies n runs of 32 values, run i from src[32*i:] to
// dst[stride*i:].
func copyRuns32Generic(dst []float32, stride int, src []float32, n int) {
	for i := 0; i < n; i++ {
		d, s := dst[i*stride:i*stride+32], src[32*i:32*i+32]
		copy16(d, s)
		copy16(d[16:], s[16:])
	}
}

// copyPanelRows32Generic copies, for each row i < len(bases) and run
// r < n, the 32 values at x[bases[i]+src+32*r:] to dst[(r*kcb+i)*32:].
func copyPanelRows32Generic(dst, x []float32, bases []int, src, n, kcb int) {
	for i, b := range bases {
		copyRuns32Generic(dst[i*32:], kcb*32, x[b+src:], n)
	}
}

// siluFinishGeneric computes dst[i] = src[i] * (1 / (1 + e[i])): with
// e = exp(-src) as Sigmoid computes it, Sigmoid's loop and then the
// product, written as Sigmoid and SiLU's separate pass write them (so that
// even NaN payloads match); e is overwritten with the sigmoid.
func siluFinishGeneric(dst, src, e []float32) {
	src, e = src[:len(dst)], e[:len(dst)]
	for i, x := range e {
		e[i] = 1 / (1 + x)
	}
	for i, v := range src {
		dst[i] = v * e[i]
	}
}

// copyPanelRowsSplit32Generic writes, for each row i < len(bases), lanes
// j < t1 of dst[32*i:] from x[bases[i]+srcA+j] and lanes t1 <= j < 32 from
// x[bases[i]+srcB+j].
func copyPanelRowsSplit32Generic(dst, x []float32, bases []int, srcA, srcB, t1 int) {
	for i, b := range bases {
		d := dst[32*i : 32*i+32]
		copy(d[:t1], x[b+srcA:b+srcA+t1])
		copy(d[t1:], x[b+srcB+t1:b+srcB+32])
	}
}

// gatherEvenGeneric writes dst[i] = src[2*i].
func gatherEvenGeneric(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:2*len(dst)-1]
	for i := range dst {
		dst[i] = src[2*i]
	}
}

// packT16Generic writes value p of the 16 runs src[j*stride:] (j < 16,
// p < kcb) to dst[p*16+j]: four values of each run are read at a time and
// written to four consecutive rows of dst, so that the 16 runs need one
// bounds check per group of four rows.
func packT16Generic(dst, src []float32, stride, kcb int) {
	dst = dst[:kcb*16]
	p := 0
	for ; p+4 <= kcb; p += 4 {
		d := (*[64]float32)(dst[p*16:])
		for j := 0; j < 16; j++ {
			s := (*[4]float32)(src[j*stride+p : j*stride+p+4])
			d[j], d[16+j], d[32+j], d[48+j] = s[0], s[1], s[2], s[3]
		}
	}
	for ; p < kcb; p++ {
		row := dst[p*16 : p*16+16]
		for j := range row {
			row[j] = src[j*stride+p]
		}
	}
}
