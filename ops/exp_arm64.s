//go:build !noasm

#include "textflag.h"

// NEON kernels for exp and GELU. The Go assembler has no vector
// floating-point arithmetic besides VFMLA/VFMLS, so those instructions are
// written as WORD encodings with the instruction in the comment (checked
// against llvm-mc and by disassembly); the kernels compute what
// exp_generic.go documents, with fused multiply-adds.

// func expAffineNEON(dst, src []float32, a, b float32) float32
//
// Register plan:
//	R0 dst, R1 src, R2 elements left (a multiple of 4), R3 table pointer
//	V16 a, V17 b, V18 lo, V19 hi, V20 log2e, V21 C1, V22 C2,
//	V23..V28 P0..P5, V29 1.0, V30 127 (int32), V31 running sum (4 lanes)
//	V0 x, V1 a*x+b then r, V2 n (float), V3 n (int32) then n2,
//	V4/V5 Horner (alternating), V6 n1
//
// One iteration handles 4 elements: x = a*src+b, clamp (FMAX/FMIN return
// NaN for NaN), n = round(x*log2e) (FCVTNS: to nearest even), r = x - n*C1
// - n*C2, p = Horner(P, r)*r*r + r + 1, dst = p * 2^(n>>1) * 2^(n-(n>>1)),
// sum += dst. The 4 lane sums are added pairwise at the end.
TEXT ·expAffineNEON(SB), NOSPLIT, $0-60
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1
	VEOR V31.B16, V31.B16, V31.B16
	CBZ  R2, done
	FMOVS a+48(FP), F16
	VDUP V16.S[0], V16.S4
	FMOVS b+52(FP), F17
	VDUP V17.S[0], V17.S4
	MOVD $·expTab(SB), R3
	VLD1R.P 4(R3), [V18.S4] // lo
	VLD1R.P 4(R3), [V19.S4] // hi
	VLD1R.P 4(R3), [V20.S4] // log2e
	VLD1R.P 4(R3), [V21.S4] // C1
	VLD1R.P 4(R3), [V22.S4] // C2
	VLD1R.P 4(R3), [V23.S4] // P0
	VLD1R.P 4(R3), [V24.S4]
	VLD1R.P 4(R3), [V25.S4]
	VLD1R.P 4(R3), [V26.S4]
	VLD1R.P 4(R3), [V27.S4]
	VLD1R.P 4(R3), [V28.S4] // P5
	VLD1R (R3), [V29.S4]    // 1
	MOVW $127, R4
	VDUP R4, V30.S4

loop:
	VLD1.P 16(R1), [V0.S4]
	VMOV V17.B16, V1.B16
	VFMLA V16.S4, V0.S4, V1.S4 // x = b + a*x
	WORD $0x4e32f421 // fmax v1.4s, v1.4s, v18.4s
	WORD $0x4eb3f421 // fmin v1.4s, v1.4s, v19.4s
	WORD $0x6e34dc22 // fmul v2.4s, v1.4s, v20.4s
	WORD $0x4e21a843 // fcvtns v3.4s, v2.4s  ; n
	WORD $0x4e21d862 // scvtf v2.4s, v3.4s
	VFMLS V21.S4, V2.S4, V1.S4 // r = x - n*C1
	VFMLS V22.S4, V2.S4, V1.S4 // r -= n*C2
	VMOV V24.B16, V5.B16
	VFMLA V23.S4, V1.S4, V5.S4 // P1 + P0*r
	VMOV V25.B16, V4.B16
	VFMLA V5.S4, V1.S4, V4.S4
	VMOV V26.B16, V5.B16
	VFMLA V4.S4, V1.S4, V5.S4
	VMOV V27.B16, V4.B16
	VFMLA V5.S4, V1.S4, V4.S4
	VMOV V28.B16, V5.B16
	VFMLA V4.S4, V1.S4, V5.S4
	VMOV V29.B16, V4.B16
	VFMLA V5.S4, V1.S4, V4.S4 // 1 + p*r
	VMOV V29.B16, V5.B16
	VFMLA V4.S4, V1.S4, V5.S4 // p = 1 + p*r
	WORD $0x4f3f0466 // sshr v6.4s, v3.4s, #1  ; n1
	VSUB V6.S4, V3.S4, V3.S4   // n2
	VADD V30.S4, V6.S4, V6.S4
	VADD V30.S4, V3.S4, V3.S4
	VSHL $23, V6.S4, V6.S4
	VSHL $23, V3.S4, V3.S4
	WORD $0x6e26dca5 // fmul v5.4s, v5.4s, v6.4s
	WORD $0x6e23dca5 // fmul v5.4s, v5.4s, v3.4s
	VST1.P [V5.S4], 16(R0)
	WORD $0x4e25d7ff // fadd v31.4s, v31.4s, v5.4s
	SUBS $4, R2, R2
	BNE  loop

