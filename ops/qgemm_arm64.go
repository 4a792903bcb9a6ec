//go:build !noasm

package ops

import "golang.org/x/sys/cpu"

// qgemm8x8NEON is the NEON SDOT int8 micro-kernel (MR=8, NR=8): one full
// tile as qkernel.micro describes (corr is not read: SDOT multiplies the
// signed codes directly). For one tile, in plain Go (lda in bytes, ldc in
// float32s):
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 8; j++ {
//			var s int32
//			for p := 0; p < 16*k16; p++ {
//				s += int32(int8(a[i*lda+p]^0x80)) * int32(b[(p/4)*32+4*j+p%4])
//			}
//			c[i*ldc+j] = float32(float32(float32(s)*sw[j])*sx[i]) + bias[j]
//		}
//	}
//
//go:noescape
func qgemm8x8NEON(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)

// qmicroNEON checks the slice bounds once per tile, so a driver bug panics
// instead of reading or writing out of bounds.
func qmicroNEON(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32) {
	_, _, _ = a[7*lda+16*k16-1], b[16*k16*8-1], c[7*ldc+7]
	_, _, _, _ = sx[7], sw[7], corr[7], bias[7]
	qgemm8x8NEON(k16, &a[0], lda, &b[0], &c[0], ldc, &sx[0], &sw[0], &corr[0], &bias[0])
}

var qkernelNEON = &qkernel{name: "neon-sdot", mr: 8, nr: 8, micro: qmicroNEON}

// haveSDOT reports whether the CPU has the dot-product instructions
// (FEAT_DotProd, HWCAP asimddp).
func haveSDOT() bool { return cpu.ARM64.HasASIMDDP }

func pickQKernel() *qkernel {
	if useNEON && haveSDOT() {
		return qkernelNEON
	}
	return genericQKernel
}

// asmQKernels lists the int8 assembly micro-kernels this CPU can run.
func asmQKernels() []*qkernel {
	if haveSDOT() {
		return []*qkernel{qkernelNEON}
	}
	return nil
}

func quantizeU8(dst []uint8, x []float32, inv float32) { quantizeU8Generic(dst, x, inv) }

func absMaxBits(x []float32) uint32 { return absMaxBitsGeneric(x) }
