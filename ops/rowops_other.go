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

// packT16 writes value p of the 16 runs src[j*stride:] (j < 16, p < kcb)
// to dst[p*16+j].
func packT16(dst, src []float32, stride, kcb int) { packT16Generic(dst, src, stride, kcb) }
