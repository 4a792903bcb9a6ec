//go:build !noasm

#include "textflag.h"

// SGEMM micro-kernel for arm64 (NEON), MR=8, NR=12, on a packed A panel (kc
// groups of 8 values) and a packed B panel (kc rows of 12 values):
//
//	acc[i][j] = sum_{p<kc} a[p*8+i] * b[p*12+j]
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j]      (c not read if beta == 0)
//
// Register plan:
//	V0..V23   accumulators; row i of the tile is V(3i), V(3i+1), V(3i+2)
//	          (columns 0-3, 4-7, 8-11): consecutive, so one VST1 stores a row
//	V24, V25  A[p][0..3], A[p][4..7]
//	V26..V28  B row p (12 values)
//	V29       alpha in lane 0; V30 beta in lane 0 (epilogue)
//	R0 kc, R1 a, R2 b, R3 c, R4 ldc in bytes, R5 scratch
//
// Loop: one k step per iteration: two post-incremented loads (A, B), then 24
// FMLA-by-element (acc row i += B row * A[i]); 24 independent accumulators
// cover the FMA latency. The epilogue multiplies by alpha (FMUL by element),
// adds beta*C with FMLA by element when beta != 0, and stores 8 rows.
//
// Go's assembler has no by-element forms of FMLA and FMUL, so they are
// WORD-encoded; each WORD's comment gives the instruction (checked with
// objdump).

// func sgemm8x12NEON(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm8x12NEON(SB), NOSPLIT, $0-64
	MOVD kc+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+32(FP), R2
	MOVD c+40(FP), R3
	MOVD ldc+48(FP), R4
	LSL  $2, R4, R4

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
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

