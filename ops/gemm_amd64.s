//go:build !noasm

#include "textflag.h"

// SGEMM micro-kernels for amd64. Both compute one MR x NR tile of C from an A
// panel read through strides (element (i, p) at a[i*ars + p*aks]: a packed
// panel has ars=1, aks=MR; a row-major matrix ars=lda, aks=1; a transposed one
// ars=1, aks=lda) and a packed B panel (kc rows of NR values):
//
//	acc[i][j] = sum_{p<kc} a[i*ars+p*aks] * b[p*NR+j]
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j]      (c not read if beta == 0)
//
// Arguments (ABI0, on the stack; strides in elements): sgemm6x16AVX2N
//	np+0(FP) kc+8(FP) a+16(FP) ars+24(FP) aks+32(FP) apanel+40(FP) b+48(FP)
//	c+56(FP) ldc+64(FP) alpha+72(FP) beta+76(FP)
// sgemm12x32AVX512N (np row panels)
//	np+0(FP) kc+8(FP) a+16(FP) ars+24(FP) aks+32(FP) apanel+40(FP) b+48(FP)
//	c+56(FP) ldc+64(FP) alpha+72(FP) beta+76(FP)

// ---------------------------------------------------------------------------
// sgemm6x16AVX2N: MR=6, NR=16, AVX2 + FMA3.
//
// Register plan:
//	Y0..Y11   accumulators; row i of the tile is Y(2i) (columns 0-7), Y(2i+1) (8-15)
//	Y12, Y13  the current row of B (16 values)
//	Y14, Y15  A[i][p] broadcast, alternating so consecutive rows do not wait on
//	          each other (Y14 holds alpha and Y15 beta in the epilogue)
//	SI, R10   A rows 0 and 3 at column p; rows 1, 2, 4, 5 are these plus R9
//	          or 2*R9 (scaled-index addressing)
//	R9 ars and R11 aks in bytes, DI b, CX kc%4, BX kc/4, DX c, R8 ldc in bytes
//
// Loop: the k loop is unrolled 4 times (BX iterations), then the kc%4 remainder
// runs one k step at a time (CX iterations). Each k step loads one B row,
// broadcasts 6 A values and issues 12 FMAs (12 independent accumulators hide
// the 4-cycle FMA latency at 2 FMAs per cycle), then advances the A row
// pointers by aks and B by one row. The epilogue scales by alpha, adds beta*C
// with one FMA per vector when beta != 0 (beta's sign bit ignored in the
// test, so -0 counts as zero), and stores the 6 rows.

// K_LOOP runs the k loop of a micro-kernel: CX = kc steps of KSTEP (one
// rank-1 update, the kernel's own macro), four per iteration while at
// least four are left, then one at a time; BX is the counter of the
// unrolled loop. loop4, rem, loop1 and done are the labels to use (each
// kernel its own).
#define K_LOOP(KSTEP, loop4, rem, loop1, done) \
	MOVQ  CX, BX; \
	SHRQ  $2, BX; \
	ANDQ  $3, CX; \
	TESTQ BX, BX; \
	JZ    rem; \
loop4: \
	KSTEP; \
	KSTEP; \
	KSTEP; \
	KSTEP; \
	DECQ  BX; \
	JNZ   loop4; \
rem: \
	TESTQ CX, CX; \
	JZ    done; \
loop1: \
	KSTEP; \
	DECQ  CX; \
	JNZ   loop1; \
done:

#define KSTEP_AVX2 \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	KFMA6_AVX2; \
	ADDQ $64, DI

