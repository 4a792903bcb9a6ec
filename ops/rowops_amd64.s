//go:build !noasm

#include "textflag.h"

// -Inf as a float32 bit pattern.
#define NEGINF $0xff800000

// SCALAR_OP_BODY applies OP (VMULPS or VADDPS) with the scalar s, broadcast
// to Y0, to every value of x in place. Register plan: SI x, CX elements left
// (a multiple of 8), Y0 s, Y1..Y2 values. Loop: 16 values per iteration,
// then one step of 8; l16, l8 and ldone are the labels to use.
#define SCALAR_OP_BODY(OP, l16, l8, ldone) \
	MOVQ x_base+0(FP), SI; \
	MOVQ x_len+8(FP), CX; \
	VBROADCASTSS s+24(FP), Y0; \
l16: \
	CMPQ CX, $16; \
	JLT  l8; \
	OP   (SI), Y0, Y1; \
	OP   32(SI), Y0, Y2; \
	VMOVUPS Y1, (SI); \
	VMOVUPS Y2, 32(SI); \
	ADDQ $64, SI; \
	SUBQ $16, CX; \
	JMP  l16; \
l8: \
	TESTQ CX, CX; \
	JZ    ldone; \
	OP   (SI), Y0, Y1; \
	VMOVUPS Y1, (SI); \
ldone: \
	VZEROUPPER; \
	RET

// func maxAVX2(x []float32) float32
//
// Register plan:
//	SI x, CX elements left (a multiple of 8, at least 8)
//	Y0, Y1 running maxima (8 lanes each, two chains to hide VMAXPS's
//	latency), Y2, Y3 the loaded values
//
// Loop: 16 values per iteration into Y0 and Y1, then one step of 8 into Y0
// when CX was an odd multiple of 8. Each step is VMAXPS acc, data -> acc
// with the accumulator as the SECOND source, which VMAXPS returns when the
// data is a NaN or equal to it (+0 vs -0): NaNs are skipped and the value
// seen first is kept, as rowMaxGeneric does. The two chains and then the 8
// lanes are combined the same way (by halves) at the end.
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVL NEGINF, AX
	VMOVD AX, X0
	VBROADCASTSS X0, Y0
	VMOVAPS Y0, Y1

max16:
	CMPQ CX, $16
	JLT  max8
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMAXPS Y0, Y2, Y0 // Y0 = Y2 > Y0 ? Y2 : Y0
	VMAXPS Y1, Y3, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  max16

max8:
	TESTQ CX, CX
	JZ    maxreduce
	VMOVUPS (SI), Y2
	VMAXPS Y0, Y2, Y0

maxreduce:
	VMAXPS Y0, Y1, Y0 // chain 1 replaces chain 0 only when greater
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X0, X1, X0
	VSHUFPS $0x4e, X0, X0, X1
	VMAXPS X0, X1, X0
	VSHUFPS $0xb1, X0, X0, X1
	VMAXPS X0, X1, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func scaleAVX2(x []float32, s float32): x[i] *= s (SCALAR_OP_BODY).
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	SCALAR_OP_BODY(VMULPS, scale16, scale8, scaledone)

// func addScalarAVX2(x []float32, s float32): x[i] += s (SCALAR_OP_BODY).
TEXT ·addScalarAVX2(SB), NOSPLIT, $0-28
	SCALAR_OP_BODY(VADDPS, adds16, adds8, addsdone)

// func addVecAVX2(x, y []float32)
//
// Register plan: SI x, DI y, CX elements left (a multiple of 8), Y1..Y2
// values. Loop: 16 values per iteration, then one step of 8. x[i] + y[i]
// in that order (addition is commutative in IEEE arithmetic anyway).
TEXT ·addVecAVX2(SB), NOSPLIT, $0-48
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI

