//go:build !noasm

#include "textflag.h"

// Int8 GEMM micro-kernels for amd64 (see qgemm.go for the scheme). Each
// computes one full MR x NR tile from MR rows of quantized activations
// (uint8 u = q_x + 128, row i at a + i*lda, 16*k16 bytes each) and a packed
// weight panel (k16*4 groups; a group is NR columns x 4 consecutive k codes,
// column j's 4 codes at byte 4*j):
//
//	acc[i][j] = sum_p a[i*lda+p] * b[(p/4)*4*NR + 4*j + p%4]   (exact int32)
//	S = acc[i][j] - corr[j]                                    (corr = 128 * column sum)
//	c[i*ldc+j] = float32(float32(float32(S)*sw[j])*sx[i]) + bias[j]
//
// The epilogue is the same IEEE operations, one at a time (no FMA), as the
// pure-Go qDequant, so the results are bit-identical.
//
// Arguments (ABI0, on the stack; lda in bytes, ldc in float32s), both kernels:
//	k16+0(FP) a+8(FP) lda+16(FP) b+24(FP) c+32(FP) ldc+40(FP) sx+48(FP)
//	sw+56(FP) corr+64(FP) bias+72(FP)

// ---------------------------------------------------------------------------
// qgemm8x48VNNI: MR=8, NR=48, AVX-512 VNNI (VPDPBUSD: unsigned bytes of the
// activations times signed bytes of the weights, four products summed into
// each int32 lane; no saturation, no intermediate int16).
//
// Register plan:
//	Z0..Z23   accumulators; row i of the tile is Z(3i), Z(3i+1), Z(3i+2)
//	          (columns 0-15, 16-31, 32-47)
//	Z24..Z26  the current weight group (48 columns x 4 codes); in the
//	          epilogue the corrections
//	Z27..Z30  the 4 activation codes of one row broadcast to 16 lanes, rotated
//	          so consecutive rows do not share a register; in the epilogue
//	          Z27..Z29 the weight scales and Z30 the row's scale
//	SI, R10   rows 0 and 4 at column p; rows 1-3 and 5-7 are these plus R8
//	          (lda), 2*R8, or R9 (3*lda)
//	DI b, CX k16 (loop count); epilogue DX c, R8 ldc in bytes, R11 sx,
//	R12 sw, R13 corr, BX bias
//
// Loop: one iteration per 16 values of k: four k steps of 4 codes, each
// loading 192 bytes of weights and issuing 8 broadcasts and 24 VPDPBUSD
// (24 independent accumulators cover the instruction's latency).

#define VROW(addr, r0, r1, r2, bc) \
	VPBROADCASTD addr, bc; \
	VPDPBUSD     Z24, bc, r0; \
	VPDPBUSD     Z25, bc, r1; \
	VPDPBUSD     Z26, bc, r2

#define VSTEP(off) \
	VMOVDQU32 (DI), Z24; \
	VMOVDQU32 64(DI), Z25; \
	VMOVDQU32 128(DI), Z26; \
	VROW(off(SI), Z0, Z1, Z2, Z27); \
	VROW(off(SI)(R8*1), Z3, Z4, Z5, Z28); \
	VROW(off(SI)(R8*2), Z6, Z7, Z8, Z29); \
	VROW(off(SI)(R9*1), Z9, Z10, Z11, Z30); \
	VROW(off(R10), Z12, Z13, Z14, Z27); \
	VROW(off(R10)(R8*1), Z15, Z16, Z17, Z28); \
	VROW(off(R10)(R8*2), Z18, Z19, Z20, Z29); \
	VROW(off(R10)(R9*1), Z21, Z22, Z23, Z30); \
	ADDQ $192, DI

// VOUT dequantizes one accumulator (corrections in cr, weight scales in sr,
// row scale in Z30) and stores it at boff(DX).
#define VOUT(acc, cr, sr, boff) \
	VPSUBD    cr, acc, acc; \
	VCVTDQ2PS acc, acc; \
	VMULPS    sr, acc, acc; \
	VMULPS    Z30, acc, acc; \
	VADDPS    boff(BX), acc, acc; \
	VMOVUPS   acc, boff(DX)

#define VOUTROW(soff, r0, r1, r2) \
	VBROADCASTSS soff(R11), Z30; \
	VOUT(r0, Z24, Z27, 0); \
	VOUT(r1, Z25, Z28, 64); \
	VOUT(r2, Z26, Z29, 128); \
	ADDQ R8, DX

