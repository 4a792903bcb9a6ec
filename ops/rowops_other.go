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
