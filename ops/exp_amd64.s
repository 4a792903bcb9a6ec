//go:build !noasm

#include "textflag.h"

// Byte offsets into ·expTab (see exp_generic.go).
#define EXP_LO    0
#define EXP_HI    4
#define EXP_LOG2E 8
#define EXP_C1    12
#define EXP_C2    16
#define EXP_P0    20
#define EXP_P1    24
#define EXP_P2    28
#define EXP_P3    32
#define EXP_P4    36
#define EXP_P5    40
#define EXP_ONE   44

// Byte offsets into ·geluVec (see exp_amd64.go): 32 bytes per constant.
#define GV_RSQRT2 0
#define GV_ABS    32
#define GV_CUT    64
#define GV_ONE    96
#define GV_TWO    128
#define GV_HALF   160
#define GV_LOG2E  192
#define GV_C1     224
#define GV_C2     256
#define GV_127    288
#define GV_S0     320
#define GV_L0     544
#define GV_P0     864

// Byte offsets into ·erfTab.
#define ERF_RSQRT2 0
#define ERF_HALF   4
#define ERF_ONE    8
#define ERF_TWO    12
#define ERF_CUT    16
#define ERF_S0     20
#define ERF_L0     48

// func expAffineAVX2(dst, src []float32, a, b float32) float32
//
// Register plan:
//	DI dst, SI src, CX elements left (a multiple of 8)
//	Y0 a, Y1 b, Y2 running sum (8 lanes)
//	Y3 lo clamp, Y4 hi clamp, Y5 log2(e), Y6 C1, Y7 C2, Y8 1.0, Y9 127 (int32)
//	Y10 x then r, Y11 x*log2e then n (float), Y12 n (int32) then n2,
//	Y13 polynomial p, Y14 coefficient then n1
//
// One loop iteration handles 8 elements: x = a*src+b, clamp (NaN passes:
// it is the second operand of VMAXPS/VMINPS), n = round(x*log2e), r = x -
// n*C1 - n*C2, p = Horner(P, r)*r*r + r + 1 (all fused), dst = p * 2^(n>>1)
// * 2^(n-(n>>1)), sum += dst. The 8 lane sums are added pairwise at the end.
TEXT ·expAffineAVX2(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dst_len+8(FP), CX
	VXORPS Y2, Y2, Y2
	TESTQ CX, CX
	JZ   expavx2_done
	VBROADCASTSS a+48(FP), Y0
	VBROADCASTSS b+52(FP), Y1
	VBROADCASTSS ·expTab+EXP_LO(SB), Y3
	VBROADCASTSS ·expTab+EXP_HI(SB), Y4
	VBROADCASTSS ·expTab+EXP_LOG2E(SB), Y5
	VBROADCASTSS ·expTab+EXP_C1(SB), Y6
	VBROADCASTSS ·expTab+EXP_C2(SB), Y7
	VBROADCASTSS ·expTab+EXP_ONE(SB), Y8
	MOVL $127, AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9

expavx2_loop:
	VMOVUPS (SI), Y10
	VFMADD213PS Y1, Y0, Y10 // x = a*x + b
	VMAXPS Y10, Y3, Y10     // x = max(lo, x), NaN stays
	VMINPS Y10, Y4, Y10     // x = min(hi, x), NaN stays
	VMULPS Y5, Y10, Y11     // x*log2e
	VCVTPS2DQ Y11, Y12      // n, rounded to nearest even
	VCVTDQ2PS Y12, Y11
	VFNMADD231PS Y6, Y11, Y10 // r = x - n*C1
	VFNMADD231PS Y7, Y11, Y10 // r -= n*C2
	VBROADCASTSS ·expTab+EXP_P0(SB), Y13
	VBROADCASTSS ·expTab+EXP_P1(SB), Y14
	VFMADD213PS Y14, Y10, Y13
	VBROADCASTSS ·expTab+EXP_P2(SB), Y14
	VFMADD213PS Y14, Y10, Y13
	VBROADCASTSS ·expTab+EXP_P3(SB), Y14
	VFMADD213PS Y14, Y10, Y13
	VBROADCASTSS ·expTab+EXP_P4(SB), Y14
	VFMADD213PS Y14, Y10, Y13
	VBROADCASTSS ·expTab+EXP_P5(SB), Y14
	VFMADD213PS Y14, Y10, Y13
	VFMADD213PS Y8, Y10, Y13 // p = p*r + 1
	VFMADD213PS Y8, Y10, Y13 // p = p*r + 1
	VPSRAD $1, Y12, Y14      // n1 = n >> 1
	VPSUBD Y14, Y12, Y12     // n2 = n - n1
	VPADDD Y9, Y14, Y14
	VPADDD Y9, Y12, Y12
	VPSLLD $23, Y14, Y14     // 2^n1
	VPSLLD $23, Y12, Y12     // 2^n2
	VMULPS Y14, Y13, Y13
	VMULPS Y12, Y13, Y13
	VMOVUPS Y13, (DI)
	VADDPS Y13, Y2, Y2
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  expavx2_loop

expavx2_done:
	VEXTRACTF128 $1, Y2, X3
	VADDPS X3, X2, X2
	VSHUFPS $0x4e, X2, X2, X3
	VADDPS X3, X2, X2
	VSHUFPS $0xb1, X2, X2, X3
	VADDPS X3, X2, X2
	VMOVSS X2, ret+56(FP)
	VZEROUPPER
	RET

// func expAffineAVX512(dst, src []float32, a, b float32) float32
//
// Register plan: as expAffineAVX2 with Z registers and 16 lanes:
//	DI dst, SI src, CX elements left (a multiple of 16)
//	Z0 a, Z1 b, Z2 sum, Z3 lo, Z4 hi, Z5 log2e, Z6 C1, Z7 C2, Z8 1.0,
//	Z9 127 (int32), Z16..Z21 P0..P5 (constants, hoisted)
//	Z10 x then r, Z11 n (float), Z12 n (int32) then n2, Z13 p, Z14 n1
// The 16 lane sums are reduced by halves at the end.
TEXT ·expAffineAVX512(SB), NOSPLIT, $0-60
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dst_len+8(FP), CX
	VPXORD Z2, Z2, Z2
	TESTQ CX, CX
	JZ   expavx512_done
	VBROADCASTSS a+48(FP), Z0
	VBROADCASTSS b+52(FP), Z1
	VBROADCASTSS ·expTab+EXP_LO(SB), Z3
	VBROADCASTSS ·expTab+EXP_HI(SB), Z4
	VBROADCASTSS ·expTab+EXP_LOG2E(SB), Z5
	VBROADCASTSS ·expTab+EXP_C1(SB), Z6
	VBROADCASTSS ·expTab+EXP_C2(SB), Z7
	VBROADCASTSS ·expTab+EXP_ONE(SB), Z8
	VBROADCASTSS ·expTab+EXP_P0(SB), Z16
	VBROADCASTSS ·expTab+EXP_P1(SB), Z17
	VBROADCASTSS ·expTab+EXP_P2(SB), Z18
	VBROADCASTSS ·expTab+EXP_P3(SB), Z19
	VBROADCASTSS ·expTab+EXP_P4(SB), Z20
	VBROADCASTSS ·expTab+EXP_P5(SB), Z21
	MOVL $127, AX
	VPBROADCASTD AX, Z9

expavx512_loop:
	VMOVUPS (SI), Z10
	VFMADD213PS Z1, Z0, Z10
	VMAXPS Z10, Z3, Z10
	VMINPS Z10, Z4, Z10
	VMULPS Z5, Z10, Z11
	VCVTPS2DQ Z11, Z12
	VCVTDQ2PS Z12, Z11
	VFNMADD231PS Z6, Z11, Z10
	VFNMADD231PS Z7, Z11, Z10
	VMOVAPS Z16, Z13
	VFMADD213PS Z17, Z10, Z13
	VFMADD213PS Z18, Z10, Z13
	VFMADD213PS Z19, Z10, Z13
	VFMADD213PS Z20, Z10, Z13
	VFMADD213PS Z21, Z10, Z13
	VFMADD213PS Z8, Z10, Z13
	VFMADD213PS Z8, Z10, Z13
	VPSRAD $1, Z12, Z14
	VPSUBD Z14, Z12, Z12
	VPADDD Z9, Z14, Z14
	VPADDD Z9, Z12, Z12
	VPSLLD $23, Z14, Z14
	VPSLLD $23, Z12, Z12
	VMULPS Z14, Z13, Z13
	VMULPS Z12, Z13, Z13
	VMOVUPS Z13, (DI)
	VADDPS Z13, Z2, Z2
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  expavx512_loop

expavx512_done:
	VEXTRACTF64X4 $1, Z2, Y3
	VADDPS Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPS X3, X2, X2
	VSHUFPS $0x4e, X2, X2, X3
	VADDPS X3, X2, X2
	VSHUFPS $0xb1, X2, X2, X3
	VADDPS X3, X2, X2
	VMOVSS X2, ret+56(FP)
	VZEROUPPER
	RET

// The four phases of one vector in geluAVX2's 16-element loop (register
// roles as in its plan; off is the vector's byte offset from SI and DI).

// GELU_SMALL: W = x, Z = z = x/sqrt2, T = z*z, H = hs = 1 + erf(z) (|z| < 1).
#define GELU_SMALL(Z, H, T, W, off) \
	VMOVUPS off(SI), W; \
	VMULPS ·geluVec+GV_RSQRT2(SB), W, Z; \
	VMULPS Z, Z, T; \
	VMOVUPS ·geluVec+GV_S0(SB), H; \
	VFMADD213PS ·geluVec+GV_S0+32(SB), T, H; \
	VFMADD213PS ·geluVec+GV_S0+64(SB), T, H; \
	VFMADD213PS ·geluVec+GV_S0+96(SB), T, H; \
	VFMADD213PS ·geluVec+GV_S0+128(SB), T, H; \
	VFMADD213PS ·geluVec+GV_S0+160(SB), T, H; \
	VFMADD213PS ·geluVec+GV_S0+192(SB), T, H; \
	VFMADD213PS Z, Z, H; \
	VADDPS ·geluVec+GV_ONE(SB), H, H

// GELU_TAIL: T = t = min(|z|, cut), P = L(t) = log(erfc(t)).
#define GELU_TAIL(Z, T, P, W) \
	VANDPS ·geluVec+GV_ABS(SB), Z, W; \
	VMINPS ·geluVec+GV_CUT(SB), W, T; \
	VMOVUPS ·geluVec+GV_L0(SB), P; \
	VFMADD213PS ·geluVec+GV_L0+32(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+64(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+96(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+128(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+160(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+192(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+224(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+256(SB), T, P; \
	VFMADD213PS ·geluVec+GV_L0+288(SB), T, P

// GELU_EXP: T = q = exp(P) (P becomes r, N 2^n).
#define GELU_EXP(T, P, N, W) \
	VMULPS ·geluVec+GV_LOG2E(SB), P, W; \
	VCVTPS2DQ W, N; \
	VCVTDQ2PS N, W; \
	VFNMADD231PS ·geluVec+GV_C1(SB), W, P; \
	VFNMADD231PS ·geluVec+GV_C2(SB), W, P; \
	VMOVUPS ·geluVec+GV_P0(SB), T; \
	VFMADD213PS ·geluVec+GV_P0+32(SB), P, T; \
	VFMADD213PS ·geluVec+GV_P0+64(SB), P, T; \
	VFMADD213PS ·geluVec+GV_P0+96(SB), P, T; \
	VFMADD213PS ·geluVec+GV_P0+128(SB), P, T; \
	VFMADD213PS ·geluVec+GV_P0+160(SB), P, T; \
	VFMADD213PS ·geluVec+GV_ONE(SB), P, T; \
	VFMADD213PS ·geluVec+GV_ONE(SB), P, T; \
	VPADDD ·geluVec+GV_127(SB), N, N; \
	VPSLLD $23, N, N; \
	VMULPS N, T, T

// GELU_OUT: q = 0 past the cut, h = |z| < 1 ? hs : (z < 0 ? q : 2 - q),
// dst = (x*0.5)*h.
#define GELU_OUT(Z, H, T, P, N, W, off) \
	VANDPS ·geluVec+GV_ABS(SB), Z, W; \
	VCMPPS $0x0e, ·geluVec+GV_CUT(SB), W, N; \
	VANDNPS T, N, T; \
	VMOVUPS ·geluVec+GV_TWO(SB), P; \
	VSUBPS T, P, P; \
	VBLENDVPS Z, T, P, P; \
	VCMPPS $0x01, ·geluVec+GV_ONE(SB), W, W; \
	VBLENDVPS W, H, P, H; \
	VMOVUPS off(SI), W; \
	VMULPS ·geluVec+GV_HALF(SB), W, W; \
	VMULPS H, W, W; \
	VMOVUPS W, off(DI)

// func geluAVX2(dst, src []float32)
//
// Register plan:
//	DI dst, SI src, CX elements left (a multiple of 8)
//	constants: Y15 0x7fffffff (abs mask), Y14 1/sqrt2, Y13 1.0, Y12 cut (6),
//	Y11 127 (int32), Y10 log2(e); the others are broadcast from ·erfTab and
//	·expTab into temporaries where they are used
//	Y0 x, Y1 z = x/sqrt2, Y2 |z|, Y3 z*z then t = min(|z|, cut),
//	Y4 small-branch polynomial then h, Y5 L(t) then r then erfc,
//	Y6..Y9 temporaries
//
// Two loops: 16 elements per iteration while at least 16 are left, then 8.
//
// The 16-element loop interleaves two vectors, A in Y0..Y5 and B in
// Y6..Y11, each as Z z, H hs then h, T s then t then the exp polynomial then
// q, P L(t) then r then hb, N n (int32) then a mask, W x, |z| and
// temporaries. It reads every constant as a memory operand from ·geluVec
// (each broadcast to 8 lanes once, at init), so it has no broadcast
// instructions and the two vectors' dependency chains (17 FMAs of the
// polynomials, the exp's 9) overlap. Each vector goes through the same
// operations in the same order as in the 8-element loop, so both loops give
// the same bits.
//
// The 8-element loop's register plan is the one above. Per 8 elements: the
// small branch hs = 1 + (z + z*S(z*z)); the tail branch
// q = exp(L(t)) (= erfc(|z|), zeroed where |z| > cut; the exp needs no clamp
// since L is bounded on [0, cut] and a single 2^n scaling since n >= -60),
// hb = z < 0 ? q : 2 - q; h = |z| < 1 ? hs : hb; dst = (x*0.5)*h.
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dst_len+8(FP), CX
	TESTQ CX, CX
	JZ   geluavx2_done
	CMPQ CX, $16
	JB   geluavx2_single

geluavx2_loop2:
	GELU_SMALL(Y0, Y1, Y2, Y5, 0)
	GELU_SMALL(Y6, Y7, Y8, Y11, 32)
	GELU_TAIL(Y0, Y2, Y3, Y5)
	GELU_TAIL(Y6, Y8, Y9, Y11)
	GELU_EXP(Y2, Y3, Y4, Y5)
	GELU_EXP(Y8, Y9, Y10, Y11)
	GELU_OUT(Y0, Y1, Y2, Y3, Y4, Y5, 0)
	GELU_OUT(Y6, Y7, Y8, Y9, Y10, Y11, 32)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JAE  geluavx2_loop2
	TESTQ CX, CX
	JZ   geluavx2_end

geluavx2_single:
	MOVL $0x7fffffff, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VBROADCASTSS ·erfTab+ERF_RSQRT2(SB), Y14
	VBROADCASTSS ·erfTab+ERF_ONE(SB), Y13
	VBROADCASTSS ·erfTab+ERF_CUT(SB), Y12
	MOVL $127, AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
	VBROADCASTSS ·expTab+EXP_LOG2E(SB), Y10

geluavx2_loop:
	VMOVUPS (SI), Y0
	VMULPS Y14, Y0, Y1 // z
	VANDPS Y15, Y1, Y2 // |z|
	VMULPS Y1, Y1, Y3  // s = z*z

	// Small branch: Y4 = 1 + z + z*S(s).
	VBROADCASTSS ·erfTab+ERF_S0+0(SB), Y4
	VBROADCASTSS ·erfTab+ERF_S0+4(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VBROADCASTSS ·erfTab+ERF_S0+8(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VBROADCASTSS ·erfTab+ERF_S0+12(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VBROADCASTSS ·erfTab+ERF_S0+16(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VBROADCASTSS ·erfTab+ERF_S0+20(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VBROADCASTSS ·erfTab+ERF_S0+24(SB), Y6
	VFMADD213PS Y6, Y3, Y4
	VFMADD213PS Y1, Y1, Y4 // erf = p*z + z
	VADDPS Y13, Y4, Y4     // hs = 1 + erf

	// Tail branch: Y5 = L(t), t = min(|z|, cut).
	VMINPS Y12, Y2, Y3
	VBROADCASTSS ·erfTab+ERF_L0+0(SB), Y5
	VBROADCASTSS ·erfTab+ERF_L0+4(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+8(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+12(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+16(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+20(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+24(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+28(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+32(SB), Y6
	VFMADD213PS Y6, Y3, Y5
	VBROADCASTSS ·erfTab+ERF_L0+36(SB), Y6
	VFMADD213PS Y6, Y3, Y5

	// q = exp(Y5) into Y6.
	VMULPS Y10, Y5, Y6
	VCVTPS2DQ Y6, Y7 // n
	VCVTDQ2PS Y7, Y6
	VBROADCASTSS ·expTab+EXP_C1(SB), Y8
	VFNMADD231PS Y8, Y6, Y5
	VBROADCASTSS ·expTab+EXP_C2(SB), Y8
	VFNMADD231PS Y8, Y6, Y5 // r
	VBROADCASTSS ·expTab+EXP_P0(SB), Y6
	VBROADCASTSS ·expTab+EXP_P1(SB), Y8
	VFMADD213PS Y8, Y5, Y6
	VBROADCASTSS ·expTab+EXP_P2(SB), Y8
	VFMADD213PS Y8, Y5, Y6
	VBROADCASTSS ·expTab+EXP_P3(SB), Y8
	VFMADD213PS Y8, Y5, Y6
	VBROADCASTSS ·expTab+EXP_P4(SB), Y8
	VFMADD213PS Y8, Y5, Y6
	VBROADCASTSS ·expTab+EXP_P5(SB), Y8
	VFMADD213PS Y8, Y5, Y6
	VFMADD213PS Y13, Y5, Y6
	VFMADD213PS Y13, Y5, Y6
	VPADDD Y11, Y7, Y7
	VPSLLD $23, Y7, Y7
	VMULPS Y7, Y6, Y6        // q = erfc(|z|)
	VCMPPS $0x0e, Y12, Y2, Y7 // |z| > cut
	VANDNPS Y6, Y7, Y6       // q = 0 there

	// hb = z < 0 ? q : 2 - q; h = |z| < 1 ? hs : hb.
	VBROADCASTSS ·erfTab+ERF_TWO(SB), Y8
	VSUBPS Y6, Y8, Y8
	VBLENDVPS Y1, Y6, Y8, Y8
	VCMPPS $0x01, Y13, Y2, Y7 // |z| < 1
	VBLENDVPS Y7, Y4, Y8, Y4

	VBROADCASTSS ·erfTab+ERF_HALF(SB), Y7
	VMULPS Y7, Y0, Y0
	VMULPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  geluavx2_loop

geluavx2_end:
	VZEROUPPER

geluavx2_done:
	RET

// func geluAVX512(dst, src []float32)
//
// Register plan: as geluAVX2 with 16 lanes and every constant hoisted:
//	DI dst, SI src, CX elements left (a multiple of 16)
//	Z31 abs mask, Z30 1/sqrt2, Z29 1.0, Z28 cut, Z27 127 (int32), Z26 log2e,
//	Z25 C1, Z24 C2, Z23 2.0, Z22 0.5, Z16..Z21 exp's P0..P5,
//	Z9..Z15 S0..S6, S lives in Z9..Z15; L0..L9 in the registers named below
//	Z0 x, Z1 z, Z2 |z|, Z3 s then t, Z4 hs then h, Z5 L then r, Z6 n (float)
//	then p, Z7 n (int32), Z8 hb; K1 |z| > cut, K2 z < 0, K3 |z| < 1.
// L0..L9 are not hoisted (no registers left): they are embedded broadcasts
// from ·erfTab.
TEXT ·geluAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dst_len+8(FP), CX
	TESTQ CX, CX
	JZ   geluavx512_done
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z31
	VBROADCASTSS ·erfTab+ERF_RSQRT2(SB), Z30
	VBROADCASTSS ·erfTab+ERF_ONE(SB), Z29
	VBROADCASTSS ·erfTab+ERF_CUT(SB), Z28
	MOVL $127, AX
	VPBROADCASTD AX, Z27
	VBROADCASTSS ·expTab+EXP_LOG2E(SB), Z26
	VBROADCASTSS ·expTab+EXP_C1(SB), Z25
	VBROADCASTSS ·expTab+EXP_C2(SB), Z24
	VBROADCASTSS ·erfTab+ERF_TWO(SB), Z23
	VBROADCASTSS ·erfTab+ERF_HALF(SB), Z22
	VBROADCASTSS ·expTab+EXP_P0(SB), Z16
	VBROADCASTSS ·expTab+EXP_P1(SB), Z17
	VBROADCASTSS ·expTab+EXP_P2(SB), Z18
	VBROADCASTSS ·expTab+EXP_P3(SB), Z19
	VBROADCASTSS ·expTab+EXP_P4(SB), Z20
	VBROADCASTSS ·expTab+EXP_P5(SB), Z21
	VBROADCASTSS ·erfTab+ERF_S0+0(SB), Z9
	VBROADCASTSS ·erfTab+ERF_S0+4(SB), Z10
	VBROADCASTSS ·erfTab+ERF_S0+8(SB), Z11
	VBROADCASTSS ·erfTab+ERF_S0+12(SB), Z12
	VBROADCASTSS ·erfTab+ERF_S0+16(SB), Z13
	VBROADCASTSS ·erfTab+ERF_S0+20(SB), Z14
	VBROADCASTSS ·erfTab+ERF_S0+24(SB), Z15

geluavx512_loop:
	VMOVUPS (SI), Z0
	VMULPS Z30, Z0, Z1
	VPANDD Z31, Z1, Z2
	VMULPS Z1, Z1, Z3

	VMOVAPS Z9, Z4
	VFMADD213PS Z10, Z3, Z4
	VFMADD213PS Z11, Z3, Z4
	VFMADD213PS Z12, Z3, Z4
	VFMADD213PS Z13, Z3, Z4
	VFMADD213PS Z14, Z3, Z4
	VFMADD213PS Z15, Z3, Z4
	VFMADD213PS Z1, Z1, Z4
	VADDPS Z29, Z4, Z4

	VMINPS Z28, Z2, Z3
	VBROADCASTSS ·erfTab+ERF_L0+0(SB), Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+4(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+8(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+12(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+16(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+20(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+24(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+28(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+32(SB), Z3, Z5
	VFMADD213PS.BCST ·erfTab+ERF_L0+36(SB), Z3, Z5

	VMULPS Z26, Z5, Z6
	VCVTPS2DQ Z6, Z7
	VCVTDQ2PS Z7, Z6
	VFNMADD231PS Z25, Z6, Z5
	VFNMADD231PS Z24, Z6, Z5
	VMOVAPS Z16, Z6
	VFMADD213PS Z17, Z5, Z6
	VFMADD213PS Z18, Z5, Z6
	VFMADD213PS Z19, Z5, Z6
	VFMADD213PS Z20, Z5, Z6
	VFMADD213PS Z21, Z5, Z6
	VFMADD213PS Z29, Z5, Z6
	VFMADD213PS Z29, Z5, Z6
	VPADDD Z27, Z7, Z7
	VPSLLD $23, Z7, Z7
	VMULPS Z7, Z6, Z6
	VCMPPS $0x0e, Z28, Z2, K1
	VPXORD Z6, Z6, K1, Z6

	VSUBPS Z6, Z23, Z8
	VPMOVD2M Z1, K2
	VBLENDMPS Z6, Z8, K2, Z8
	VCMPPS $0x01, Z29, Z2, K3
	VBLENDMPS Z4, Z8, K3, Z4

	VMULPS Z22, Z0, Z0
	VMULPS Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  geluavx512_loop
	VZEROUPPER

geluavx512_done:
	RET
