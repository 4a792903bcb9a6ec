//go:build !noasm

#include "textflag.h"

// func deformGatherAVX2(dst, src []float32, offs []int, ws []float32)
//
// dst[c] += ws[t] * src[offs[t]+c] for every c < len(dst) and tap t <
// len(offs), taps in order; len(dst) a positive multiple of 8, len(ws) =
// len(offs), every offs[t]+len(dst) <= len(src) (the Go caller checks).
// Each product is rounded, then added (VMULPS, VADDPS: no fused
// multiply-add), so the result is bit-identical to deformGatherGeneric.
//
// Register plan:
//	DI  dst at the current block of channels, CX channels left (multiple of 8)
//	SI  src advanced by the same channel offset as DI
//	R8  offs, R9 ws, R10 number of taps, R11 tap index t
//	AX  offs[t], DX &src[offs[t] + c]
//	Y0..Y3  accumulators (32 channels), Y4 ws[t] broadcast, Y5..Y8 products
//
// Loop: blocks of 32 channels (4 accumulators loaded from dst, every tap
// added, stored back), then blocks of 8 with one accumulator.
TEXT ·deformGatherAVX2(SB), NOSPLIT, $0-96
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), R8
	MOVQ offs_len+56(FP), R10
	MOVQ ws_base+72(FP), R9

block32:
	CMPQ CX, $32
	JLT  block8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	XORQ R11, R11

tap32:
	CMPQ R11, R10
	JGE  store32
	MOVQ (R8)(R11*8), AX
	LEAQ (SI)(AX*4), DX
	VBROADCASTSS (R9)(R11*4), Y4
	VMULPS (DX), Y4, Y5
	VMULPS 32(DX), Y4, Y6
	VMULPS 64(DX), Y4, Y7
	VMULPS 96(DX), Y4, Y8
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y1, Y1
	VADDPS Y7, Y2, Y2
	VADDPS Y8, Y3, Y3
	INCQ R11
	JMP  tap32

store32:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  block32

block8:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (DI), Y0
	XORQ R11, R11

tap8:
	CMPQ R11, R10
	JGE  store8
	MOVQ (R8)(R11*8), AX
	LEAQ (SI)(AX*4), DX
	VBROADCASTSS (R9)(R11*4), Y4
	VMULPS (DX), Y4, Y5
	VADDPS Y5, Y0, Y0
	INCQ R11
	JMP  tap8

store8:
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  block8

done:
	VZEROUPPER
	RET