neon_loop:
	VLD1.P 32(R1), [V24.S4, V25.S4]
	VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]
	WORD $0x4f981340 // FMLA V0.4S, V26.4S, V24.S[0]
	WORD $0x4f981361 // FMLA V1.4S, V27.4S, V24.S[0]
	WORD $0x4f981382 // FMLA V2.4S, V28.4S, V24.S[0]
	WORD $0x4fb81343 // FMLA V3.4S, V26.4S, V24.S[1]
	WORD $0x4fb81364 // FMLA V4.4S, V27.4S, V24.S[1]
	WORD $0x4fb81385 // FMLA V5.4S, V28.4S, V24.S[1]
	WORD $0x4f981b46 // FMLA V6.4S, V26.4S, V24.S[2]
	WORD $0x4f981b67 // FMLA V7.4S, V27.4S, V24.S[2]
	WORD $0x4f981b88 // FMLA V8.4S, V28.4S, V24.S[2]
	WORD $0x4fb81b49 // FMLA V9.4S, V26.4S, V24.S[3]
	WORD $0x4fb81b6a // FMLA V10.4S, V27.4S, V24.S[3]
	WORD $0x4fb81b8b // FMLA V11.4S, V28.4S, V24.S[3]
	WORD $0x4f99134c // FMLA V12.4S, V26.4S, V25.S[0]
	WORD $0x4f99136d // FMLA V13.4S, V27.4S, V25.S[0]
	WORD $0x4f99138e // FMLA V14.4S, V28.4S, V25.S[0]
	WORD $0x4fb9134f // FMLA V15.4S, V26.4S, V25.S[1]
	WORD $0x4fb91370 // FMLA V16.4S, V27.4S, V25.S[1]
	WORD $0x4fb91391 // FMLA V17.4S, V28.4S, V25.S[1]
	WORD $0x4f991b52 // FMLA V18.4S, V26.4S, V25.S[2]
	WORD $0x4f991b73 // FMLA V19.4S, V27.4S, V25.S[2]
	WORD $0x4f991b94 // FMLA V20.4S, V28.4S, V25.S[2]
	WORD $0x4fb91b55 // FMLA V21.4S, V26.4S, V25.S[3]
	WORD $0x4fb91b76 // FMLA V22.4S, V27.4S, V25.S[3]
	WORD $0x4fb91b97 // FMLA V23.4S, V28.4S, V25.S[3]
	SUBS $1, R0, R0
	BNE  neon_loop

	FMOVS alpha+56(FP), F29
	WORD $0x4f9d9000 // FMUL V0.4S, V0.4S, V29.S[0]
	WORD $0x4f9d9021 // FMUL V1.4S, V1.4S, V29.S[0]
	WORD $0x4f9d9042 // FMUL V2.4S, V2.4S, V29.S[0]
	WORD $0x4f9d9063 // FMUL V3.4S, V3.4S, V29.S[0]
	WORD $0x4f9d9084 // FMUL V4.4S, V4.4S, V29.S[0]
	WORD $0x4f9d90a5 // FMUL V5.4S, V5.4S, V29.S[0]
	WORD $0x4f9d90c6 // FMUL V6.4S, V6.4S, V29.S[0]
	WORD $0x4f9d90e7 // FMUL V7.4S, V7.4S, V29.S[0]
	WORD $0x4f9d9108 // FMUL V8.4S, V8.4S, V29.S[0]
	WORD $0x4f9d9129 // FMUL V9.4S, V9.4S, V29.S[0]
	WORD $0x4f9d914a // FMUL V10.4S, V10.4S, V29.S[0]
	WORD $0x4f9d916b // FMUL V11.4S, V11.4S, V29.S[0]
	WORD $0x4f9d918c // FMUL V12.4S, V12.4S, V29.S[0]
	WORD $0x4f9d91ad // FMUL V13.4S, V13.4S, V29.S[0]
	WORD $0x4f9d91ce // FMUL V14.4S, V14.4S, V29.S[0]
	WORD $0x4f9d91ef // FMUL V15.4S, V15.4S, V29.S[0]
	WORD $0x4f9d9210 // FMUL V16.4S, V16.4S, V29.S[0]
	WORD $0x4f9d9231 // FMUL V17.4S, V17.4S, V29.S[0]
	WORD $0x4f9d9252 // FMUL V18.4S, V18.4S, V29.S[0]
	WORD $0x4f9d9273 // FMUL V19.4S, V19.4S, V29.S[0]
	WORD $0x4f9d9294 // FMUL V20.4S, V20.4S, V29.S[0]
	WORD $0x4f9d92b5 // FMUL V21.4S, V21.4S, V29.S[0]
	WORD $0x4f9d92d6 // FMUL V22.4S, V22.4S, V29.S[0]
	WORD $0x4f9d92f7 // FMUL V23.4S, V23.4S, V29.S[0]

	MOVWU beta+60(FP), R5
	ANDW  $0x7fffffff, R5, R5
	CBZW  R5, neon_store
	FMOVS beta+60(FP), F30
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1300 // FMLA V0.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1321 // FMLA V1.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1342 // FMLA V2.4S, V26.4S, V30.S[0]
	VST1 [V0.S4, V1.S4, V2.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1303 // FMLA V3.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1324 // FMLA V4.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1345 // FMLA V5.4S, V26.4S, V30.S[0]
	VST1 [V3.S4, V4.S4, V5.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1306 // FMLA V6.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1327 // FMLA V7.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1348 // FMLA V8.4S, V26.4S, V30.S[0]
	VST1 [V6.S4, V7.S4, V8.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1309 // FMLA V9.4S, V24.4S, V30.S[0]
	WORD $0x4f9e132a // FMLA V10.4S, V25.4S, V30.S[0]
	WORD $0x4f9e134b // FMLA V11.4S, V26.4S, V30.S[0]
	VST1 [V9.S4, V10.S4, V11.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e130c // FMLA V12.4S, V24.4S, V30.S[0]
	WORD $0x4f9e132d // FMLA V13.4S, V25.4S, V30.S[0]
	WORD $0x4f9e134e // FMLA V14.4S, V26.4S, V30.S[0]
	VST1 [V12.S4, V13.S4, V14.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e130f // FMLA V15.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1330 // FMLA V16.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1351 // FMLA V17.4S, V26.4S, V30.S[0]
	VST1 [V15.S4, V16.S4, V17.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1312 // FMLA V18.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1333 // FMLA V19.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1354 // FMLA V20.4S, V26.4S, V30.S[0]
	VST1 [V18.S4, V19.S4, V20.S4], (R3)
	ADD  R4, R3, R3
	VLD1 (R3), [V24.S4, V25.S4, V26.S4]
	WORD $0x4f9e1315 // FMLA V21.4S, V24.4S, V30.S[0]
	WORD $0x4f9e1336 // FMLA V22.4S, V25.4S, V30.S[0]
	WORD $0x4f9e1357 // FMLA V23.4S, V26.4S, V30.S[0]
	VST1 [V21.S4, V22.S4, V23.S4], (R3)
	ADD  R4, R3, R3
	RET

neon_store:
	VST1 [V0.S4, V1.S4, V2.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V3.S4, V4.S4, V5.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V6.S4, V7.S4, V8.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V9.S4, V10.S4, V11.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V12.S4, V13.S4, V14.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V15.S4, V16.S4, V17.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V18.S4, V19.S4, V20.S4], (R3)
	ADD  R4, R3, R3
	VST1 [V21.S4, V22.S4, V23.S4], (R3)
	ADD  R4, R3, R3
	RET
