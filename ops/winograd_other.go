//go:build !amd64 || noasm

package ops

// winoInBody transforms no tiles: there is no assembly here.
func winoInBody(dst []float32, ds int, src []float32, rs, pw, n int) int { return 0 }

// winoOutBody transforms no tiles: there is no assembly here.
func winoOutBody(dst []float32, ldd int, src []float32, ss, n int, bias float32) int { return 0 }