// KFMA6_AVX2 multiplies the B row in Y12, Y13 by the 6 A values of column
// p (accumulating into Y0..Y11) and advances the A row pointers.
#define KFMA6_AVX2 \
	VBROADCASTSS (SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS (SI)(R9*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS (SI)(R9*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS (R10), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS (R10)(R9*1), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS (R10)(R9*2), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11; \
	ADDQ R11, SI; \
	ADDQ R11, R10

// STORE_AVX2 writes one row (two vectors) at DX and advances DX by a row.
#define STORE_AVX2(r0, r1) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 32(DX); \
	ADDQ    R8, DX

// BETA_AVX2 adds beta*C (beta in Y15) to one row and stores it.
#define BETA_AVX2(r0, r1) \
	VFMADD231PS (DX), Y15, r0; \
	VFMADD231PS 32(DX), Y15, r1; \
	STORE_AVX2(r0, r1)

// func sgemm6x16AVX2N(np, kc int, a *float32, ars, aks, apanel int, b, c *float32, ldc int, alpha, beta float32)
//
// The 6x16 tile kernel over np row panels in one call: panel i reads A at
// a + i*apanel (elements) through the same strides and writes the 6 rows of
// C that follow panel i-1's, all with the same B panel, which saves the Go
// driver a call (and its checks) per micro-tile; a single tile is np = 1.
//
// Register plan: as described above for the 6x16 kernel, plus R12 panels
// left and R13 the current A panel; DX runs on from one panel's C rows to
// the next (STORE_AVX2 and BETA_AVX2 advance it a row at a time). Per
// panel: zero the accumulators, run the k loop, the epilogue, then advance
// R13 by apanel.
TEXT ·sgemm6x16AVX2N(SB), NOSPLIT, $0-80
	MOVQ np+0(FP), R12
	MOVQ a+16(FP), R13
	MOVQ ars+24(FP), R9
	SHLQ $2, R9
	MOVQ aks+32(FP), R11
	SHLQ $2, R11
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	SHLQ $2, R8
	TESTQ R12, R12
	JZ   n_end

n_panel:
	MOVQ R13, SI
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	MOVQ b+48(FP), DI
	MOVQ kc+8(FP), CX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	K_LOOP(KSTEP_AVX2, n_loop4, n_rem, n_loop1, n_done)
	VBROADCASTSS alpha+72(FP), Y14
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VMULPS Y14, Y8, Y8
	VMULPS Y14, Y9, Y9
	VMULPS Y14, Y10, Y10
	VMULPS Y14, Y11, Y11

	MOVL beta+76(FP), AX
	ANDL $0x7fffffff, AX
	JZ   n_store

	VBROADCASTSS beta+76(FP), Y15
	BETA_AVX2(Y0, Y1)
	BETA_AVX2(Y2, Y3)
	BETA_AVX2(Y4, Y5)
	BETA_AVX2(Y6, Y7)
	BETA_AVX2(Y8, Y9)
	BETA_AVX2(Y10, Y11)
	JMP  n_next

n_store:
	STORE_AVX2(Y0, Y1)
	STORE_AVX2(Y2, Y3)
	STORE_AVX2(Y4, Y5)
	STORE_AVX2(Y6, Y7)
	STORE_AVX2(Y8, Y9)
	STORE_AVX2(Y10, Y11)

n_next:
	MOVQ apanel+40(FP), AX
	SHLQ $2, AX
	ADDQ AX, R13
	DECQ R12
	JNZ  n_panel

n_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// The 12x32 AVX-512 kernel (MR=12, NR=32, AVX-512F): its k step, zeroing,
// scaling and stores as macros, used by sgemm12x32AVX512N (packed B) and
// sgemm12x32AVX512IndN (B read in place) below, which run np row panels per
// call (a single tile is np = 1), and by the 8- and 4-row kernels.
//
// Register plan:
//	Z0..Z23   accumulators; row i of the tile is Z(2i) (columns 0-15), Z(2i+1) (16-31)
//	Z24, Z25  the current row of B (32 values)
//	Z26, Z27  A[i][p] broadcast, alternating between rows
//	Z28       alpha, then beta, in the epilogue
//	SI, R10, R12, R13  A rows 0, 3, 6, 9 at column p; the rows between are
//	          these plus R9 or 2*R9
//	R9 ars and R11 aks in bytes, DI b, CX kc%4, BX kc/4, DX c, R8 ldc in bytes
//
// Loop: the same structure as the AVX2 kernel at twice the width and twice the
// rows: the k loop unrolled 4 times, then the kc%4 remainder; each k step loads
// one B row (2 vectors), broadcasts 12 A values and issues 24 FMAs.

#define KSTEP_AVX512 \
	VMOVUPS (DI), Z24; \
	VMOVUPS 64(DI), Z25; \
	KFMA12_AVX512; \
	ADDQ $128, DI

// KFMA12_AVX512 multiplies the B row in Z24, Z25 by the 12 A values of
// column p (accumulating into Z0..Z23) and advances the A row pointers to
// column p+1.
#define KFMA12_AVX512 \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS (SI)(R9*1), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS (SI)(R9*2), Z26; \
	VFMADD231PS Z24, Z26, Z4; \
	VFMADD231PS Z25, Z26, Z5; \
	VBROADCASTSS (R10), Z27; \
	VFMADD231PS Z24, Z27, Z6; \
	VFMADD231PS Z25, Z27, Z7; \
	VBROADCASTSS (R10)(R9*1), Z26; \
	VFMADD231PS Z24, Z26, Z8; \
	VFMADD231PS Z25, Z26, Z9; \
	VBROADCASTSS (R10)(R9*2), Z27; \
	VFMADD231PS Z24, Z27, Z10; \
	VFMADD231PS Z25, Z27, Z11; \
	VBROADCASTSS (R12), Z26; \
	VFMADD231PS Z24, Z26, Z12; \
	VFMADD231PS Z25, Z26, Z13; \
	VBROADCASTSS (R12)(R9*1), Z27; \
	VFMADD231PS Z24, Z27, Z14; \
	VFMADD231PS Z25, Z27, Z15; \
	VBROADCASTSS (R12)(R9*2), Z26; \
	VFMADD231PS Z24, Z26, Z16; \
	VFMADD231PS Z25, Z26, Z17; \
	VBROADCASTSS (R13), Z27; \
	VFMADD231PS Z24, Z27, Z18; \
	VFMADD231PS Z25, Z27, Z19; \
	VBROADCASTSS (R13)(R9*1), Z26; \
	VFMADD231PS Z24, Z26, Z20; \
	VFMADD231PS Z25, Z26, Z21; \
	VBROADCASTSS (R13)(R9*2), Z27; \
	VFMADD231PS Z24, Z27, Z22; \
	VFMADD231PS Z25, Z27, Z23; \
	ADDQ R11, SI; \
	ADDQ R11, R10; \
	ADDQ R11, R12; \
	ADDQ R11, R13

// STORE_AVX512 writes one row (two vectors) at DX and advances DX by a row.
#define STORE_AVX512(r0, r1) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 64(DX); \
	ADDQ    R8, DX

// BETA_AVX512 adds beta*C (beta in Z28) to one row and stores it.
#define BETA_AVX512(r0, r1) \
	VFMADD231PS (DX), Z28, r0; \
	VFMADD231PS 64(DX), Z28, r1; \
	STORE_AVX512(r0, r1)

// ZERO24_AVX512 clears the 12x32 kernel's accumulators.
#define ZERO24_AVX512 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// SCALE24_AVX512 multiplies the accumulators by alpha (in Z28).
#define SCALE24_AVX512 \
	VMULPS Z28, Z0, Z0; \
	VMULPS Z28, Z1, Z1; \
	VMULPS Z28, Z2, Z2; \
	VMULPS Z28, Z3, Z3; \
	VMULPS Z28, Z4, Z4; \
	VMULPS Z28, Z5, Z5; \
	VMULPS Z28, Z6, Z6; \
	VMULPS Z28, Z7, Z7; \
	VMULPS Z28, Z8, Z8; \
	VMULPS Z28, Z9, Z9; \
	VMULPS Z28, Z10, Z10; \
	VMULPS Z28, Z11, Z11; \
	VMULPS Z28, Z12, Z12; \
	VMULPS Z28, Z13, Z13; \
	VMULPS Z28, Z14, Z14; \
	VMULPS Z28, Z15, Z15; \
	VMULPS Z28, Z16, Z16; \
	VMULPS Z28, Z17, Z17; \
	VMULPS Z28, Z18, Z18; \
	VMULPS Z28, Z19, Z19; \
	VMULPS Z28, Z20, Z20; \
	VMULPS Z28, Z21, Z21; \
	VMULPS Z28, Z22, Z22; \
	VMULPS Z28, Z23, Z23

// BETA12_AVX512 adds beta*C (beta in Z28) to the 12 rows and stores them.
#define BETA12_AVX512 \
	BETA_AVX512(Z0, Z1); \
	BETA_AVX512(Z2, Z3); \
	BETA_AVX512(Z4, Z5); \
	BETA_AVX512(Z6, Z7); \
	BETA_AVX512(Z8, Z9); \
	BETA_AVX512(Z10, Z11); \
	BETA_AVX512(Z12, Z13); \
	BETA_AVX512(Z14, Z15); \
	BETA_AVX512(Z16, Z17); \
	BETA_AVX512(Z18, Z19); \
	BETA_AVX512(Z20, Z21); \
	BETA_AVX512(Z22, Z23)

// STORE12_AVX512 stores the 12 rows.
#define STORE12_AVX512 \
	STORE_AVX512(Z0, Z1); \
	STORE_AVX512(Z2, Z3); \
	STORE_AVX512(Z4, Z5); \
	STORE_AVX512(Z6, Z7); \
	STORE_AVX512(Z8, Z9); \
	STORE_AVX512(Z10, Z11); \
	STORE_AVX512(Z12, Z13); \
	STORE_AVX512(Z14, Z15); \
	STORE_AVX512(Z16, Z17); \
	STORE_AVX512(Z18, Z19); \
	STORE_AVX512(Z20, Z21); \
	STORE_AVX512(Z22, Z23)

// ---------------------------------------------------------------------------
// sgemm4x32AVX512: 4 rows of sgemm12x32AVX512N's tile (rows 0-3 of a panel
// read through ars and aks), storing only the first `rows` (1 to 4) of
// them: the ragged last row panel of a GEMM whose M is not a multiple of
// 12 (64 output channels: 5 panels of 12 and 4 rows) without computing 12
// rows. Every value is computed as in sgemm12x32AVX512N (the same FMAs in the
// same order, the same alpha and beta steps), so the result is bit for bit
// the same.
//
// Register plan:
//	Z0..Z7    accumulators; row i of the tile is Z(2i) (columns 0-15), Z(2i+1) (16-31)
//	Z24, Z25  the current row of B (32 values)
//	Z26, Z27  A[i][p] broadcast, alternating between rows
//	Z28       alpha, then beta, in the epilogue
//	SI        A row 0 at column p, R10 row 3; rows 1 and 2 are SI+R9, SI+2*R9
//	R9 ars and R11 aks in bytes, DI b, CX kc%4, BX kc/4 then rows left to
//	store, DX c, R8 ldc in bytes
//
// Loop: the k loop unrolled 4 times, then the kc%4 remainder; each k step
// loads one B row (2 vectors), broadcasts 4 A values and issues 8 FMAs.

#define KSTEP4_AVX512 \
	VMOVUPS (DI), Z24; \
	VMOVUPS 64(DI), Z25; \
	KFMA4_AVX512; \
	ADDQ $128, DI

// KFMA4_AVX512 is KFMA12_AVX512 on rows 0-3 (Z0..Z7; SI and R10).
#define KFMA4_AVX512 \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS (SI)(R9*1), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS (SI)(R9*2), Z26; \
	VFMADD231PS Z24, Z26, Z4; \
	VFMADD231PS Z25, Z26, Z5; \
	VBROADCASTSS (R10), Z27; \
	VFMADD231PS Z24, Z27, Z6; \
	VFMADD231PS Z25, Z27, Z7; \
	ADDQ R11, SI; \
	ADDQ R11, R10

// func sgemm4x32AVX512(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32, rows int)
TEXT ·sgemm4x32AVX512(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $2, R9
	MOVQ aks+24(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	K_LOOP(KSTEP4_AVX512, r4_loop4, r4_rem, r4_loop1, r4_done)
	VBROADCASTSS alpha+56(FP), Z28
	VMULPS Z28, Z0, Z0
	VMULPS Z28, Z1, Z1
	VMULPS Z28, Z2, Z2
	VMULPS Z28, Z3, Z3
	VMULPS Z28, Z4, Z4
	VMULPS Z28, Z5, Z5
	VMULPS Z28, Z6, Z6
	VMULPS Z28, Z7, Z7
	MOVQ rows+64(FP), BX

	MOVL beta+60(FP), AX
	ANDL $0x7fffffff, AX
	JZ   r4_store

	VBROADCASTSS beta+60(FP), Z28
	BETA_AVX512(Z0, Z1)
	DECQ BX
	JZ   r4_ret
	BETA_AVX512(Z2, Z3)
	DECQ BX
	JZ   r4_ret
	BETA_AVX512(Z4, Z5)
	DECQ BX
	JZ   r4_ret
	BETA_AVX512(Z6, Z7)
	JMP  r4_ret

r4_store:
	STORE_AVX512(Z0, Z1)
	DECQ BX
	JZ   r4_ret
	STORE_AVX512(Z2, Z3)
	DECQ BX
	JZ   r4_ret
	STORE_AVX512(Z4, Z5)
	DECQ BX
	JZ   r4_ret
	STORE_AVX512(Z6, Z7)

r4_ret:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// B read in place (KSTEPI_AVX512, sgemm4x32AVX512Ind and
// sgemm12x32AVX512IndN below): the 12x32 kernel and sgemm4x32AVX512 with B
// read in place (an indirect GEMM): row p of the B
// panel is the 32 values at b + boff[p] (boff in elements), not a packed
// panel. A convolution on a zero-padded input uses it for a panel of 32
// output positions within one output row, whose patch row p is a contiguous
// run of the input: no patch panel is written. The FMAs and their order are
// those of the packed kernels, so the results are bit for bit the same.
//
// Arguments: kc+0(FP) a+8(FP) ars+16(FP) aks+24(FP) b+32(FP) boff+40(FP)
// c+48(FP) ldc+56(FP) alpha+64(FP) beta+68(FP) (and rows+72(FP))
//
// Register plan: that of sgemm12x32AVX512N (sgemm4x32AVX512), and
//	R14       boff at row p (int64 offsets; ABI0 code may use R14)
//	AX        boff[p]: the row is at (DI)(AX*4)

#define KSTEPI_AVX512 \
	MOVQ    (R14), AX; \
	VMOVUPS (DI)(AX*4), Z24; \
	VMOVUPS 64(DI)(AX*4), Z25; \
	KFMA12_AVX512; \
	ADDQ    $8, R14

#define KSTEPI4_AVX512 \
	MOVQ    (R14), AX; \
	VMOVUPS (DI)(AX*4), Z24; \
	VMOVUPS 64(DI)(AX*4), Z25; \
	KFMA4_AVX512; \
	ADDQ    $8, R14

// func sgemm4x32AVX512Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)
TEXT ·sgemm4x32AVX512Ind(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $2, R9
	MOVQ aks+24(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	MOVQ b+32(FP), DI
	MOVQ boff+40(FP), R14
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	K_LOOP(KSTEPI4_AVX512, ind4_loop4, ind4_rem, ind4_loop1, ind4_done)
	VBROADCASTSS alpha+64(FP), Z28
	VMULPS Z28, Z0, Z0
	VMULPS Z28, Z1, Z1
	VMULPS Z28, Z2, Z2
	VMULPS Z28, Z3, Z3
	VMULPS Z28, Z4, Z4
	VMULPS Z28, Z5, Z5
	VMULPS Z28, Z6, Z6
	VMULPS Z28, Z7, Z7
	MOVQ rows+72(FP), BX

	MOVL beta+68(FP), AX
	ANDL $0x7fffffff, AX
	JZ   ind4_store

	VBROADCASTSS beta+68(FP), Z28
	BETA_AVX512(Z0, Z1)
	DECQ BX
	JZ   ind4_ret
	BETA_AVX512(Z2, Z3)
	DECQ BX
	JZ   ind4_ret
	BETA_AVX512(Z4, Z5)
	DECQ BX
	JZ   ind4_ret
	BETA_AVX512(Z6, Z7)
	JMP  ind4_ret

ind4_store:
	STORE_AVX512(Z0, Z1)
	DECQ BX
	JZ   ind4_ret
	STORE_AVX512(Z2, Z3)
	DECQ BX
	JZ   ind4_ret
	STORE_AVX512(Z4, Z5)
	DECQ BX
	JZ   ind4_ret
	STORE_AVX512(Z6, Z7)

ind4_ret:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// sgemm8x32AVX512 and sgemm8x32AVX512Ind: rows 0-7 of sgemm12x32AVX512N's
// (sgemm12x32AVX512IndN's) tile, storing only the first `rows` (1 to 8) of
// them: a ragged last row panel of 5 to 8 rows (128 or 32 output channels:
// panels of 12 and 8 rows) in one call instead of two 4-row calls, each of
// which reads all of B. Every value is computed as in the 12-row kernels
// (the same FMAs in the same order), so the results are bit for bit the
// same.
//
// Arguments: kc+0(FP) a+8(FP) ars+16(FP) aks+24(FP) b+32(FP) then
// c+40(FP) ldc+48(FP) alpha+56(FP) beta+60(FP) rows+64(FP) (packed B), or
// boff+40(FP) c+48(FP) ldc+56(FP) alpha+64(FP) beta+68(FP) rows+72(FP)
// (B in place).
//
// Register plan: that of sgemm12x32AVX512N on rows 0-7 (Z0..Z15; SI, R10,
// R12 rows 0, 3, 6), and for the in-place form R14 (boff) and AX.

// KFMA8_AVX512 is KFMA12_AVX512 on rows 0-7.
#define KFMA8_AVX512 \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS (SI)(R9*1), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS (SI)(R9*2), Z26; \
	VFMADD231PS Z24, Z26, Z4; \
	VFMADD231PS Z25, Z26, Z5; \
	VBROADCASTSS (R10), Z27; \
	VFMADD231PS Z24, Z27, Z6; \
	VFMADD231PS Z25, Z27, Z7; \
	VBROADCASTSS (R10)(R9*1), Z26; \
	VFMADD231PS Z24, Z26, Z8; \
	VFMADD231PS Z25, Z26, Z9; \
	VBROADCASTSS (R10)(R9*2), Z27; \
	VFMADD231PS Z24, Z27, Z10; \
	VFMADD231PS Z25, Z27, Z11; \
	VBROADCASTSS (R12), Z26; \
	VFMADD231PS Z24, Z26, Z12; \
	VFMADD231PS Z25, Z26, Z13; \
	VBROADCASTSS (R12)(R9*1), Z27; \
	VFMADD231PS Z24, Z27, Z14; \
	VFMADD231PS Z25, Z27, Z15; \
	ADDQ R11, SI; \
	ADDQ R11, R10; \
	ADDQ R11, R12

#define KSTEP8_AVX512 \
	VMOVUPS (DI), Z24; \
	VMOVUPS 64(DI), Z25; \
	KFMA8_AVX512; \
	ADDQ $128, DI

#define KSTEPI8_AVX512 \
	MOVQ    (R14), AX; \
	VMOVUPS (DI)(AX*4), Z24; \
	VMOVUPS 64(DI)(AX*4), Z25; \
	KFMA8_AVX512; \
	ADDQ    $8, R14

// ZERO16_AVX512 clears Z0..Z15.
#define ZERO16_AVX512 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

// SCALE16_AVX512 multiplies Z0..Z15 by alpha (in Z28).
#define SCALE16_AVX512 \
	VMULPS Z28, Z0, Z0; \
	VMULPS Z28, Z1, Z1; \
	VMULPS Z28, Z2, Z2; \
	VMULPS Z28, Z3, Z3; \
	VMULPS Z28, Z4, Z4; \
	VMULPS Z28, Z5, Z5; \
	VMULPS Z28, Z6, Z6; \
	VMULPS Z28, Z7, Z7; \
	VMULPS Z28, Z8, Z8; \
	VMULPS Z28, Z9, Z9; \
	VMULPS Z28, Z10, Z10; \
	VMULPS Z28, Z11, Z11; \
	VMULPS Z28, Z12, Z12; \
	VMULPS Z28, Z13, Z13; \
	VMULPS Z28, Z14, Z14; \
	VMULPS Z28, Z15, Z15

// func sgemm8x32AVX512(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32, rows int)
TEXT ·sgemm8x32AVX512(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $2, R9
	MOVQ aks+24(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R12
	ADDQ R9, R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8

	ZERO16_AVX512

	K_LOOP(KSTEP8_AVX512, sgemm8x32AVX512_loop4, sgemm8x32AVX512_rem, sgemm8x32AVX512_loop1, sgemm8x32AVX512_done)
	VBROADCASTSS alpha+56(FP), Z28
	SCALE16_AVX512
	MOVQ rows+64(FP), BX

	MOVL beta+60(FP), AX
	ANDL $0x7fffffff, AX
	JZ   sgemm8x32AVX512_store

	VBROADCASTSS beta+60(FP), Z28
	BETA_AVX512(Z0, Z1)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z2, Z3)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z4, Z5)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z6, Z7)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z8, Z9)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z10, Z11)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z12, Z13)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	BETA_AVX512(Z14, Z15)
	JMP  sgemm8x32AVX512_ret

sgemm8x32AVX512_store:
	STORE_AVX512(Z0, Z1)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z2, Z3)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z4, Z5)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z6, Z7)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z8, Z9)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z10, Z11)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z12, Z13)
	DECQ BX
	JZ   sgemm8x32AVX512_ret
	STORE_AVX512(Z14, Z15)

