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

// func copyPanelRows32AVX2(dst, x []float32, bases []int, src, n, kcb int)
//
// For each row i < len(bases) and run r < n, copies the 32 values at
// x[bases[i]+src+32*r:] to dst[(r*kcb+i)*32:]: row i of n consecutive
// kcb x 32 GEMM panels from one contiguous run of x per row (the Go caller
// checks the bounds).
// Register plan: DI dst at row i of panel 0, SI x, BX bases, DX rows left,
// R8 src in bytes, R9 panel stride (kcb*128 bytes), R10 n, R11 runs left,
// R12 source address, R13 destination address, Y0..Y3 a run.
// Loop: rows outer, runs inner, one run (four 32-byte loads and stores)
// per iteration.
TEXT ·copyPanelRows32AVX2(SB), NOSPLIT, $0-96
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ bases_base+48(FP), BX
	MOVQ bases_len+56(FP), DX
	MOVQ src+72(FP), R8
	SHLQ $2, R8
	MOVQ n+80(FP), R10
	MOVQ kcb+88(FP), R9
	SHLQ $7, R9
	TESTQ DX, DX
	JZ    cprdone
	TESTQ R10, R10
	JZ    cprdone

cprrow:
	MOVQ (BX), R12
	SHLQ $2, R12
	ADDQ SI, R12
	ADDQ R8, R12
	MOVQ DI, R13
	MOVQ R10, R11

cprrun:
	VMOVUPS (R12), Y0
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3
	VMOVUPS Y0, (R13)
	VMOVUPS Y1, 32(R13)
	VMOVUPS Y2, 64(R13)
	VMOVUPS Y3, 96(R13)
	ADDQ $128, R12
	ADDQ R9, R13
	DECQ R11
	JNZ  cprrun

	ADDQ $8, BX
	ADDQ $128, DI
	DECQ DX
	JNZ  cprrow

cprdone:
	VZEROUPPER
	RET

// func copyPanelRowsSplit32AVX2(dst, x []float32, bases []int, srcA, srcB int, mask *int32)
//
// For each row i < len(bases) and lane j < 32, dst[32*i+j] = mask[j] < 0 ?
// x[bases[i]+srcB+j] : x[bases[i]+srcA+j]: a 32-wide GEMM panel whose
// positions span two output rows, the first lanes from one run of x and
// the others from another (the Go caller checks the bounds; both runs are
// read in full).
// Register plan: DI dst at row i, SI x, BX bases, DX rows left, R8 srcA and
// R9 srcB in bytes, R12/R13 the two source addresses, Y4..Y7 the mask,
// Y0..Y3 run A, then the blend, Y8..Y11 run B.
// Loop: one row (eight 32-byte loads, four blends, four stores) per
// iteration.
TEXT ·copyPanelRowsSplit32AVX2(SB), NOSPLIT, $0-96
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ bases_base+48(FP), BX
	MOVQ bases_len+56(FP), DX
	MOVQ srcA+72(FP), R8
	SHLQ $2, R8
	MOVQ srcB+80(FP), R9
	SHLQ $2, R9
	MOVQ mask+88(FP), AX
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	VMOVUPS 64(AX), Y6
	VMOVUPS 96(AX), Y7
	TESTQ DX, DX
	JZ    cpsdone

cpsrow:
	MOVQ (BX), R12
	SHLQ $2, R12
	ADDQ SI, R12
	LEAQ (R12)(R9*1), R13
	ADDQ R8, R12
	VMOVUPS (R12), Y0
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3
	VMOVUPS (R13), Y8
	VMOVUPS 32(R13), Y9
	VMOVUPS 64(R13), Y10
	VMOVUPS 96(R13), Y11
	VBLENDVPS Y4, Y8, Y0, Y0
	VBLENDVPS Y5, Y9, Y1, Y1
	VBLENDVPS Y6, Y10, Y2, Y2
	VBLENDVPS Y7, Y11, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $8, BX
	ADDQ $128, DI
	DECQ DX
	JNZ  cpsrow

