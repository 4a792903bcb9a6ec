//go:build !noasm

#include "textflag.h"

// REDUCE_SUMS adds the 16 float64 partial sums in Y0..Y3 into the low lane
// of X0: the four vectors pairwise, then the halves, then the two lanes.
#define REDUCE_SUMS \
	VADDPD Y1, Y0, Y0; \
	VADDPD Y3, Y2, Y2; \
	VADDPD Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPD X1, X0, X0; \
	VUNPCKHPD X0, X0, X1; \
	VADDSD X1, X0, X0

// func layerNormAVX2(y, x, gamma, beta []float32, eps float32) (mean, rstd float32)
//
// One row of LayerNorm with float64 arithmetic, as the pure-Go loop in
// norm.go: mu = sum(x)/n, q = sum((x-mu)^2), rs = 1/sqrt(q/n + eps),
// y = float32(((x-mu)*rs)*gamma + beta), every product rounded before it is
// added (no fused multiply-adds), so only the order of the two sums differs
// from the Go form (16 partial sums here, 4 there).
//
// Register plan:
//	SI x, DI y, R8 gamma, R9 beta, DX n, CX elements left, R10 x cursor
//	Y0..Y3 float64 partial sums (4 lanes each); Y4..Y7 converted values
//	X8/Y8 mu (broadcast), X9/Y9 rs (broadcast), X10..X12 scalars
//
// Each pass runs 16 values a step (4 x VCVTPS2PD), then 4 a step, then one
// at a time after the vector sums are reduced to a scalar (scalar VEX ops
// clear the upper lanes of their destination).
TEXT ·layerNormAVX2(SB), NOSPLIT, $0-112
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), DX
	MOVQ gamma_base+48(FP), R8
	MOVQ beta_base+72(FP), R9

	// Pass 1: sum.
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ DX, CX

sum16:
	CMPQ CX, $16
	JLT  sum4
	VCVTPS2PD (R10), Y4
	VCVTPS2PD 16(R10), Y5
	VCVTPS2PD 32(R10), Y6
	VCVTPS2PD 48(R10), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  sum16

sum4:
	CMPQ CX, $4
	JLT  sumred
	VCVTPS2PD (R10), Y4
	VADDPD Y4, Y0, Y0
	ADDQ $16, R10
	SUBQ $4, CX
	JMP  sum4

sumred:
	REDUCE_SUMS

sum1:
	TESTQ CX, CX
	JZ    mean
	VCVTSS2SD (R10), X4, X4
	VADDSD X4, X0, X0
	ADDQ $4, R10
	DECQ CX
	JMP  sum1

mean:
	VCVTSI2SDQ DX, X10, X10 // n
	VDIVSD X10, X0, X8      // mu = sum / n
	VBROADCASTSD X8, Y8

	// Pass 2: sum of squared deviations.
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, R10
	MOVQ DX, CX

sq16:
	CMPQ CX, $16
	JLT  sq4
	VCVTPS2PD (R10), Y4
	VCVTPS2PD 16(R10), Y5
	VCVTPS2PD 32(R10), Y6
	VCVTPS2PD 48(R10), Y7
	VSUBPD Y8, Y4, Y4
	VSUBPD Y8, Y5, Y5
	VSUBPD Y8, Y6, Y6
	VSUBPD Y8, Y7, Y7
	VMULPD Y4, Y4, Y4
	VMULPD Y5, Y5, Y5
	VMULPD Y6, Y6, Y6
	VMULPD Y7, Y7, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  sq16

sq4:
	CMPQ CX, $4
	JLT  sqred
	VCVTPS2PD (R10), Y4
	VSUBPD Y8, Y4, Y4
	VMULPD Y4, Y4, Y4
	VADDPD Y4, Y0, Y0
	ADDQ $16, R10
	SUBQ $4, CX
	JMP  sq4

sqred:
	REDUCE_SUMS

sq1:
	TESTQ CX, CX
	JZ    rstd
	VCVTSS2SD (R10), X4, X4
	VSUBSD X8, X4, X4
	VMULSD X4, X4, X4
	VADDSD X4, X0, X0
	ADDQ $4, R10
	DECQ CX
	JMP  sq1

rstd:
	VDIVSD X10, X0, X0             // q / n
	VCVTSS2SD eps+96(FP), X11, X11
	VADDSD X11, X0, X0
	VSQRTSD X0, X0, X0
	MOVQ $0x3ff0000000000000, AX   // 1.0
	VMOVQ AX, X11
	VDIVSD X0, X11, X9             // rs = 1 / sqrt(q/n + eps)
	VBROADCASTSD X9, Y9

	// Pass 3: y = float32(((x - mu) * rs) * gamma + beta).
	MOVQ DX, CX

out4:
	CMPQ CX, $4
	JLT  out1
	VCVTPS2PD (SI), Y4
	VSUBPD Y8, Y4, Y4
	VMULPD Y9, Y4, Y4
	VCVTPS2PD (R8), Y5
	VMULPD Y5, Y4, Y4
	VCVTPS2PD (R9), Y5
	VADDPD Y5, Y4, Y4
	VCVTPD2PSY Y4, X4
	VMOVUPS X4, (DI)
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $16, R9
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  out4

out1:
	TESTQ CX, CX
	JZ    done
	VCVTSS2SD (SI), X4, X4
	VSUBSD X8, X4, X4
	VMULSD X9, X4, X4
	VCVTSS2SD (R8), X5, X5
	VMULSD X5, X4, X4
	VCVTSS2SD (R9), X5, X5
	VADDSD X5, X4, X4
	VCVTSD2SS X4, X4, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, DI
	DECQ CX
	JMP  out1

done:
	VCVTSD2SS X8, X8, X8
	VMOVSS X8, mean+104(FP)
	VCVTSD2SS X9, X9, X9
	VMOVSS X9, rstd+108(FP)
	VZEROUPPER
	RET
