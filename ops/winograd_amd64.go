//go:build !noasm

package ops

// winoInAVX2 is winoInGeneric (the Winograd input transform) on n tiles,
// n a positive multiple of 8, with ds, rs and pw in values.
//
//go:noescape
func winoInAVX2(dst *float32, ds int, src *float32, rs, pw, n int)

// winoOutAVX2 is winoOutGeneric (the Winograd output transform, plus bias)
// on n tiles whose four outputs all lie inside dst, both rows, n a positive
// multiple of 8, with ldd and ss in values.
//
//go:noescape
func winoOutAVX2(dst *float32, ldd int, src *float32, ss, n int, bias float32)

// winoInBody runs the input transform's assembly on the first tiles, in
// blocks of 8, and returns how many it did (none without AVX2). winoIn has
// checked the bounds for all n.
func winoInBody(dst []float32, ds int, src []float32, rs, pw, n int) int {
	body := n &^ 7
	if !useAVX2 || body == 0 {
		return 0
	}
	winoInAVX2(&dst[0], ds, &src[0], rs, pw, body)
	return body
}

// winoOutBody runs the output transform's assembly on the first of n full
// tiles (both output rows inside), in blocks of 8, and returns how many it
// did (none without AVX2).
func winoOutBody(dst []float32, ldd int, src []float32, ss, n int, bias float32) int {
	body := n &^ 7
	if !useAVX2 || body == 0 {
		return 0
	}
	_, _ = dst[ldd+2*body-1], src[15*ss+body-1]
	winoOutAVX2(&dst[0], ldd, &src[0], ss, body, bias)
	return body
}