// func qgemm8x48VNNI(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)
TEXT ·qgemm8x48VNNI(SB), NOSPLIT, $0-80
	MOVQ k16+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

vnniLoop:
	VSTEP(0)
	VSTEP(4)
	VSTEP(8)
	VSTEP(12)
	ADDQ $16, SI
	ADDQ $16, R10
	DECQ CX
	JNZ  vnniLoop

	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVQ sx+48(FP), R11
	MOVQ sw+56(FP), R12
	MOVQ corr+64(FP), R13
	MOVQ bias+72(FP), BX
	VMOVDQU32 (R13), Z24
	VMOVDQU32 64(R13), Z25
	VMOVDQU32 128(R13), Z26
	VMOVUPS   (R12), Z27
	VMOVUPS   64(R12), Z28
	VMOVUPS   128(R12), Z29
	VOUTROW(0, Z0, Z1, Z2)
	VOUTROW(4, Z3, Z4, Z5)
	VOUTROW(8, Z6, Z7, Z8)
	VOUTROW(12, Z9, Z10, Z11)
	VOUTROW(16, Z12, Z13, Z14)
	VOUTROW(20, Z15, Z16, Z17)
	VOUTROW(24, Z18, Z19, Z20)
	VOUTROW(28, Z21, Z22, Z23)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// qgemm6x16AVX2: MR=6, NR=16, AVX2. VPMADDUBSW multiplies the unsigned
// activation bytes by the signed weight bytes and adds adjacent pairs into
// int16 with saturation, which never happens here (|pair| <= 2*255*63 =
// 32130 with 7-bit weights); VPMADDWD by ones adds the int16 pairs into
// int32, and VPADDD accumulates.
//
// Register plan:
//	Y0..Y11   accumulators; row i of the tile is Y(2i) (columns 0-7) and
//	          Y(2i+1) (columns 8-15)
//	Y12       the 4 activation codes of one row broadcast to 8 lanes; in the
//	          epilogue the row's scale
//	Y13, Y14  products of one row with the two weight vectors (read as
//	          memory operands from the panel)
//	Y15       int16 ones
//	SI, R10   rows 0 and 3 at column p; rows 1, 2, 4, 5 are these plus R8
//	          (lda) or 2*R8
//	DI b, CX k16 (loop count); epilogue DX c, R8 ldc in bytes, R11 sx,
//	R12 sw, R13 corr, BX bias
//
// Loop: one iteration per 16 values of k: four k steps of 4 codes (64 bytes
// of weights), each 6 broadcasts and 12 VPMADDUBSW/VPMADDWD/VPADDD triples.

#define AROW(addr, r0, r1) \
	VPBROADCASTD addr, Y12; \
	VPMADDUBSW   (DI), Y12, Y13; \
	VPMADDUBSW   32(DI), Y12, Y14; \
	VPMADDWD     Y15, Y13, Y13; \
	VPMADDWD     Y15, Y14, Y14; \
	VPADDD       Y13, r0, r0; \
	VPADDD       Y14, r1, r1

#define ASTEP(off) \
	AROW(off(SI), Y0, Y1); \
	AROW(off(SI)(R8*1), Y2, Y3); \
	AROW(off(SI)(R8*2), Y4, Y5); \
	AROW(off(R10), Y6, Y7); \
	AROW(off(R10)(R8*1), Y8, Y9); \
	AROW(off(R10)(R8*2), Y10, Y11); \
	ADDQ $64, DI

#define AOUT(acc, boff) \
	VPSUBD    boff(R13), acc, acc; \
	VCVTDQ2PS acc, acc; \
	VMULPS    boff(R12), acc, acc; \
	VMULPS    Y12, acc, acc; \
	VADDPS    boff(BX), acc, acc; \
	VMOVUPS   acc, boff(DX)

#define AOUTROW(soff, r0, r1) \
	VBROADCASTSS soff(R11), Y12; \
	AOUT(r0, 0); \
	AOUT(r1, 32); \
	ADDQ R8, DX

// func qgemm6x16AVX2(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)
TEXT ·qgemm6x16AVX2(SB), NOSPLIT, $0-80
	MOVQ k16+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R9*1), R10

	VPXOR    Y0, Y0, Y0
	VPXOR    Y1, Y1, Y1
	VPXOR    Y2, Y2, Y2
	VPXOR    Y3, Y3, Y3
	VPXOR    Y4, Y4, Y4
	VPXOR    Y5, Y5, Y5
	VPXOR    Y6, Y6, Y6
	VPXOR    Y7, Y7, Y7
	VPXOR    Y8, Y8, Y8
	VPXOR    Y9, Y9, Y9
	VPXOR    Y10, Y10, Y10
	VPXOR    Y11, Y11, Y11
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $15, Y15, Y15