sgemm8x32AVX512_ret:
	VZEROUPPER
	RET

// func sgemm8x32AVX512Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)
TEXT ·sgemm8x32AVX512Ind(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $2, R9
	MOVQ aks+24(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R12
	ADDQ R9, R12
	MOVQ b+32(FP), DI
	MOVQ boff+40(FP), R14
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8

	ZERO16_AVX512

	K_LOOP(KSTEPI8_AVX512, sgemm8x32AVX512Ind_loop4, sgemm8x32AVX512Ind_rem, sgemm8x32AVX512Ind_loop1, sgemm8x32AVX512Ind_done)
	VBROADCASTSS alpha+64(FP), Z28
	SCALE16_AVX512
	MOVQ rows+72(FP), BX

	MOVL beta+68(FP), AX
	ANDL $0x7fffffff, AX
	JZ   sgemm8x32AVX512Ind_store

	VBROADCASTSS beta+68(FP), Z28
	BETA_AVX512(Z0, Z1)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z2, Z3)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z4, Z5)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z6, Z7)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z8, Z9)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z10, Z11)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z12, Z13)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	BETA_AVX512(Z14, Z15)
	JMP  sgemm8x32AVX512Ind_ret

sgemm8x32AVX512Ind_store:
	STORE_AVX512(Z0, Z1)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z2, Z3)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z4, Z5)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z6, Z7)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z8, Z9)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z10, Z11)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z12, Z13)
	DECQ BX
	JZ   sgemm8x32AVX512Ind_ret
	STORE_AVX512(Z14, Z15)

