//go:build !noasm

#include "textflag.h"

// The Winograd F(2x2, 3x3) transforms (winograd.go), in AVX2 (8 tiles per
// step, Y registers) and AVX-512 (16 tiles per step, Z registers). Both
// widths expand the same macros with their own registers: the same
// operations in the same order as winoInGeneric and winoOutTile.

// WINO_ROW computes the column transform of one patch row for a vector of
// tiles: with E at base and O at base + R10 (the row's even and odd
// columns, tile t's columns 0, 2 at E[t], E[t+1] and 1, 3 at O[t], O[t+1]):
//	r0 = E[t] - E[t+1], r1 = O[t] + E[t+1], r2 = E[t+1] - O[t],
//	r3 = O[t] - O[t+1]
// (winoInGeneric's e[i][0..3], with its operand order).
#define WINO_ROW(base, r0, r1, r2, r3) \
	VMOVUPS (base), r0; \
	VSUBPS  4(base), r0, r0; \
	VMOVUPS 4(base), r2; \
	VMOVUPS (base)(R10*1), r3; \
	VADDPS  r2, r3, r1; \
	VSUBPS  r3, r2, r2; \
	VSUBPS  4(base)(R10*1), r3, r3

// WINO_STORE_NEXT stores v at DX and moves DX to the next value (R8 on).
#define WINO_STORE_NEXT(v) \
	VMOVUPS v, (DX); \
	ADDQ    R8, DX

// WINO_IN_STEP transforms one vector of tiles (see winoInAVX2), with
// vector registers a0-a3 (rows 0, then 1), b0-b3 (rows 2, then 3) and t.
#define WINO_IN_STEP(a0, a1, a2, a3, b0, b1, b2, b3, t) \
	LEAQ (SI)(R9*1), AX; \
	LEAQ (AX)(R9*1), R11; \
	LEAQ (R11)(R9*1), R12; \
	WINO_ROW(SI, a0, a1, a2, a3); \
	WINO_ROW(R11, b0, b1, b2, b3); \
	MOVQ DI, DX; \
	VSUBPS b0, a0, a0; \
	WINO_STORE_NEXT(a0); \
	VSUBPS b1, a1, a1; \
	WINO_STORE_NEXT(a1); \
	VSUBPS b2, a2, a2; \
	WINO_STORE_NEXT(a2); \
	VSUBPS b3, a3, a3; \
	WINO_STORE_NEXT(a3); \
	LEAQ (DX)(R13*1), R14; \
	WINO_ROW(AX, a0, a1, a2, a3); \
	WINO_SUM_DIFF(a0, b0, t); \
	WINO_SUM_DIFF(a1, b1, t); \
	WINO_SUM_DIFF(a2, b2, t); \
	WINO_SUM_DIFF(a3, b3, t); \
	MOVQ R14, DX; \
	WINO_ROW(R12, b0, b1, b2, b3); \
	VSUBPS b0, a0, a0; \
	WINO_STORE_NEXT(a0); \
	VSUBPS b1, a1, a1; \
	WINO_STORE_NEXT(a1); \
	VSUBPS b2, a2, a2; \
	WINO_STORE_NEXT(a2); \
	VSUBPS b3, a3, a3; \
	VMOVUPS a3, (DX)

// WINO_SUM_DIFF stores row 1 + row 2 (a + b) at DX and row 2 - row 1
// (b - a, into b) at R14, and moves both on.
#define WINO_SUM_DIFF(a, b, t) \
	VADDPS  b, a, t; \
	VSUBPS  a, b, b; \
	VMOVUPS t, (DX); \
	VMOVUPS b, (R14); \
	ADDQ    R8, DX; \
	ADDQ    R8, R14

// WINO_IN_PROLOGUE loads winoInAVX2's arguments (see its register plan).
#define WINO_IN_PROLOGUE \
	MOVQ dst+0(FP), DI; \
	MOVQ ds+8(FP), R8; \
	MOVQ src+16(FP), SI; \
	MOVQ rs+24(FP), R9; \
	MOVQ pw+32(FP), R10; \
	MOVQ n+40(FP), CX; \
	SHLQ $2, R8; \
	SHLQ $2, R9; \
	SHLQ $2, R10; \
	LEAQ (R8)(R8*1), R13; \
	SHLQ $1, R13