avx2Loop:
	ASTEP(0)
	ASTEP(4)
	ASTEP(8)
	ASTEP(12)
	ADDQ $16, SI
	ADDQ $16, R10
	DECQ CX
	JNZ  avx2Loop

	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVQ sx+48(FP), R11
	MOVQ sw+56(FP), R12
	MOVQ corr+64(FP), R13
	MOVQ bias+72(FP), BX
	AOUTROW(0, Y0, Y1)
	AOUTROW(4, Y2, Y3)
	AOUTROW(8, Y4, Y5)
	AOUTROW(12, Y6, Y7)
	AOUTROW(16, Y8, Y9)
	AOUTROW(20, Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// qgemm6x16AVXVNNI: MR=6, NR=16, AVX-VNNI (the VEX-encoded VPDPBUSD on Y
// registers of Intel Alder Lake and later and AMD Zen 5, without AVX-512):
// the same tile, panel layout and epilogue as qgemm6x16AVX2, one VPDPBUSD
// in place of each VPMADDUBSW/VPMADDWD/VPADDD triple. Go's assembler encodes
// VPDPBUSD on Y registers as EVEX (AVX512VL), so the VEX form is written as
// bytes (checked with llvm-mc --disassemble -mattr=+avxvnni); each comment
// gives the instruction in Go's operand order and in AT&T's.
//
// Register plan:
//	Y0..Y11   accumulators; row i of the tile is Y(2i) (columns 0-7) and
//	          Y(2i+1) (columns 8-15)
//	Y12, Y13  the current weight group (16 columns x 4 codes)
//	Y14, Y15  the 4 activation codes of one row broadcast to 8 lanes,
//	          alternating between rows; in the epilogue Y12 holds the row's
//	          scale
//	SI, R10   rows 0 and 3 at column p; rows 1, 2, 4, 5 are these plus R8
//	          (lda) or 2*R8
//	DI b, CX k16 (loop count); epilogue DX c, R8 ldc in bytes, R11 sx,
//	R12 sw, R13 corr, BX bias
//
// Loop: one iteration per 16 values of k: four k steps of 4 codes, each two
// weight loads, 6 broadcasts and 12 VPDPBUSD.

// func qgemm6x16AVXVNNI(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)
TEXT ·qgemm6x16AVXVNNI(SB), NOSPLIT, $0-80
	MOVQ k16+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R9*1), R10

	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11

