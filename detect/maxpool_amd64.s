//go:build !noasm

#include "textflag.h"

// func maxIntoAVX2(col, r []float32)
//
// col[i] = max(col[i], r[i]) bit for bit as Go's max compiles on amd64 (the
// same instructions, eight lanes at a time): with a = col[i], b = r[i] and S
// the sign bit, na = a^S, nb = b^S, m1 = na < nb ? na : nb (MINPS),
// m2 = m1 < na ? m1 : na (MINPS), max = (m1 | m2) ^ S. len(col) is a
// positive multiple of 8 and len(r) at least as long (the Go caller checks).
//
// Register plan: DI col, SI r, CX values left, Y7 the sign bit in every
// lane, Y0/Y1 na and nb, Y2 m1, Y3 m2 (then the result).
// Loop: 8 values per iteration.
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-48
	MOVQ col_base+0(FP), DI
	MOVQ col_len+8(FP), CX
	MOVQ r_base+24(FP), SI
	VPCMPEQD Y7, Y7, Y7
	VPSLLD $31, Y7, Y7

maxloop:
	VXORPS (DI), Y7, Y0  // na
	VXORPS (SI), Y7, Y1  // nb
	VMINPS Y1, Y0, Y2    // m1 = na < nb ? na : nb
	VMINPS Y0, Y2, Y3    // m2 = m1 < na ? m1 : na
	VORPS  Y2, Y3, Y3
	VXORPS Y7, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  maxloop

	VZEROUPPER
	RET
