//go:build !noasm

#include "textflag.h"

// WINO_ROW computes the column transform of one patch row for 8 tiles: with
// E at base and O at base + R10 (the row's even and odd columns, tile t's
// columns 0, 2 at E[t], E[t+1] and 1, 3 at O[t], O[t+1]):
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
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ rs+24(FP), R9
	MOVQ pw+32(FP), R10
	MOVQ n+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R8)(R8*1), R13
	SHLQ $1, R13

winoinloop:
	LEAQ (SI)(R9*1), AX
	LEAQ (AX)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	WINO_ROW(SI, Y0, Y1, Y2, Y3)
	WINO_ROW(R11, Y4, Y5, Y6, Y7)
	MOVQ DI, DX
	VSUBPS  Y4, Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    R8, DX
	VSUBPS  Y5, Y1, Y1
	VMOVUPS Y1, (DX)
	ADDQ    R8, DX
	VSUBPS  Y6, Y2, Y2
	VMOVUPS Y2, (DX)
	ADDQ    R8, DX
	VSUBPS  Y7, Y3, Y3
	VMOVUPS Y3, (DX)
	ADDQ    R8, DX
	LEAQ    (DX)(R13*1), R14

	WINO_ROW(AX, Y0, Y1, Y2, Y3)
	VADDPS  Y4, Y0, Y8
	VSUBPS  Y0, Y4, Y4
	VMOVUPS Y8, (DX)
	VMOVUPS Y4, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Y5, Y1, Y8
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y8, (DX)
	VMOVUPS Y5, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Y6, Y2, Y8
	VSUBPS  Y2, Y6, Y6
	VMOVUPS Y8, (DX)
	VMOVUPS Y6, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Y7, Y3, Y8
	VSUBPS  Y3, Y7, Y7
	VMOVUPS Y8, (DX)
	VMOVUPS Y7, (R14)
	ADDQ    R8, R14

	WINO_ROW(R12, Y4, Y5, Y6, Y7)
	VSUBPS  Y4, Y0, Y0
	VMOVUPS Y0, (R14)
	ADDQ    R8, R14
	VSUBPS  Y5, Y1, Y1
	VMOVUPS Y1, (R14)
	ADDQ    R8, R14
	VSUBPS  Y6, Y2, Y2
	VMOVUPS Y2, (R14)
	ADDQ    R8, R14
	VSUBPS  Y7, Y3, Y3
	VMOVUPS Y3, (R14)

	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  winoinloop

	VZEROUPPER
	RET

// WINO_COL sums one column j of 8 tiles' 4x4 products at DX (value 4*i+j
// at DX + i*R13, R13 = 4*ss bytes, R12 = 12*ss bytes):
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
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ ss+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSS bias+40(FP), Y15
	SHLQ $2, R8
	LEAQ (DI)(BX*4), BX
	LEAQ (R8)(R8*1), R13
	SHLQ $1, R13
	LEAQ (R13)(R13*2), R12

winooutloop:
	MOVQ SI, DX
	WINO_COL(Y0, Y4)
	WINO_COL(Y1, Y5)
	WINO_COL(Y2, Y6)
	WINO_COL(Y3, Y7)
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VADDPS Y15, Y8, Y8
	VSUBPS Y2, Y1, Y9
	VSUBPS Y3, Y9, Y9
	VADDPS Y15, Y9, Y9
	VADDPS Y5, Y4, Y10
	VADDPS Y6, Y10, Y10
	VADDPS Y15, Y10, Y10
	VSUBPS Y6, Y5, Y11
	VSUBPS Y7, Y11, Y11
	VADDPS Y15, Y11, Y11
	WINO_STORE(Y8, Y9, DI)
	WINO_STORE(Y10, Y11, BX)

	ADDQ $32, SI
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $8, CX
	JNZ  winooutloop

	VZEROUPPER
	RET

// AVX-512: the same transforms on 16 tiles per step (Z registers), the same
// operations in the same order.

// WINO_ROW512 is WINO_ROW on 16 tiles.
#define WINO_ROW512(base, r0, r1, r2, r3) \
	VMOVUPS (base), r0; \
	VSUBPS  4(base), r0, r0; \
	VMOVUPS 4(base), r2; \
	VMOVUPS (base)(R10*1), r3; \
	VADDPS  r2, r3, r1; \
	VSUBPS  r3, r2, r2; \
	VSUBPS  4(base)(R10*1), r3, r3

// func winoInAVX512(dst *float32, ds int, src *float32, rs, pw, n int)
//
// winoInAVX2's register plan and order with Z0-Z8 for Y0-Y8 and 16 tiles
// per step (n a positive multiple of 16).
TEXT ·winoInAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ rs+24(FP), R9
	MOVQ pw+32(FP), R10
	MOVQ n+40(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R8)(R8*1), R13
	SHLQ $1, R13

