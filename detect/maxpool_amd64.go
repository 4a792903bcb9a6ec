//go:build !noasm

package detect

// maxIntoAVX2 is maxIntoGeneric for len(col) a positive multiple of 8
// (len(r) at least as long), bit for bit.
//
//go:noescape
func maxIntoAVX2(col, r []float32)

// maxInto computes col[i] = max(col[i], r[i]) (Go's max: NaN if either
// is, +0 over -0), the assembly on the body where the CPU has AVX2.
func maxInto(col, r []float32) {
	r = r[:len(col)]
	body := len(col) &^ 7
	if useDeformAVX2 && body > 0 {
		maxIntoAVX2(col[:body], r[:body])
	} else {
		body = 0
	}
	maxIntoGeneric(col[body:], r[body:])
}