done:
	WORD $0x6e3fd7ff // faddp v31.4s, v31.4s, v31.4s
	WORD $0x7e30dbe0 // faddp s0, v31.2s
	FMOVS F0, ret+56(FP)
	RET

// func geluNEON(dst, src []float32)
//
// Register plan:
//	R0 dst, R1 src, R2 elements left (a multiple of 4), R3 table pointer
//	V16..V21 ·erfTab (4 constants each; erfTab[i] is V(16+i/4).S[i%4]),
//	V22..V24 ·expTab (expTab[i] is V(22+i/4).S[i%4]); hoisted splats:
//	V25 1.0, V26 127 (int32), V27 cut, V28 2.0, V29 0.5, V30 log2e, V31 1/sqrt2
//	V0 x, V1 z, V2 |z|, V3 z*z then t = min(|z|, cut), V4 small-branch hs,
//	V5/V6 Horner (alternating), V6 L then r, V7 n (float), V8 n (int32),
//	V9/V10 exp's Horner, V10 q, V11 masks, V12 hb then h
//
// Per 4 elements, as geluAVX2: hs = 1 + (z + z*S(z*z)); q = exp(L(t)),
// zeroed where |z| > cut; hb = z < 0 ? q : 2 - q; h = |z| < 1 ? hs : hb;
// dst = (x*0.5)*h. Coefficients are splat with DUP (element) before each
// FMLA, which adds to its destination.
TEXT ·geluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD src_base+24(FP), R1
	CBZ  R2, gdone
	MOVD $·erfTab(SB), R3
	VLD1.P 64(R3), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1 (R3), [V20.S4, V21.S4]
	MOVD $·expTab(SB), R3
	VLD1 (R3), [V22.S4, V23.S4, V24.S4]
	VDUP V16.S[2], V25.S4 // 1
	MOVW $127, R4
	VDUP R4, V26.S4
	VDUP V17.S[0], V27.S4 // cut
	VDUP V16.S[3], V28.S4 // 2
	VDUP V16.S[1], V29.S4 // 0.5
	VDUP V22.S[2], V30.S4 // log2e
	VDUP V16.S[0], V31.S4 // 1/sqrt2