winoin512loop:
	LEAQ (SI)(R9*1), AX
	LEAQ (AX)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	WINO_ROW512(SI, Z0, Z1, Z2, Z3)
	WINO_ROW512(R11, Z4, Z5, Z6, Z7)
	MOVQ DI, DX
	VSUBPS  Z4, Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ    R8, DX
	VSUBPS  Z5, Z1, Z1
	VMOVUPS Z1, (DX)
	ADDQ    R8, DX
	VSUBPS  Z6, Z2, Z2
	VMOVUPS Z2, (DX)
	ADDQ    R8, DX
	VSUBPS  Z7, Z3, Z3
	VMOVUPS Z3, (DX)
	ADDQ    R8, DX
	LEAQ    (DX)(R13*1), R14

	WINO_ROW512(AX, Z0, Z1, Z2, Z3)
	VADDPS  Z4, Z0, Z8
	VSUBPS  Z0, Z4, Z4
	VMOVUPS Z8, (DX)
	VMOVUPS Z4, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Z5, Z1, Z8
	VSUBPS  Z1, Z5, Z5
	VMOVUPS Z8, (DX)
	VMOVUPS Z5, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Z6, Z2, Z8
	VSUBPS  Z2, Z6, Z6
	VMOVUPS Z8, (DX)
	VMOVUPS Z6, (R14)
	ADDQ    R8, DX
	ADDQ    R8, R14
	VADDPS  Z7, Z3, Z8
	VSUBPS  Z3, Z7, Z7
	VMOVUPS Z8, (DX)
	VMOVUPS Z7, (R14)
	ADDQ    R8, R14

	WINO_ROW512(R12, Z4, Z5, Z6, Z7)
	VSUBPS  Z4, Z0, Z0
	VMOVUPS Z0, (R14)
	ADDQ    R8, R14
	VSUBPS  Z5, Z1, Z1
	VMOVUPS Z1, (R14)
	ADDQ    R8, R14
	VSUBPS  Z6, Z2, Z2
	VMOVUPS Z2, (R14)
	ADDQ    R8, R14
	VSUBPS  Z7, Z3, Z3
	VMOVUPS Z3, (R14)

	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  winoin512loop

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

// WINO_COL512 is WINO_COL on 16 tiles.
#define WINO_COL512(s0, s1) \
	VMOVUPS (DX), s0; \
	VADDPS  (DX)(R13*1), s0, s0; \
	VMOVUPS (DX)(R13*1), s1; \
	VADDPS  (DX)(R13*2), s0, s0; \
	VSUBPS  (DX)(R13*2), s1, s1; \
	VSUBPS  (DX)(R12*1), s1, s1; \
	ADDQ    R8, DX

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

// func winoOutAVX512(dst *float32, ldd int, src *float32, ss, n int, bias float32)
//
// winoOutAVX2's register plan and order with Z0-Z11 for Y0-Y11, 16 tiles
// per step (n a positive multiple of 16), Z12-Z13 the interleaved halves,
// Z15 the bias, Z16-Z17 the interleaving indices.
TEXT ·winoOutAVX512(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ ss+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSS bias+40(FP), Z15
	VMOVUPS winoIdx<>+0(SB), Z16
	VMOVUPS winoIdx<>+64(SB), Z17
	SHLQ $2, R8
	LEAQ (DI)(BX*4), BX
	LEAQ (R8)(R8*1), R13
	SHLQ $1, R13
	LEAQ (R13)(R13*2), R12

winoout512loop:
	MOVQ SI, DX
	WINO_COL512(Z0, Z4)
	WINO_COL512(Z1, Z5)
	WINO_COL512(Z2, Z6)
	WINO_COL512(Z3, Z7)
	VADDPS Z1, Z0, Z8
	VADDPS Z2, Z8, Z8
	VADDPS Z15, Z8, Z8
	VSUBPS Z2, Z1, Z9
	VSUBPS Z3, Z9, Z9
	VADDPS Z15, Z9, Z9
	VADDPS Z5, Z4, Z10
	VADDPS Z6, Z10, Z10
	VADDPS Z15, Z10, Z10
	VSUBPS Z6, Z5, Z11
	VSUBPS Z7, Z11, Z11
	VADDPS Z15, Z11, Z11
	WINO_STORE512(Z8, Z9, DI)
	WINO_STORE512(Z10, Z11, BX)

	ADDQ $64, SI
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $16, CX
	JNZ  winoout512loop

	VZEROUPPER
	RET
