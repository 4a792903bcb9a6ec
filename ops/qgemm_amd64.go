//go:build !noasm

package ops

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// qgemm8x48VNNI is the AVX-512 VNNI int8 micro-kernel (MR=8, NR=48) and
// qgemm6x16AVX2 the AVX2 one (MR=6, NR=16): one full tile as qkernel.micro
// describes. For one tile, in plain Go (lda in bytes, ldc in float32s):
//
//	for i := 0; i < MR; i++ {
//		for j := 0; j < NR; j++ {
//			var acc int32
//			for p := 0; p < 16*k16; p++ {
//				acc += int32(a[i*lda+p]) * int32(b[(p/4)*4*NR+4*j+p%4])
//			}
//			s := acc - corr[j]
//			c[i*ldc+j] = float32(float32(float32(s)*sw[j])*sx[i]) + bias[j]
//		}
//	}
//
//go:noescape
func qgemm8x48VNNI(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)

// qgemm6x16AVX2: see qgemm8x48VNNI.
//
//go:noescape
func qgemm6x16AVX2(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)

// qgemm6x16AVXVNNI is qgemm6x16AVX2 with AVX-VNNI's VPDPBUSD (VEX).
//
//go:noescape
func qgemm6x16AVXVNNI(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)

// The wrappers check the slice bounds once per tile, so a driver bug panics
// instead of reading or writing out of bounds.
func qmicroVNNI(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32) {
	_, _, _ = a[7*lda+16*k16-1], b[16*k16*48-1], c[7*ldc+47]
	_, _, _, _ = sx[7], sw[47], corr[47], bias[47]
	qgemm8x48VNNI(k16, &a[0], lda, &b[0], &c[0], ldc, &sx[0], &sw[0], &corr[0], &bias[0])
}

func qmicroAVX2(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32) {
	_, _, _ = a[5*lda+16*k16-1], b[16*k16*16-1], c[5*ldc+15]
	_, _, _, _ = sx[5], sw[15], corr[15], bias[15]
	qgemm6x16AVX2(k16, &a[0], lda, &b[0], &c[0], ldc, &sx[0], &sw[0], &corr[0], &bias[0])
}

func qmicroAVXVNNI(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32) {
	_, _, _ = a[5*lda+16*k16-1], b[16*k16*16-1], c[5*ldc+15]
	_, _, _, _ = sx[5], sw[15], corr[15], bias[15]
	qgemm6x16AVXVNNI(k16, &a[0], lda, &b[0], &c[0], ldc, &sx[0], &sw[0], &corr[0], &bias[0])
}

var (
	qkernelAVXVNNI = &qkernel{name: "avxvnni", mr: 6, nr: 16, micro: qmicroAVXVNNI}
	qkernelVNNI    = &qkernel{name: "avx512vnni", mr: 8, nr: 48, micro: qmicroVNNI}
	qkernelAVX2    = &qkernel{name: PathAVX2, mr: 6, nr: 16, micro: qmicroAVX2}
)

// haveVNNI reports whether the CPU runs the AVX-512 VNNI kernel.
func haveVNNI() bool { return haveAVX512() && cpuid.CPU.Supports(cpuid.AVX512VNNI) }

// haveAVXVNNI reports whether the CPU runs the AVX-VNNI kernel (VEX
// VPDPBUSD on Y registers; cpuid checks the OS's AVX state).
func haveAVXVNNI() bool { return haveAVX2() && cpuid.CPU.Supports(cpuid.AVXVNNI) }

// pickQKernel chooses the int8 kernel from the dispatch flags;
// LADDERPOSE_NOVNNI=1 further rules out both VNNI kernels (to measure the
// plain AVX2 path on a host that has VNNI).
func pickQKernel() *qkernel {
	novnni := os.Getenv("LADDERPOSE_NOVNNI") == "1"
	switch {
	case useAVX512 && !novnni && haveVNNI():
		return qkernelVNNI
	case useAVX2 && !novnni && haveAVXVNNI():
		return qkernelAVXVNNI
	case useAVX2:
		return qkernelAVX2
	}
	return genericQKernel
}

// asmQKernels lists the int8 assembly micro-kernels this CPU can run,
// fastest first, whatever LADDERPOSE_NOAVX512 says (tests run them all).
func asmQKernels() []*qkernel {
	var ks []*qkernel
	if haveVNNI() {
		ks = append(ks, qkernelVNNI)
	}
	if haveAVXVNNI() {
		ks = append(ks, qkernelAVXVNNI)
	}
	if haveAVX2() {
		ks = append(ks, qkernelAVX2)
	}
	return ks
}

// quantizeU8AVX2 is quantizeU8Generic for n a multiple of 32, n > 0:
//
//	for i := 0; i < n; i++ {
//		dst[i] = uint8(quantCode(x[i], inv, 127) + 128)
//	}
//
//go:noescape
func quantizeU8AVX2(dst *uint8, x *float32, n int, inv float32)

// absMaxBitsAVX2 is absMaxBitsGeneric for n a multiple of 32, n > 0.
//
//go:noescape
func absMaxBitsAVX2(x *float32, n int) uint32

// quantizeU8 writes dst[i] = clamp(round(x[i]*inv), -127, 127) + 128.
func quantizeU8(dst []uint8, x []float32, inv float32) {
	dst = dst[:len(x)]
	body := len(x) &^ 31
	if useAVX2 && body > 0 {
		quantizeU8AVX2(&dst[0], &x[0], body, inv)
	} else {
		body = 0
	}
	quantizeU8Generic(dst[body:], x[body:], inv)
}

// absMaxBits returns the largest bit pattern of |x[i]|.
func absMaxBits(x []float32) uint32 {
	body := len(x) &^ 31
	if !useAVX2 || body == 0 {
		return absMaxBitsGeneric(x)
	}
	return max(absMaxBitsAVX2(&x[0], body), absMaxBitsGeneric(x[body:]))
}