gloop:
	VLD1.P 16(R1), [V0.S4]
	WORD $0x6e3fdc01 // fmul v1.4s, v0.4s, v31.4s  ; z
	WORD $0x4ea0f822 // fabs v2.4s, v1.4s
	WORD $0x6e21dc23 // fmul v3.4s, v1.4s, v1.4s  ; s

	// Small branch: V4 = 1 + z + z*S(s).
	VDUP V17.S[1], V4.S4 // S0
	VDUP V17.S[2], V5.S4
	VFMLA V4.S4, V3.S4, V5.S4
	VDUP V17.S[3], V4.S4
	VFMLA V5.S4, V3.S4, V4.S4
	VDUP V18.S[0], V5.S4
	VFMLA V4.S4, V3.S4, V5.S4
	VDUP V18.S[1], V4.S4
	VFMLA V5.S4, V3.S4, V4.S4
	VDUP V18.S[2], V5.S4
	VFMLA V4.S4, V3.S4, V5.S4
	VDUP V18.S[3], V4.S4 // S6
	VFMLA V5.S4, V3.S4, V4.S4
	VMOV V1.B16, V5.B16
	VFMLA V4.S4, V1.S4, V5.S4 // erf = z + p*z
	WORD $0x4e39d4a4 // fadd v4.4s, v5.4s, v25.4s

	// Tail branch: V6 = L(t).
	WORD $0x4ebbf443 // fmin v3.4s, v2.4s, v27.4s
	VDUP V19.S[0], V5.S4 // L0
	VDUP V19.S[1], V6.S4
	VFMLA V5.S4, V3.S4, V6.S4
	VDUP V19.S[2], V5.S4
	VFMLA V6.S4, V3.S4, V5.S4
	VDUP V19.S[3], V6.S4
	VFMLA V5.S4, V3.S4, V6.S4
	VDUP V20.S[0], V5.S4
	VFMLA V6.S4, V3.S4, V5.S4
	VDUP V20.S[1], V6.S4
	VFMLA V5.S4, V3.S4, V6.S4
	VDUP V20.S[2], V5.S4
	VFMLA V6.S4, V3.S4, V5.S4
	VDUP V20.S[3], V6.S4
	VFMLA V5.S4, V3.S4, V6.S4
	VDUP V21.S[0], V5.S4
	VFMLA V6.S4, V3.S4, V5.S4
	VDUP V21.S[1], V6.S4 // L9
	VFMLA V5.S4, V3.S4, V6.S4

	// q = exp(V6) into V10.
	WORD $0x6e3edcc7 // fmul v7.4s, v6.4s, v30.4s
	WORD $0x4e21a8e8 // fcvtns v8.4s, v7.4s  ; n
	WORD $0x4e21d907 // scvtf v7.4s, v8.4s
	WORD $0x4fb658e6 // fmls v6.4s, v7.4s, v22.s[3]  ; r = L - n*C1
	WORD $0x4f9750e6 // fmls v6.4s, v7.4s, v23.s[0]  ; r -= n*C2
	VDUP V23.S[1], V9.S4 // P0
	VDUP V23.S[2], V10.S4
	VFMLA V9.S4, V6.S4, V10.S4
	VDUP V23.S[3], V9.S4
	VFMLA V10.S4, V6.S4, V9.S4
	VDUP V24.S[0], V10.S4
	VFMLA V9.S4, V6.S4, V10.S4
	VDUP V24.S[1], V9.S4
	VFMLA V10.S4, V6.S4, V9.S4
	VDUP V24.S[2], V10.S4 // P5
	VFMLA V9.S4, V6.S4, V10.S4
	VMOV V25.B16, V9.B16
	VFMLA V10.S4, V6.S4, V9.S4
	VMOV V25.B16, V10.B16
	VFMLA V9.S4, V6.S4, V10.S4
	VADD V26.S4, V8.S4, V8.S4
	VSHL $23, V8.S4, V8.S4
	WORD $0x6e28dd4a // fmul v10.4s, v10.4s, v8.4s  ; q = erfc(|z|)
	WORD $0x6ebbe44b // fcmgt v11.4s, v2.4s, v27.4s  ; |z| > cut
	WORD $0x4e6b1d4a // bic v10.16b, v10.16b, v11.16b  ; q = 0 there

	// hb = z < 0 ? q : 2 - q; h = |z| < 1 ? hs : hb.
	WORD $0x4eaad78c // fsub v12.4s, v28.4s, v10.4s
	WORD $0x4ea0a82b // cmlt v11.4s, v1.4s, #0
	VBIT V11.B16, V10.B16, V12.B16
	WORD $0x6ea2e72b // fcmgt v11.4s, v25.4s, v2.4s
	VBIT V11.B16, V4.B16, V12.B16

	WORD $0x6e3ddc00 // fmul v0.4s, v0.4s, v29.4s
	WORD $0x6e2cdc00 // fmul v0.4s, v0.4s, v12.4s
	VST1.P [V0.S4], 16(R0)
	SUBS $4, R2, R2
	BNE  gloop

gdone:
	RET