sgemm8x32AVX512Ind_ret:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// sgemm6x16AVX2Ind: the 6x16 tile of sgemm6x16AVX2N (one panel) with B read
// in place, row p at b + boff[p] (see sgemm12x32AVX512IndN), storing only the
// first `rows` (1 to 6) rows. The same FMAs in the same order as the packed
// kernel, so the results are bit for bit the same.
//
// Arguments: kc+0(FP) a+8(FP) ars+16(FP) aks+24(FP) b+32(FP) boff+40(FP)
// c+48(FP) ldc+56(FP) alpha+64(FP) beta+68(FP) rows+72(FP)
//
// Register plan: that of sgemm6x16AVX2N, and R14 boff at row p, AX
// boff[p] (the row is at (DI)(AX*4)), BX the rows left to store in the
// epilogue.

#define KSTEPI_AVX2 \
	MOVQ    (R14), AX; \
	VMOVUPS (DI)(AX*4), Y12; \
	VMOVUPS 32(DI)(AX*4), Y13; \
	KFMA6_AVX2; \
	ADDQ    $8, R14

// func sgemm6x16AVX2Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)
TEXT ·sgemm6x16AVX2Ind(SB), NOSPLIT, $0-80
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R9
	SHLQ $2, R9
	MOVQ aks+24(FP), R11
	SHLQ $2, R11
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	MOVQ b+32(FP), DI
	MOVQ boff+40(FP), R14
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	K_LOOP(KSTEPI_AVX2, i2_loop4, i2_rem, i2_loop1, i2_done)
	VBROADCASTSS alpha+64(FP), Y14
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VMULPS Y14, Y8, Y8
	VMULPS Y14, Y9, Y9
	VMULPS Y14, Y10, Y10
	VMULPS Y14, Y11, Y11
	MOVQ rows+72(FP), BX

	MOVL beta+68(FP), AX
	ANDL $0x7fffffff, AX
	JZ   i2_store

	VBROADCASTSS beta+68(FP), Y15
	BETA_AVX2(Y0, Y1)
	DECQ BX
	JZ   i2_ret
	BETA_AVX2(Y2, Y3)
	DECQ BX
	JZ   i2_ret
	BETA_AVX2(Y4, Y5)
	DECQ BX
	JZ   i2_ret
	BETA_AVX2(Y6, Y7)
	DECQ BX
	JZ   i2_ret
	BETA_AVX2(Y8, Y9)
	DECQ BX
	JZ   i2_ret
	BETA_AVX2(Y10, Y11)
	JMP  i2_ret

