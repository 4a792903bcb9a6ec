//go:build !(amd64 || arm64) || noasm

package ops

func pickQKernel() *qkernel { return genericQKernel }

// asmQKernels lists the int8 assembly micro-kernels this CPU can run (none
// here).
func asmQKernels() []*qkernel { return nil }

func quantizeU8(dst []uint8, x []float32, inv float32) { quantizeU8Generic(dst, x, inv) }

func absMaxBits(x []float32) uint32 { return absMaxBitsGeneric(x) }