// WINO_COL sums one column j of a vector of tiles' 4x4 products at DX
// (value 4*i+j at DX + i*R13, R13 = 4*ss bytes, R12 = 12*ss bytes) and
// moves DX to the next column:
//	s0 = m0j + m1j + m2j, s1 = m1j - m2j - m3j
// (winoOutTile's s0[j], s1[j], with its operand order).
#define WINO_COL(s0, s1) \
	VMOVUPS (DX), s0; \
	VADDPS  (DX)(R13*1), s0, s0; \
	VMOVUPS (DX)(R13*1), s1; \
	VADDPS  (DX)(R13*2), s0, s0; \
	VSUBPS  (DX)(R13*2), s1, s1; \
	VSUBPS  (DX)(R12*1), s1, s1; \
	ADDQ    R8, DX

// WINO_OUT_STEP computes one vector of tiles' outputs (see winoOutAVX2):
// s00-s03 and s10-s13 the column sums, y00, y01, y10, y11 the outputs,
// bias the broadcast bias.
#define WINO_OUT_STEP(s00, s01, s02, s03, s10, s11, s12, s13, y00, y01, y10, y11, bias) \
	MOVQ SI, DX; \
	WINO_COL(s00, s10); \
	WINO_COL(s01, s11); \
	WINO_COL(s02, s12); \
	WINO_COL(s03, s13); \
	VADDPS s01, s00, y00; \
	VADDPS s02, y00, y00; \
	VADDPS bias, y00, y00; \
	VSUBPS s02, s01, y01; \
	VSUBPS s03, y01, y01; \
	VADDPS bias, y01, y01; \
	VADDPS s11, s10, y10; \
	VADDPS s12, y10, y10; \
	VADDPS bias, y10, y10; \
	VSUBPS s12, s11, y11; \
	VSUBPS s13, y11, y11; \
	VADDPS bias, y11, y11

// WINO_STORE interleaves a (the even output columns) and b (the odd ones)
// of 8 tiles into 16 consecutive outputs at dst: VUNPCKLPS/VUNPCKHPS pair
// them within each 128-bit half, VPERM2F128 puts the halves in order.
#define WINO_STORE(a, b, dst) \
	VUNPCKLPS  b, a, Y12; \
	VUNPCKHPS  b, a, Y13; \
	VPERM2F128 $0x20, Y13, Y12, Y14; \
	VPERM2F128 $0x31, Y13, Y12, Y12; \
	VMOVUPS    Y14, (dst); \
	VMOVUPS    Y12, 32(dst)

// WINO_OUT_PROLOGUE loads winoOutAVX2's arguments but the bias (see its
// register plan).
#define WINO_OUT_PROLOGUE \
	MOVQ dst+0(FP), DI; \
	MOVQ ldd+8(FP), BX; \
	MOVQ src+16(FP), SI; \
	MOVQ ss+24(FP), R8; \
	MOVQ n+32(FP), CX; \
	SHLQ $2, R8; \
	LEAQ (DI)(BX*4), BX; \
	LEAQ (R8)(R8*1), R13; \
	SHLQ $1, R13; \
	LEAQ (R13)(R13*2), R12

// WINO_STORE512 interleaves a (the even output columns) and b (the odd
// ones) of 16 tiles into 32 consecutive outputs at dst: two VPERMI2PS with
// the index vectors in Z16 and Z17.
#define WINO_STORE512(a, b, dst) \
	VMOVAPS   Z16, Z12; \
	VPERMI2PS b, a, Z12; \
	VMOVAPS   Z17, Z13; \
	VPERMI2PS b, a, Z13; \
	VMOVUPS   Z12, (dst); \
	VMOVUPS   Z13, 64(dst)

// func winoInAVX2(dst *float32, ds int, src *float32, rs, pw, n int)
//
// Register plan:
//	SI row 0 of the patch (its even columns), AX, R11, R12 rows 1 to 3
//	R9 rs, R10 pw, R8 ds (in bytes), R13 4*ds (bytes)
//	DI dst at the current 8 tiles, DX and R14 store pointers
//	CX tiles left (a multiple of 8)
//	Y0-Y3 rows 0 and then 1, Y4-Y7 rows 2 and then 3, Y8 a sum
//
// Per 8 tiles: the column transforms of rows 0 and 2 give values 0-3
// (row 0 minus row 2), those of row 1 values 4-7 (row 1 plus row 2) and
// 8-11 (row 2 minus row 1), those of row 3 values 12-15 (row 1 minus row
// 3); value xi goes to dst + xi*ds.
TEXT ·winoInAVX2(SB), NOSPLIT, $0-48
	WINO_IN_PROLOGUE

