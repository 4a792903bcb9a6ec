//go:build !amd64 || noasm

package detect

// useDeformAVX2 is false: no assembly row kernel on this platform.
const useDeformAVX2 = false

// deformGatherAVX2 is never called here (useDeformAVX2 is false).
func deformGatherAVX2(dst, src []float32, offs []int, ws []float32) {
	deformGatherGeneric(dst, src, offs, ws)
}
