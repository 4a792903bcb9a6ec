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

// copyPanelRows32AVX2 copies, for each row i < len(bases) and run r < n,
// the 32 values at x[bases[i]+src+32*r:] to dst[(r*kcb+i)*32:].
//
//go:noescape
func copyPanelRows32AVX2(dst, x []float32, bases []int, src, n, kcb int)

// copyPanelRows32 copies, for each row i < len(bases) and run r < n, the
// 32 values at x[bases[i]+src+32*r:] to dst[(r*kcb+i)*32:] (rows of n
// consecutive kcb x 32 GEMM panels, each from one contiguous run of x), on
// the path chosen at init. Every base must be at least -src, and kcb at
// least len(bases).
func copyPanelRows32(dst, x []float32, bases []int, src, n, kcb int) {
	if n <= 0 || len(bases) == 0 {
		return
	}
	hi := 0
	for _, b := range bases {
		if b+src < 0 {
			panic("ops: copyPanelRows32: negative offset")
		}
		hi = max(hi, b)
	}
	if kcb < len(bases) {
		panic("ops: copyPanelRows32: kcb below the rows")
	}
	_, _ = dst[((n-1)*kcb+len(bases)-1)*32+31], x[hi+src+32*n-1]
	if useAVX2 {
		copyPanelRows32AVX2(dst, x, bases, src, n, kcb)
		return
	}
	copyPanelRows32Generic(dst, x, bases, src, n, kcb)
}

// siluFinishAVX2 computes dst[i] = src[i] * (1 / (1 + e[i])) as
// siluFinishGeneric does, bit for bit, for len(dst) a multiple of 8.
//
//go:noescape
func siluFinishAVX2(dst, src, e []float32)

// siluFinish computes dst[i] = src[i] * (1 / (1 + e[i])) (SiLU from
// e = exp(-src)), the assembly on the body where the CPU has AVX2; e may
// be overwritten.
func siluFinish(dst, src, e []float32) {
	src, e = src[:len(dst)], e[:len(dst)]
	body := len(dst) &^ 7
	if useAVX2 && body > 0 {
		siluFinishAVX2(dst[:body], src[:body], e[:body])
	} else {
		body = 0
	}
	siluFinishGeneric(dst[body:], src[body:], e[body:])
}

// copyPanelRowsSplit32AVX2 is copyPanelRowsSplit32Generic with the mask
// as 32 int32 lanes (negative: take run B).
//
//go:noescape
func copyPanelRowsSplit32AVX2(dst, x []float32, bases []int, srcA, srcB int, mask *int32)

// copyPanelRowsSplit32 writes, for each row i < len(bases), lanes j < t1
// of dst[32*i:] from x[bases[i]+srcA+j] and lanes t1 <= j < 32 from
// x[bases[i]+srcB+j] (a 32-wide GEMM panel across two output rows), on the
// path chosen at init. Both runs, x[bases[i]+src:][:32], must lie in x.
func copyPanelRowsSplit32(dst, x []float32, bases []int, srcA, srcB, t1 int) {
	if len(bases) == 0 {
		return
	}
	lo, hi := bases[0], bases[0]
	for _, b := range bases {
		lo, hi = min(lo, b), max(hi, b)
	}
	if lo+min(srcA, srcB) < 0 || t1 < 0 || t1 > 32 {
		panic("ops: copyPanelRowsSplit32: negative offset or bad split")
	}
	_, _ = dst[32*len(bases)-1], x[hi+max(srcA, srcB)+31]
	if useAVX2 {
		var mask [32]int32
		for j := t1; j < 32; j++ {
			mask[j] = -1
		}
		copyPanelRowsSplit32AVX2(dst, x, bases, srcA, srcB, &mask[0])
		return
	}
	copyPanelRowsSplit32Generic(dst, x, bases, srcA, srcB, t1)
}

// evenAVX2 writes dst[i] = src[2*i] for len(dst) a positive multiple of 8,
// reading src[:2*len(dst)].
//
//go:noescape
func evenAVX2(dst, src []float32)

// gatherEven writes dst[i] = src[2*i] (src holding at least 2*len(dst)-1
// values), the assembly on the blocks of 8 whose reads stay inside src.
func gatherEven(dst, src []float32) {
	body := 0
	if useAVX2 {
		body = min(len(dst), len(src)/2) &^ 7
		if body > 0 {
			evenAVX2(dst[:body], src[:2*body])
		}
	}
	gatherEvenGeneric(dst[body:], src[2*body:])
}

// reluAVX2 computes dst[i] = max(src[i], 0) bit for bit as Go's max does
// on amd64 (-0 gives +0, a NaN loses its sign bit) for len(dst) a multiple
// of 8.
//
//go:noescape
func reluAVX2(dst, src []float32)

// reluBody runs ReLU on the longest prefix of dst the assembly handles
// (a multiple of 8 values, none without AVX2) and returns its length.
func reluBody(dst, src []float32) int {
	body := len(dst) &^ 7
	if !useAVX2 || body == 0 {
		return 0
	}
	_ = src[body-1]
	reluAVX2(dst[:body], src[:body])
	return body
}

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
