//go:build !noasm

package ops

// layerNormAVX2 normalises one row x (len n >= 1) into y with gamma and
// beta (all of length n) and returns the row's mean and 1/sqrt(var + eps),
// computing in float64 as layerNormRow does (only the order of the sums
// differs).
//
//go:noescape
func layerNormAVX2(y, x, gamma, beta []float32, eps float32) (mean, rstd float32)

// layerNormRowAsm runs layerNormAVX2 when the path has it and the row has
// both gamma and beta; it reports whether it did.
func layerNormRowAsm(y, x, gamma, beta []float32, eps float32) (mean, rstd float32, ok bool) {
	if !useAVX2 || gamma == nil || beta == nil || len(x) == 0 {
		return 0, 0, false
	}
	_, _, _ = y[len(x)-1], gamma[len(x)-1], beta[len(x)-1]
	mean, rstd = layerNormAVX2(y, x, gamma, beta, eps)
	return mean, rstd, true
}
