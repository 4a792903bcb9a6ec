//go:build !(amd64 || arm64) || noasm

package ops

func pickKernel() *kernel { return genericKernel }

// asmKernels lists the assembly micro-kernels this CPU can run (none here).
func asmKernels() []*kernel { return nil }