winoinloop:
	WINO_IN_STEP(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  winoinloop

	VZEROUPPER
	RET

// func winoInAVX512(dst *float32, ds int, src *float32, rs, pw, n int)
//
// winoInAVX2 with Z0-Z8 for Y0-Y8, 16 tiles per step (n a positive
// multiple of 16).
TEXT ·winoInAVX512(SB), NOSPLIT, $0-48
	WINO_IN_PROLOGUE

winoin512loop:
	WINO_IN_STEP(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  winoin512loop

	VZEROUPPER
	RET

// func winoOutAVX2(dst *float32, ldd int, src *float32, ss, n int, bias float32)
//
// Register plan:
//	SI src at the current 8 tiles, DX the column being summed
//	R8 ss, R13 4*ss, R12 12*ss (in bytes)
//	DI output row 0, BX output row 1 (DI + ldd)
//	CX tiles left (a multiple of 8)
//	Y0-Y3 s0[0..3], Y4-Y7 s1[0..3], Y8-Y11 the four outputs of each tile,
//	Y12-Y14 interleaving, Y15 the bias
//
// y00 = s0[0] + s0[1] + s0[2] + bias, y01 = s0[1] - s0[2] - s0[3] + bias,
// y10, y11 the same from s1, as winoOutTile adds them.
TEXT ·winoOutAVX2(SB), NOSPLIT, $0-44
	WINO_OUT_PROLOGUE
	VBROADCASTSS bias+40(FP), Y15

winooutloop:
	WINO_OUT_STEP(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y15)
	WINO_STORE(Y8, Y9, DI)
	WINO_STORE(Y10, Y11, BX)
	ADDQ $32, SI
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $8, CX
	JNZ  winooutloop

	VZEROUPPER
	RET

// winoIdx: VPERMI2PS indices interleaving two vectors a (0-15) and b
// (16-31): a0 b0 ... a7 b7, then a8 b8 ... a15 b15.
DATA winoIdx<>+0(SB)/4, $0
DATA winoIdx<>+4(SB)/4, $16
DATA winoIdx<>+8(SB)/4, $1
DATA winoIdx<>+12(SB)/4, $17
DATA winoIdx<>+16(SB)/4, $2
DATA winoIdx<>+20(SB)/4, $18
DATA winoIdx<>+24(SB)/4, $3
DATA winoIdx<>+28(SB)/4, $19
DATA winoIdx<>+32(SB)/4, $4
DATA winoIdx<>+36(SB)/4, $20
DATA winoIdx<>+40(SB)/4, $5
DATA winoIdx<>+44(SB)/4, $21
DATA winoIdx<>+48(SB)/4, $6
DATA winoIdx<>+52(SB)/4, $22
DATA winoIdx<>+56(SB)/4, $7
DATA winoIdx<>+60(SB)/4, $23
DATA winoIdx<>+64(SB)/4, $8
DATA winoIdx<>+68(SB)/4, $24
DATA winoIdx<>+72(SB)/4, $9
DATA winoIdx<>+76(SB)/4, $25
DATA winoIdx<>+80(SB)/4, $10
DATA winoIdx<>+84(SB)/4, $26
DATA winoIdx<>+88(SB)/4, $11
DATA winoIdx<>+92(SB)/4, $27
DATA winoIdx<>+96(SB)/4, $12
DATA winoIdx<>+100(SB)/4, $28
DATA winoIdx<>+104(SB)/4, $13
DATA winoIdx<>+108(SB)/4, $29
DATA winoIdx<>+112(SB)/4, $14
DATA winoIdx<>+116(SB)/4, $30
DATA winoIdx<>+120(SB)/4, $15
DATA winoIdx<>+124(SB)/4, $31
GLOBL winoIdx<>(SB), RODATA|NOPTR, $128

// func winoOutAVX512(dst *float32, ldd int, src *float32, ss, n int, bias float32)
//
// winoOutAVX2 with Z0-Z11 for Y0-Y11, 16 tiles per step (n a positive
// multiple of 16), Z12-Z13 the interleaved halves, Z15 the bias, Z16-Z17
// the interleaving indices.
TEXT ·winoOutAVX512(SB), NOSPLIT, $0-44
	WINO_OUT_PROLOGUE
	VBROADCASTSS bias+40(FP), Z15
	VMOVUPS winoIdx<>+0(SB), Z16
	VMOVUPS winoIdx<>+64(SB), Z17

winoout512loop:
	WINO_OUT_STEP(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z15)
	WINO_STORE512(Z8, Z9, DI)
	WINO_STORE512(Z10, Z11, BX)
	ADDQ $64, SI
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $16, CX
	JNZ  winoout512loop

	VZEROUPPER
	RET
