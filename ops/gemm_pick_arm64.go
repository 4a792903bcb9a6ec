//go:build !noasm

package ops

func pickKernel() *kernel { return genericKernel }

func asmKernels() []*kernel { return nil }