i2_store:
	STORE_AVX2(Y0, Y1)
	DECQ BX
	JZ   i2_ret
	STORE_AVX2(Y2, Y3)
	DECQ BX
	JZ   i2_ret
	STORE_AVX2(Y4, Y5)
	DECQ BX
	JZ   i2_ret
	STORE_AVX2(Y6, Y7)
	DECQ BX
	JZ   i2_ret
	STORE_AVX2(Y8, Y9)
	DECQ BX
	JZ   i2_ret
	STORE_AVX2(Y10, Y11)

i2_ret:
	VZEROUPPER
	RET

// A_ROWS12 points R10, R12 and R13 at rows 3, 6 and 9 of the A panel
// at SI (row stride R9 bytes), for the 12-row kernels.
#define A_ROWS12 \
	LEAQ (SI)(R9*2), R10; \
	ADDQ R9, R10; \
	LEAQ (R10)(R9*2), R12; \
	ADDQ R9, R12; \
	LEAQ (R12)(R9*2), R13; \
	ADDQ R9, R13

// EPILOGUE12_AVX512 finishes a 12x32 tile: the sums times alpha, then
// C = that + beta*C (BETA12_AVX512) or, for beta = +-0, C = that without
// reading C (STORE12_AVX512); it goes on at next.
#define EPILOGUE12_AVX512(alpha, beta, store, next) \
	VBROADCASTSS alpha, Z28; \
	SCALE24_AVX512; \
	MOVL beta, AX; \
	ANDL $0x7fffffff, AX; \
	JZ   store; \
	VBROADCASTSS beta, Z28; \
	BETA12_AVX512; \
	JMP  next; \
