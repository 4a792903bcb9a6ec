//go:build !noasm

#include "textflag.h"

// Int8 GEMM micro-kernel for arm64 (NEON with the dot-product extension,
// FEAT_DotProd), MR=8, NR=8 (see qgemm.go for the scheme and
// qgemm_amd64.s for the operands). The activations arrive as uint8
// u = q_x + 128; XOR 0x80 turns each byte into the signed code q_x, and SDOT
// multiplies signed by signed, so S = sum q_x*q_w comes out directly and the
// column corrections are not used:
//
//	S[i][j] = sum_p (a[i*lda+p] ^ 0x80) * b[(p/4)*32 + 4*j + p%4]      (int8 x int8)
//	c[i*ldc+j] = float32(float32(float32(S)*sw[j])*sx[i]) + bias[j]
//
// Register plan:
//	V0..V15   accumulators; row i of the tile is V(2i) (columns 0-3) and
//	          V(2i+1) (columns 4-7): consecutive, so one VST1 stores a row
//	V16..V23  16 codes of rows 0..7 (4 groups of 4 k values)
//	V24, V25  one weight group (8 columns x 4 codes); in the epilogue the
//	          weight scales
//	V26, V27  the bias (epilogue); V28 the row's scale (epilogue)
//	V31       0x80 in every byte
//	R1..R8    the 8 activation rows at column p; R9 b; R0 k16 (loop count);
//	          epilogue R11 c, R12 ldc in bytes, R13 sx, R14 sw, R15 bias
//
// Loop: one iteration per 16 values of k: 8 row loads and XORs, then four
// k steps, each loading one weight group and issuing 16 SDOT-by-element
// (row i's lane s, s = 0..3, against the group). The epilogue converts
// (SCVTF), multiplies by the weight scales and the row scale and adds the
// bias, one rounding each (no fused multiply-add), and stores 8 rows.
//
// Go's assembler has no SDOT, SCVTF, FMUL or FADD on vectors, so they are
// WORD-encoded; each WORD's comment gives the instruction (checked with
// llvm-mc --disassemble).

// func qgemm8x8NEON(k16 int, a *uint8, lda int, b *int8, c *float32, ldc int, sx, sw *float32, corr *int32, bias *float32)
TEXT ·qgemm8x8NEON(SB), NOSPLIT, $0-80
	MOVD k16+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R10
	MOVD b+24(FP), R9
	ADD  R10, R1, R2
	ADD  R10, R2, R3
	ADD  R10, R3, R4
	ADD  R10, R4, R5
	ADD  R10, R5, R6
	ADD  R10, R6, R7
	ADD  R10, R7, R8

	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	MOVD $0x80, R11
	VDUP R11, V31.B16