cpsdone:
	VZEROUPPER
	RET

// func evenAVX2(dst, src []float32)
//
// dst[i] = src[2*i] for len(dst) a positive multiple of 8, reading
// src[:2*len(dst)] (the Go caller checks that it is there): a stride-2 row
// of an im2col patch.
// Register plan: DI dst, SI src, CX values left, Y0/Y1 16 source values,
// Y2 their even ones (in 128-bit lane order), then in order.
// Loop: 8 values per iteration.
TEXT ·evenAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

evenloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2 // s0 s2 s8 s10 | s4 s6 s12 s14
	VPERMPD $0xd8, Y2, Y2     // s0 s2 s4 s6 s8 s10 s12 s14
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  evenloop

	VZEROUPPER
	RET

// func reluAVX2(dst, src []float32)
//
// dst[i] = max(src[i], 0) bit for bit as Go's max compiles on amd64, for
// len(dst) a multiple of 8 (src at least as long): VMAXPS gives its second
// operand (+0) for -0 and for NaN; a NaN, found by an unordered compare,
// comes out with its sign bit cleared (Go computes max as -min(-x, -y),
// which does that).
// Register plan: SI src, DI dst, CX values left, Y0 zero, Y7 0x7fffffff,
// Y1/Y4 values, Y2/Y5 maxima, Y3/Y6 NaN masks, Y8/Y9 |values|. Loop: 16
// values per iteration, then one step of 8.
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	VXORPS Y0, Y0, Y0
	VPCMPEQD Y7, Y7, Y7
	VPSRLD $1, Y7, Y7

relu16:
	CMPQ CX, $16
	JLT  relu8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y4
	VMAXPS Y0, Y1, Y2         // max(v, +0): +0 for -0 and NaN
	VMAXPS Y0, Y4, Y5
	VCMPPS $3, Y1, Y1, Y3     // unordered: v is NaN
	VCMPPS $3, Y4, Y4, Y6
	VANDPS Y7, Y1, Y8         // |v|
	VANDPS Y7, Y4, Y9
	VBLENDVPS Y3, Y8, Y2, Y2  // NaN: |v|
	VBLENDVPS Y6, Y9, Y5, Y5
	VMOVUPS Y2, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  relu16

relu8:
	TESTQ CX, CX
	JZ    reludone
	VMOVUPS (SI), Y1
	VMAXPS Y0, Y1, Y2
	VCMPPS $3, Y1, Y1, Y3
	VANDPS Y7, Y1, Y8
	VBLENDVPS Y3, Y8, Y2, Y2
	VMOVUPS Y2, (DI)

reludone:
	VZEROUPPER
	RET

// func siluFinishAVX2(dst, src, e []float32)
//
// dst[i] = src[i] * (1 / (1 + e[i])) for len(dst) a multiple of 8 (src and
// e at least as long), each operation rounded to float32 as Go's scalar
// code rounds it (VADDPS, VDIVPS, VMULPS: no fused operation), so that
// with e[i] = exp(-src[i]) it is SiLU's separate pass, bit for bit.
// Register plan: DI dst, SI src, DX e, CX values left, Y0 1.0 in every
// lane, Y1 1+e, then the sigmoid, then the product, Y2 src.
// Loop: 8 values per iteration.
TEXT ·siluFinishAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ e_base+48(FP), DX
	MOVL $0x3f800000, AX
	MOVL AX, X0
	VBROADCASTSS X0, Y0
	TESTQ CX, CX
	JZ    silu_done

silu_loop:
	VADDPS (DX), Y0, Y1   // 1 + e
	VDIVPS Y1, Y0, Y1     // 1 / (1 + e)
	VMOVUPS (SI), Y2
	VMULPS Y1, Y2, Y1     // src * sigmoid (src first: a NaN src wins, as in Go)
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ  silu_loop

silu_done:
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