store: \
	STORE12_AVX512; \
next:

// ---------------------------------------------------------------------------
// sgemm12x32AVX512N and sgemm12x32AVX512IndN: the 12x32 kernel, B packed
// (KSTEP_AVX512) or read in place (KSTEPI_AVX512), over np full row panels
// in one call, as sgemm6x16AVX2N does for AVX2: panel i reads A at
// a + i*apanel (elements) and writes the 12 rows of C that follow panel
// i-1's, all against the same B panel, which saves the Go driver a call and
// its checks per tile; a single tile is np = 1.
//
// Register plan: that of the 12x32 kernel above (and R14, AX for B in
// place); the panels left and the current A panel live in the frame (0(SP),
// 8(SP)); DX runs on from one panel's C rows to the next.

// func sgemm12x32AVX512N(np, kc int, a *float32, ars, aks, apanel int, b *float32, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm12x32AVX512N(SB), NOSPLIT, $16-80
	MOVQ np+0(FP), AX
	TESTQ AX, AX
	JZ   sgemm12x32AVX512N_end
	MOVQ AX, 0(SP)
	MOVQ a+16(FP), AX
	MOVQ AX, 8(SP)
	MOVQ ars+24(FP), R9
	SHLQ $2, R9
	MOVQ aks+32(FP), R11
	SHLQ $2, R11
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), R8
	SHLQ $2, R8

