//go:build !amd64 || noasm

package detect

// maxInto computes col[i] = max(col[i], r[i]) (Go's max: NaN if either
// is, +0 over -0).
func maxInto(col, r []float32) { maxIntoGeneric(col, r) }