avxvnniLoop:
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	VPBROADCASTD 0(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX: {vex} vpdpbusd ymm0, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y1 (VEX: {vex} vpdpbusd ymm1, ymm14, ymm13)
	VPBROADCASTD 0(SI)(R8*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y2 (VEX: {vex} vpdpbusd ymm2, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y3 (VEX: {vex} vpdpbusd ymm3, ymm15, ymm13)
	VPBROADCASTD 0(SI)(R8*2), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y14, Y4 (VEX: {vex} vpdpbusd ymm4, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xed // VPDPBUSD Y13, Y14, Y5 (VEX: {vex} vpdpbusd ymm5, ymm14, ymm13)
	VPBROADCASTD 0(R10), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xf4 // VPDPBUSD Y12, Y15, Y6 (VEX: {vex} vpdpbusd ymm6, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y15, Y7 (VEX: {vex} vpdpbusd ymm7, ymm15, ymm13)
	VPBROADCASTD 0(R10)(R8*1), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX: {vex} vpdpbusd ymm8, ymm14, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y9 (VEX: {vex} vpdpbusd ymm9, ymm14, ymm13)
	VPBROADCASTD 0(R10)(R8*2), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y10 (VEX: {vex} vpdpbusd ymm10, ymm15, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y11 (VEX: {vex} vpdpbusd ymm11, ymm15, ymm13)
	ADDQ $64, DI
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	VPBROADCASTD 4(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX: {vex} vpdpbusd ymm0, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y1 (VEX: {vex} vpdpbusd ymm1, ymm14, ymm13)
	VPBROADCASTD 4(SI)(R8*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y2 (VEX: {vex} vpdpbusd ymm2, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y3 (VEX: {vex} vpdpbusd ymm3, ymm15, ymm13)
	VPBROADCASTD 4(SI)(R8*2), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y14, Y4 (VEX: {vex} vpdpbusd ymm4, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xed // VPDPBUSD Y13, Y14, Y5 (VEX: {vex} vpdpbusd ymm5, ymm14, ymm13)
	VPBROADCASTD 4(R10), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xf4 // VPDPBUSD Y12, Y15, Y6 (VEX: {vex} vpdpbusd ymm6, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y15, Y7 (VEX: {vex} vpdpbusd ymm7, ymm15, ymm13)
	VPBROADCASTD 4(R10)(R8*1), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX: {vex} vpdpbusd ymm8, ymm14, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y9 (VEX: {vex} vpdpbusd ymm9, ymm14, ymm13)
	VPBROADCASTD 4(R10)(R8*2), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y10 (VEX: {vex} vpdpbusd ymm10, ymm15, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y11 (VEX: {vex} vpdpbusd ymm11, ymm15, ymm13)
	ADDQ $64, DI
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	VPBROADCASTD 8(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX: {vex} vpdpbusd ymm0, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y1 (VEX: {vex} vpdpbusd ymm1, ymm14, ymm13)
	VPBROADCASTD 8(SI)(R8*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y2 (VEX: {vex} vpdpbusd ymm2, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y3 (VEX: {vex} vpdpbusd ymm3, ymm15, ymm13)
	VPBROADCASTD 8(SI)(R8*2), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y14, Y4 (VEX: {vex} vpdpbusd ymm4, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xed // VPDPBUSD Y13, Y14, Y5 (VEX: {vex} vpdpbusd ymm5, ymm14, ymm13)
	VPBROADCASTD 8(R10), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xf4 // VPDPBUSD Y12, Y15, Y6 (VEX: {vex} vpdpbusd ymm6, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y15, Y7 (VEX: {vex} vpdpbusd ymm7, ymm15, ymm13)
	VPBROADCASTD 8(R10)(R8*1), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX: {vex} vpdpbusd ymm8, ymm14, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y9 (VEX: {vex} vpdpbusd ymm9, ymm14, ymm13)
	VPBROADCASTD 8(R10)(R8*2), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y10 (VEX: {vex} vpdpbusd ymm10, ymm15, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y11 (VEX: {vex} vpdpbusd ymm11, ymm15, ymm13)
	ADDQ $64, DI
	VMOVDQU (DI), Y12
	VMOVDQU 32(DI), Y13
	VPBROADCASTD 12(SI), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX: {vex} vpdpbusd ymm0, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y1 (VEX: {vex} vpdpbusd ymm1, ymm14, ymm13)
	VPBROADCASTD 12(SI)(R8*1), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y2 (VEX: {vex} vpdpbusd ymm2, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y3 (VEX: {vex} vpdpbusd ymm3, ymm15, ymm13)
	VPBROADCASTD 12(SI)(R8*2), Y14
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xe4 // VPDPBUSD Y12, Y14, Y4 (VEX: {vex} vpdpbusd ymm4, ymm14, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xed // VPDPBUSD Y13, Y14, Y5 (VEX: {vex} vpdpbusd ymm5, ymm14, ymm13)
	VPBROADCASTD 12(R10), Y15
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xf4 // VPDPBUSD Y12, Y15, Y6 (VEX: {vex} vpdpbusd ymm6, ymm15, ymm12)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x05; BYTE $0x50; BYTE $0xfd // VPDPBUSD Y13, Y15, Y7 (VEX: {vex} vpdpbusd ymm7, ymm15, ymm13)
	VPBROADCASTD 12(R10)(R8*1), Y14
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX: {vex} vpdpbusd ymm8, ymm14, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xcd // VPDPBUSD Y13, Y14, Y9 (VEX: {vex} vpdpbusd ymm9, ymm14, ymm13)
	VPBROADCASTD 12(R10)(R8*2), Y15
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xd4 // VPDPBUSD Y12, Y15, Y10 (VEX: {vex} vpdpbusd ymm10, ymm15, ymm12)
	BYTE $0xc4; BYTE $0x42; BYTE $0x05; BYTE $0x50; BYTE $0xdd // VPDPBUSD Y13, Y15, Y11 (VEX: {vex} vpdpbusd ymm11, ymm15, ymm13)
	ADDQ $64, DI
	ADDQ $16, SI
	ADDQ $16, R10
	DECQ CX
	JNZ  avxvnniLoop

	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	MOVQ sx+48(FP), R11
	MOVQ sw+56(FP), R12
	MOVQ corr+64(FP), R13
	MOVQ bias+72(FP), BX
	AOUTROW(0, Y0, Y1)
	AOUTROW(4, Y2, Y3)
	AOUTROW(8, Y4, Y5)
	AOUTROW(12, Y6, Y7)
	AOUTROW(16, Y8, Y9)
	AOUTROW(20, Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Activation quantization, AVX2 (both amd64 paths): the same operations as
// quantCode, 8 lanes at a time.

// qpermIdx reorders the dwords of VPACKSSDW+VPACKSSWB's lane-interleaved
// output back into element order.
DATA qpermIdx<>+0(SB)/4, $0
DATA qpermIdx<>+4(SB)/4, $4
DATA qpermIdx<>+8(SB)/4, $1
DATA qpermIdx<>+12(SB)/4, $5
DATA qpermIdx<>+16(SB)/4, $2
DATA qpermIdx<>+20(SB)/4, $6
DATA qpermIdx<>+24(SB)/4, $3
DATA qpermIdx<>+28(SB)/4, $7
GLOBL qpermIdx<>(SB), RODATA|NOPTR, $32

// QCODE computes the codes of 8 values at off(SI) into dst (int32 lanes):
// y = x*inv; t = trunc(y); t += (y-t >= 0.5) - (y-t <= -0.5); clamp to
// [-127, 127]. t1..t3 are scratch.
#define QCODE(off, dst, t1, t2, t3) \
	VMULPS     off(SI), Y15, dst; \
	VROUNDPS   $3, dst, t1; \
	VSUBPS     t1, dst, t1; \
	VCVTTPS2DQ dst, dst; \
	VCMPPS     $0x0d, Y14, t1, t2; \
	VCMPPS     $0x02, Y13, t1, t3; \
	VPSUBD     t2, dst, dst; \
	VPADDD     t3, dst, dst; \
	VPMINSD    Y12, dst, dst; \
	VPMAXSD    Y11, dst, dst

// func quantizeU8AVX2(dst *uint8, x *float32, n int, inv float32)
//
// dst[i] = clamp(round(x[i]*inv), -127, 127) + 128 for n a multiple of 32
// (n > 0).
//
// Register plan: Y15 inv, Y14 0.5, Y13 -0.5, Y12 127, Y11 -127 (int32), Y10
// the dword permutation, Y9 0x80 bytes; Y0..Y3 the codes of 4 x 8 values,
// Y4..Y8 scratch; SI x, DI dst, CX n/32. Each iteration packs 32 codes
// (int32 -> int16 -> int8, saturation never reached after the clamp), puts
// the dwords back in order, adds 128 (XOR 0x80) and stores 32 bytes.
TEXT ·quantizeU8AVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	SHRQ         $5, CX
	VBROADCASTSS inv+24(FP), Y15
	MOVL         $0x3f000000, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0xbf000000, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $127, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	MOVL         $-127, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11
	VMOVDQU      qpermIdx<>(SB), Y10
	MOVL         $0x80808080, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9

quantLoop:
	QCODE(0, Y0, Y4, Y5, Y6)
	QCODE(32, Y1, Y7, Y8, Y4)
	QCODE(64, Y2, Y5, Y6, Y7)
	QCODE(96, Y3, Y8, Y4, Y5)
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y10, Y0
	VPXOR     Y9, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $128, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       quantLoop
	VZEROUPPER
	RET

// func absMaxBitsAVX2(x *float32, n int) uint32
//
// The largest bit pattern of |x[i]| (sign cleared), for n a multiple of 32
// (n > 0): unsigned dword maxima over 4 accumulators Y0..Y3, Y4 the mask
// 0x7fffffff, then a horizontal reduction.
TEXT ·absMaxBitsAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	SHRQ         $5, CX
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X4
	VPBROADCASTD X4, Y4
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3

amaxLoop:
	VPAND   (SI), Y4, Y5
	VPAND   32(SI), Y4, Y6
	VPAND   64(SI), Y4, Y7
	VPAND   96(SI), Y4, Y8
	VPMAXUD Y5, Y0, Y0
	VPMAXUD Y6, Y1, Y1
	VPMAXUD Y7, Y2, Y2
	VPMAXUD Y8, Y3, Y3
	ADDQ    $128, SI
	DECQ    CX
	JNZ     amaxLoop

	VPMAXUD      Y1, Y0, Y0
	VPMAXUD      Y3, Y2, Y2
	VPMAXUD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPMAXUD      X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPMAXUD      X1, X0, X0
	VMOVD        X0, AX
	MOVL         AX, ret+16(FP)
	VZEROUPPER
	RET