addv16:
	CMPQ CX, $16
	JLT  addv8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VADDPS (DI), Y1, Y1
	VADDPS 32(DI), Y2, Y2
	VMOVUPS Y1, (SI)
	VMOVUPS Y2, 32(SI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  addv16

addv8:
	TESTQ CX, CX
	JZ    addvdone
	VMOVUPS (SI), Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (SI)

addvdone:
	VZEROUPPER
	RET

// func copyRuns16AVX2(dst []float32, stride int, src []float32, n int)
//
// Copies n runs of 16 values: run i from src[16*i:] to dst[stride*i:] (a
// patch row into n consecutive GEMM panels).
// Register plan: SI src, DI dst, R8 stride in bytes, CX runs left, Y0/Y1 a
// run. Loop: one run (two 32-byte loads and stores) per iteration.
TEXT ·copyRuns16AVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ src_base+32(FP), SI
	MOVQ n+56(FP), CX
	TESTQ CX, CX
	JZ   copydone

copyloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  copyloop

copydone:
	VZEROUPPER
	RET

// TRANSPOSE8 transposes the 8x8 block of runs 0-3 at lo and 4-7 at hi (the
// runs in between at +R8, +2*R8, +R9) into 8 panel rows of 64 bytes at
// off(DI): unpack pairs of rows, shuffle pairs of pairs, exchange 128-bit
// halves, storing each row as it is finished.
#define TRANSPOSE8(lo, hi, off) \
	VMOVUPS (lo), Y0; \
	VMOVUPS (lo)(R8*1), Y1; \
	VMOVUPS (lo)(R8*2), Y2; \
	VMOVUPS (lo)(R9*1), Y3; \
	VMOVUPS (hi), Y4; \
	VMOVUPS (hi)(R8*1), Y5; \
	VMOVUPS (hi)(R8*2), Y6; \
	VMOVUPS (hi)(R9*1), Y7; \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xee, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xee, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xee, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xee, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VMOVUPS Y8, (off+0)(DI); \
	VPERM2F128 $0x31, Y4, Y0, Y9; \
	VMOVUPS Y9, (off+256)(DI); \
	VPERM2F128 $0x20, Y5, Y1, Y8; \
	VMOVUPS Y8, (off+64)(DI); \
	VPERM2F128 $0x31, Y5, Y1, Y9; \
	VMOVUPS Y9, (off+320)(DI); \
	VPERM2F128 $0x20, Y6, Y2, Y8; \
	VMOVUPS Y8, (off+128)(DI); \
	VPERM2F128 $0x31, Y6, Y2, Y9; \
	VMOVUPS Y9, (off+384)(DI); \
	VPERM2F128 $0x20, Y7, Y3, Y8; \
	VMOVUPS Y8, (off+192)(DI); \
	VPERM2F128 $0x31, Y7, Y3, Y9; \
	VMOVUPS Y9, (off+448)(DI)

// func packT16AVX2(dst []float32, src []float32, stride, groups int)
//
// Transposes 16 runs of 8*groups values (run j from src[j*stride:]) into
// 8*groups rows of 16 values (row p of dst holds value p of every run): a
// full 16-column GEMM panel of a transposed B (the attention's K^T).
// Register plan: SI runs 0-3, R10 runs 4-7, R11 runs 8-11, R12 runs 12-15
// at the current group (the runs in between at +R8 = stride in bytes, +2*R8
// and +R9 = 3*R8), DI the group's 8 panel rows, CX groups left; Y0..Y7 8
// runs' 8 values, Y8..Y15 the transpose's temporaries. Loop: one group per
// iteration, two 8x8 transposes (unpack pairs of rows, shuffle pairs of
// pairs, exchange 128-bit halves), each row stored as it is finished.
TEXT ·packT16AVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ stride+48(FP), R8
	SHLQ $2, R8
	MOVQ groups+56(FP), CX
	LEAQ (R8)(R8*2), R9
	TESTQ CX, CX
	JZ   packtdone

packtloop:
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R11
	LEAQ (R11)(R8*4), R12
	TRANSPOSE8(SI, R10, 0)  // runs 0-7 into columns 0-7 of the 8 rows
	TRANSPOSE8(R11, R12, 32) // runs 8-15 into columns 8-15
	ADDQ $32, SI
	ADDQ $512, DI
	DECQ CX
	JNZ  packtloop

packtdone:
	VZEROUPPER
	RET
