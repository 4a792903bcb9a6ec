//go:build !noasm

package ops

// sgemm8x12NEON is the NEON micro-kernel (MR=8, NR=12) on a packed A panel
// (ars=1, aks=8; the strides are in the signature for symmetry with amd64).
// In plain Go:
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 12; j++ {
//			var acc float32
//			for p := 0; p < kc; p++ {
//				acc += a[p*8+i] * b[p*12+j]
//			}
//			c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j] // c not read if beta == 0
//		}
//	}
//
//go:noescape
func sgemm8x12NEON(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32)

func microNEON(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32) {
	if ars != 1 || aks != 8 {
		panic("ops: NEON micro-kernel needs a packed A panel")
	}
	_, _, _ = a[kc*8-1], b[kc*12-1], c[7*ldc+11]
	sgemm8x12NEON(kc, &a[0], ars, aks, &b[0], &c[0], ldc, alpha, beta)
}

var kernelNEON = &kernel{name: PathNEON, mr: 8, nr: 12, kc: 256, mc: 128, nc: 3072, packedA: true, micro: microNEON}

func pickKernel() *kernel {
	if useNEON {
		return kernelNEON
	}
	return genericKernel
}

// asmKernels lists the assembly micro-kernels this CPU can run.
func asmKernels() []*kernel { return []*kernel{kernelNEON} }
