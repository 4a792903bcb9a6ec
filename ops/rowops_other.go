//go:build !amd64 || noasm

package ops

// rowMax returns the largest non-NaN value of x (-Inf if none).
func rowMax(x []float32) float32 { return rowMaxGeneric(x) }

// scaleVec multiplies x by s in place.
func scaleVec(x []float32, s float32) { scaleGeneric(x, s) }

// addScalar adds s to every value of x.
func addScalar(x []float32, s float32) { addScalarGeneric(x, s) }

// addVec adds y[i] to x[i] (y at least as long as x).
func addVec(x, y []float32) { addVecGeneric(x, y) }

// copyRuns16 copies n runs of 16 values, run i from src[16*i:] to
// dst[stride*i:].
func copyRuns16(dst []float32, stride int, src []float32, n int) {
	copyRuns16Generic(dst, stride, src, n)
}

// copyPanelRows32 copies, for each row i < len(bases) and run r < n, the
// 32 values at x[bases[i]+src+32*r:] to dst[(r*kcb+i)*32:].
func copyPanelRows32(dst, x []float32, bases []int, src, n, kcb int) {
	copyPanelRows32Generic(dst, x, bases, src, n, kcb)
}

// siluFinish computes dst[i] = src[i] * (1 / (1 + e[i])); e may be
// overwritten.
func siluFinish(dst, src, e []float32) { siluFinishGeneric(dst, src, e) }

// copyPanelRowsSplit32 writes, for each row i < len(bases), lanes j < t1
// of dst[32*i:] from x[bases[i]+srcA+j] and the others from
// x[bases[i]+srcB+j].
func copyPanelRowsSplit32(dst, x []float32, bases []int, srcA, srcB, t1 int) {
	copyPanelRowsSplit32Generic(dst, x, bases, srcA, srcB, t1)
}

// gatherEven writes dst[i] = src[2*i].
func gatherEven(dst, src []float32) { gatherEvenGeneric(dst, src) }

// reluBody handles no prefix of dst without assembly: ReLU's loop does it all.
func reluBody(dst, src []float32) int { return 0 }

// packT16 writes value p of the 16 runs src[j*stride:] (j < 16, p < kcb)
// to dst[p*16+j].
func packT16(dst, src []float32, stride, kcb int) { packT16Generic(dst, src, stride, kcb) }
