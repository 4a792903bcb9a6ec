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

// winoInAVX512 is winoInAVX2 on 16 tiles per step, n a positive multiple
// of 16.
//
//go:noescape
func winoInAVX512(dst *float32, ds int, src *float32, rs, pw, n int)

// winoOutAVX512 is winoOutAVX2 on 16 tiles per step, n a positive
// multiple of 16.
//
//go:noescape
func winoOutAVX512(dst *float32, ldd int, src *float32, ss, n int, bias float32)

// winoInBody runs the input transform's assembly on the first tiles
// (AVX-512 in blocks of 16, then AVX2 on a block of 8) and returns how
// many it did (none without AVX2). winoIn has checked the bounds for all
// n.
func winoInBody(dst []float32, ds int, src []float32, rs, pw, n int) int {
	done := 0
	if b := n &^ 15; useAVX512 && b > 0 {
		winoInAVX512(&dst[0], ds, &src[0], rs, pw, b)
		done = b
	}
	if b := (n - done) &^ 7; useAVX2 && b > 0 {
		winoInAVX2(&dst[done], ds, &src[done], rs, pw, b)
		done += b
	}
	return done
}

// winoOutBody runs the output transform's assembly on the first of n full
// tiles (both output rows inside): AVX-512 in blocks of 16, then AVX2 on a
// block of 8; it returns how many it did (none without AVX2).
func winoOutBody(dst []float32, ldd int, src []float32, ss, n int, bias float32) int {
	if n <= 0 {
		return 0
	}
	_, _ = dst[ldd+2*n-1], src[15*ss+n-1]
	done := 0
	if b := n &^ 15; useAVX512 && b > 0 {
		winoOutAVX512(&dst[0], ldd, &src[0], ss, b, bias)
		done = b
	}
	if b := (n - done) &^ 7; useAVX2 && b > 0 {
		winoOutAVX2(&dst[2*done], ldd, &src[done], ss, b, bias)
		done += b
	}
	return done
}