sgemm12x32AVX512N_panel:
	MOVQ 8(SP), SI
	A_ROWS12
	MOVQ b+48(FP), DI
	MOVQ kc+8(FP), CX

	ZERO24_AVX512

	K_LOOP(KSTEP_AVX512, sgemm12x32AVX512N_loop4, sgemm12x32AVX512N_rem, sgemm12x32AVX512N_loop1, sgemm12x32AVX512N_done)
	EPILOGUE12_AVX512(alpha+72(FP), beta+76(FP), sgemm12x32AVX512N_store, sgemm12x32AVX512N_next)
	MOVQ apanel+40(FP), AX
	SHLQ $2, AX
	ADDQ AX, 8(SP)
	DECQ 0(SP)
	JNZ  sgemm12x32AVX512N_panel

sgemm12x32AVX512N_end:
	VZEROUPPER
	RET

// func sgemm12x32AVX512IndN(np, kc int, a *float32, ars, aks, apanel int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm12x32AVX512IndN(SB), NOSPLIT, $16-88
	MOVQ np+0(FP), AX
	TESTQ AX, AX
	JZ   sgemm12x32AVX512IndN_end
	MOVQ AX, 0(SP)
	MOVQ a+16(FP), AX
	MOVQ AX, 8(SP)
	MOVQ ars+24(FP), R9
	SHLQ $2, R9
	MOVQ aks+32(FP), R11
	SHLQ $2, R11
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R8
	SHLQ $2, R8

sgemm12x32AVX512IndN_panel:
	MOVQ 8(SP), SI
	A_ROWS12
	MOVQ b+48(FP), DI
	MOVQ boff+56(FP), R14
	MOVQ kc+8(FP), CX

	ZERO24_AVX512

	K_LOOP(KSTEPI_AVX512, sgemm12x32AVX512IndN_loop4, sgemm12x32AVX512IndN_rem, sgemm12x32AVX512IndN_loop1, sgemm12x32AVX512IndN_done)
	EPILOGUE12_AVX512(alpha+80(FP), beta+84(FP), sgemm12x32AVX512IndN_store, sgemm12x32AVX512IndN_next)
	MOVQ apanel+40(FP), AX
	SHLQ $2, AX
	ADDQ AX, 8(SP)
	DECQ 0(SP)
	JNZ  sgemm12x32AVX512IndN_panel

sgemm12x32AVX512IndN_end:
	VZEROUPPER
	RET