neonLoop:
	VLD1.P 16(R1), [V16.B16]
	VLD1.P 16(R2), [V17.B16]
	VLD1.P 16(R3), [V18.B16]
	VLD1.P 16(R4), [V19.B16]
	VLD1.P 16(R5), [V20.B16]
	VLD1.P 16(R6), [V21.B16]
	VLD1.P 16(R7), [V22.B16]
	VLD1.P 16(R8), [V23.B16]
	VEOR V31.B16, V16.B16, V16.B16
	VEOR V31.B16, V17.B16, V17.B16
	VEOR V31.B16, V18.B16, V18.B16
	VEOR V31.B16, V19.B16, V19.B16
	VEOR V31.B16, V20.B16, V20.B16
	VEOR V31.B16, V21.B16, V21.B16
	VEOR V31.B16, V22.B16, V22.B16
	VEOR V31.B16, V23.B16, V23.B16
	VLD1.P 32(R9), [V24.B16, V25.B16]
	WORD $0x4f90e300 // sdot v0.4s, v24.16b, v16.4b[0]
	WORD $0x4f90e321 // sdot v1.4s, v25.16b, v16.4b[0]
	WORD $0x4f91e302 // sdot v2.4s, v24.16b, v17.4b[0]
	WORD $0x4f91e323 // sdot v3.4s, v25.16b, v17.4b[0]
	WORD $0x4f92e304 // sdot v4.4s, v24.16b, v18.4b[0]
	WORD $0x4f92e325 // sdot v5.4s, v25.16b, v18.4b[0]
	WORD $0x4f93e306 // sdot v6.4s, v24.16b, v19.4b[0]
	WORD $0x4f93e327 // sdot v7.4s, v25.16b, v19.4b[0]
	WORD $0x4f94e308 // sdot v8.4s, v24.16b, v20.4b[0]
	WORD $0x4f94e329 // sdot v9.4s, v25.16b, v20.4b[0]
	WORD $0x4f95e30a // sdot v10.4s, v24.16b, v21.4b[0]
	WORD $0x4f95e32b // sdot v11.4s, v25.16b, v21.4b[0]
	WORD $0x4f96e30c // sdot v12.4s, v24.16b, v22.4b[0]
	WORD $0x4f96e32d // sdot v13.4s, v25.16b, v22.4b[0]
	WORD $0x4f97e30e // sdot v14.4s, v24.16b, v23.4b[0]
	WORD $0x4f97e32f // sdot v15.4s, v25.16b, v23.4b[0]
	VLD1.P 32(R9), [V24.B16, V25.B16]
	WORD $0x4fb0e300 // sdot v0.4s, v24.16b, v16.4b[1]
	WORD $0x4fb0e321 // sdot v1.4s, v25.16b, v16.4b[1]
	WORD $0x4fb1e302 // sdot v2.4s, v24.16b, v17.4b[1]
	WORD $0x4fb1e323 // sdot v3.4s, v25.16b, v17.4b[1]
	WORD $0x4fb2e304 // sdot v4.4s, v24.16b, v18.4b[1]
	WORD $0x4fb2e325 // sdot v5.4s, v25.16b, v18.4b[1]
	WORD $0x4fb3e306 // sdot v6.4s, v24.16b, v19.4b[1]
	WORD $0x4fb3e327 // sdot v7.4s, v25.16b, v19.4b[1]
	WORD $0x4fb4e308 // sdot v8.4s, v24.16b, v20.4b[1]
	WORD $0x4fb4e329 // sdot v9.4s, v25.16b, v20.4b[1]
	WORD $0x4fb5e30a // sdot v10.4s, v24.16b, v21.4b[1]
	WORD $0x4fb5e32b // sdot v11.4s, v25.16b, v21.4b[1]
	WORD $0x4fb6e30c // sdot v12.4s, v24.16b, v22.4b[1]
	WORD $0x4fb6e32d // sdot v13.4s, v25.16b, v22.4b[1]
	WORD $0x4fb7e30e // sdot v14.4s, v24.16b, v23.4b[1]
	WORD $0x4fb7e32f // sdot v15.4s, v25.16b, v23.4b[1]
	VLD1.P 32(R9), [V24.B16, V25.B16]
	WORD $0x4f90eb00 // sdot v0.4s, v24.16b, v16.4b[2]
	WORD $0x4f90eb21 // sdot v1.4s, v25.16b, v16.4b[2]
	WORD $0x4f91eb02 // sdot v2.4s, v24.16b, v17.4b[2]
	WORD $0x4f91eb23 // sdot v3.4s, v25.16b, v17.4b[2]
	WORD $0x4f92eb04 // sdot v4.4s, v24.16b, v18.4b[2]
	WORD $0x4f92eb25 // sdot v5.4s, v25.16b, v18.4b[2]
	WORD $0x4f93eb06 // sdot v6.4s, v24.16b, v19.4b[2]
	WORD $0x4f93eb27 // sdot v7.4s, v25.16b, v19.4b[2]
	WORD $0x4f94eb08 // sdot v8.4s, v24.16b, v20.4b[2]
	WORD $0x4f94eb29 // sdot v9.4s, v25.16b, v20.4b[2]
	WORD $0x4f95eb0a // sdot v10.4s, v24.16b, v21.4b[2]
	WORD $0x4f95eb2b // sdot v11.4s, v25.16b, v21.4b[2]
	WORD $0x4f96eb0c // sdot v12.4s, v24.16b, v22.4b[2]
	WORD $0x4f96eb2d // sdot v13.4s, v25.16b, v22.4b[2]
	WORD $0x4f97eb0e // sdot v14.4s, v24.16b, v23.4b[2]
	WORD $0x4f97eb2f // sdot v15.4s, v25.16b, v23.4b[2]
	VLD1.P 32(R9), [V24.B16, V25.B16]
	WORD $0x4fb0eb00 // sdot v0.4s, v24.16b, v16.4b[3]
	WORD $0x4fb0eb21 // sdot v1.4s, v25.16b, v16.4b[3]
	WORD $0x4fb1eb02 // sdot v2.4s, v24.16b, v17.4b[3]
	WORD $0x4fb1eb23 // sdot v3.4s, v25.16b, v17.4b[3]
	WORD $0x4fb2eb04 // sdot v4.4s, v24.16b, v18.4b[3]
	WORD $0x4fb2eb25 // sdot v5.4s, v25.16b, v18.4b[3]
	WORD $0x4fb3eb06 // sdot v6.4s, v24.16b, v19.4b[3]
	WORD $0x4fb3eb27 // sdot v7.4s, v25.16b, v19.4b[3]
	WORD $0x4fb4eb08 // sdot v8.4s, v24.16b, v20.4b[3]
	WORD $0x4fb4eb29 // sdot v9.4s, v25.16b, v20.4b[3]
	WORD $0x4fb5eb0a // sdot v10.4s, v24.16b, v21.4b[3]
	WORD $0x4fb5eb2b // sdot v11.4s, v25.16b, v21.4b[3]
	WORD $0x4fb6eb0c // sdot v12.4s, v24.16b, v22.4b[3]
	WORD $0x4fb6eb2d // sdot v13.4s, v25.16b, v22.4b[3]
	WORD $0x4fb7eb0e // sdot v14.4s, v24.16b, v23.4b[3]
	WORD $0x4fb7eb2f // sdot v15.4s, v25.16b, v23.4b[3]
	SUBS $1, R0, R0
	BNE  neonLoop

	MOVD c+32(FP), R11
	MOVD ldc+40(FP), R12
	LSL  $2, R12, R12
	MOVD sx+48(FP), R13
	MOVD sw+56(FP), R14
	MOVD bias+72(FP), R15
	VLD1 (R14), [V24.S4, V25.S4]
	VLD1 (R15), [V26.S4, V27.S4]
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d800 // scvtf v0.4s, v0.4s
	WORD $0x4e21d821 // scvtf v1.4s, v1.4s
	WORD $0x6e38dc00 // fmul v0.4s, v0.4s, v24.4s
	WORD $0x6e39dc21 // fmul v1.4s, v1.4s, v25.4s
	WORD $0x6e3cdc00 // fmul v0.4s, v0.4s, v28.4s
	WORD $0x6e3cdc21 // fmul v1.4s, v1.4s, v28.4s
	WORD $0x4e3ad400 // fadd v0.4s, v0.4s, v26.4s
	WORD $0x4e3bd421 // fadd v1.4s, v1.4s, v27.4s
	VST1 [V0.S4, V1.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d842 // scvtf v2.4s, v2.4s
	WORD $0x4e21d863 // scvtf v3.4s, v3.4s
	WORD $0x6e38dc42 // fmul v2.4s, v2.4s, v24.4s
	WORD $0x6e39dc63 // fmul v3.4s, v3.4s, v25.4s
	WORD $0x6e3cdc42 // fmul v2.4s, v2.4s, v28.4s
	WORD $0x6e3cdc63 // fmul v3.4s, v3.4s, v28.4s
	WORD $0x4e3ad442 // fadd v2.4s, v2.4s, v26.4s
	WORD $0x4e3bd463 // fadd v3.4s, v3.4s, v27.4s
	VST1 [V2.S4, V3.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d884 // scvtf v4.4s, v4.4s
	WORD $0x4e21d8a5 // scvtf v5.4s, v5.4s
	WORD $0x6e38dc84 // fmul v4.4s, v4.4s, v24.4s
	WORD $0x6e39dca5 // fmul v5.4s, v5.4s, v25.4s
	WORD $0x6e3cdc84 // fmul v4.4s, v4.4s, v28.4s
	WORD $0x6e3cdca5 // fmul v5.4s, v5.4s, v28.4s
	WORD $0x4e3ad484 // fadd v4.4s, v4.4s, v26.4s
	WORD $0x4e3bd4a5 // fadd v5.4s, v5.4s, v27.4s
	VST1 [V4.S4, V5.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d8c6 // scvtf v6.4s, v6.4s
	WORD $0x4e21d8e7 // scvtf v7.4s, v7.4s
	WORD $0x6e38dcc6 // fmul v6.4s, v6.4s, v24.4s
	WORD $0x6e39dce7 // fmul v7.4s, v7.4s, v25.4s
	WORD $0x6e3cdcc6 // fmul v6.4s, v6.4s, v28.4s
	WORD $0x6e3cdce7 // fmul v7.4s, v7.4s, v28.4s
	WORD $0x4e3ad4c6 // fadd v6.4s, v6.4s, v26.4s
	WORD $0x4e3bd4e7 // fadd v7.4s, v7.4s, v27.4s
	VST1 [V6.S4, V7.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d908 // scvtf v8.4s, v8.4s
	WORD $0x4e21d929 // scvtf v9.4s, v9.4s
	WORD $0x6e38dd08 // fmul v8.4s, v8.4s, v24.4s
	WORD $0x6e39dd29 // fmul v9.4s, v9.4s, v25.4s
	WORD $0x6e3cdd08 // fmul v8.4s, v8.4s, v28.4s
	WORD $0x6e3cdd29 // fmul v9.4s, v9.4s, v28.4s
	WORD $0x4e3ad508 // fadd v8.4s, v8.4s, v26.4s
	WORD $0x4e3bd529 // fadd v9.4s, v9.4s, v27.4s
	VST1 [V8.S4, V9.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d94a // scvtf v10.4s, v10.4s
	WORD $0x4e21d96b // scvtf v11.4s, v11.4s
	WORD $0x6e38dd4a // fmul v10.4s, v10.4s, v24.4s
	WORD $0x6e39dd6b // fmul v11.4s, v11.4s, v25.4s
	WORD $0x6e3cdd4a // fmul v10.4s, v10.4s, v28.4s
	WORD $0x6e3cdd6b // fmul v11.4s, v11.4s, v28.4s
	WORD $0x4e3ad54a // fadd v10.4s, v10.4s, v26.4s
	WORD $0x4e3bd56b // fadd v11.4s, v11.4s, v27.4s
	VST1 [V10.S4, V11.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d98c // scvtf v12.4s, v12.4s
	WORD $0x4e21d9ad // scvtf v13.4s, v13.4s
	WORD $0x6e38dd8c // fmul v12.4s, v12.4s, v24.4s
	WORD $0x6e39ddad // fmul v13.4s, v13.4s, v25.4s
	WORD $0x6e3cdd8c // fmul v12.4s, v12.4s, v28.4s
	WORD $0x6e3cddad // fmul v13.4s, v13.4s, v28.4s
	WORD $0x4e3ad58c // fadd v12.4s, v12.4s, v26.4s
	WORD $0x4e3bd5ad // fadd v13.4s, v13.4s, v27.4s
	VST1 [V12.S4, V13.S4], (R11)
	ADD R12, R11, R11
	VLD1R (R13), [V28.S4]
	ADD $4, R13, R13
	WORD $0x4e21d9ce // scvtf v14.4s, v14.4s
	WORD $0x4e21d9ef // scvtf v15.4s, v15.4s
	WORD $0x6e38ddce // fmul v14.4s, v14.4s, v24.4s
	WORD $0x6e39ddef // fmul v15.4s, v15.4s, v25.4s
	WORD $0x6e3cddce // fmul v14.4s, v14.4s, v28.4s
	WORD $0x6e3cddef // fmul v15.4s, v15.4s, v28.4s
	WORD $0x4e3ad5ce // fadd v14.4s, v14.4s, v26.4s
	WORD $0x4e3bd5ef // fadd v15.4s, v15.4s, v27.4s
	VST1 [V14.S4, V15.S4], (R11)
	ADD R12, R11, R11
	RET
