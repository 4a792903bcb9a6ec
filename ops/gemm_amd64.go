//go:build !noasm

package ops

// sgemm6x16AVX2N is the AVX2/FMA micro-kernel (MR=6, NR=16) on np
// consecutive row panels of C (6 rows each, ldc apart) with the same B
// panel, panel i reading A at a[i*apanel:] through ars and aks. For one
// panel, in plain Go:
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var acc float32
//			for p := 0; p < kc; p++ {
//				acc += a[i*ars+p*aks] * b[p*16+j]
//			}
//			c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j] // c not read if beta == 0
//		}
//	}
//
//go:noescape
func sgemm6x16AVX2N(np, kc int, a *float32, ars, aks, apanel int, b, c *float32, ldc int, alpha, beta float32)

// sgemm4x32AVX512 is the 12x32 kernel on rows 0-3 of the tile, storing
// only the first rows (1 to 4) of them, bit for bit the same values.
//
//go:noescape
func sgemm4x32AVX512(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32, rows int)

// sgemm4x32AVX512Ind is sgemm4x32AVX512 with row p of B read at
// b + boff[p].
//
//go:noescape
func sgemm4x32AVX512Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)

// sgemm8x32AVX512 is the 12x32 kernel on rows 0-7 of the tile, storing
// only the first rows (1 to 8) of them, bit for bit the same values.
//
//go:noescape
func sgemm8x32AVX512(kc int, a *float32, ars, aks int, b, c *float32, ldc int, alpha, beta float32, rows int)

// sgemm8x32AVX512Ind is sgemm8x32AVX512 with row p of B read at
// b + boff[p].
//
//go:noescape
func sgemm8x32AVX512Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)

// sgemm6x16AVX2Ind is one tile of sgemm6x16AVX2N with row p of B read at
// b + boff[p], storing the first rows (1 to 6).
//
//go:noescape
func sgemm6x16AVX2Ind(kc int, a *float32, ars, aks int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, rows int)

// sgemm12x32AVX512N is the AVX-512 micro-kernel (MR=12, NR=32) over np
// full row panels (see sgemm6x16AVX2N; one tile is np = 1).
//
//go:noescape
func sgemm12x32AVX512N(np, kc int, a *float32, ars, aks, apanel int, b, c *float32, ldc int, alpha, beta float32)

// sgemm12x32AVX512IndN is sgemm12x32AVX512N with row p of B read at
// b + boff[p] (an indirect GEMM; see gemm_amd64.s).
//
//go:noescape
func sgemm12x32AVX512IndN(np, kc int, a *float32, ars, aks, apanel int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32)

// The wrappers check the slice bounds once per tile, so a driver bug panics
// instead of reading or writing out of bounds.
func microAVX2(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = a[5*ars+(kc-1)*aks], b[kc*16-1], c[5*ldc+15]
	sgemm6x16AVX2N(1, kc, &a[0], ars, aks, 0, &b[0], &c[0], ldc, alpha, beta)
}

func microAVX2N(np, kc int, a []float32, ars, aks, apanel int, b, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = a[(np-1)*apanel+5*ars+(kc-1)*aks], b[kc*16-1], c[(np*6-1)*ldc+15]
	sgemm6x16AVX2N(np, kc, &a[0], ars, aks, apanel, &b[0], &c[0], ldc, alpha, beta)
}

func microAVX512(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = a[11*ars+(kc-1)*aks], b[kc*32-1], c[11*ldc+31]
	sgemm12x32AVX512N(1, kc, &a[0], ars, aks, 0, &b[0], &c[0], ldc, alpha, beta)
}

func microNAVX512(np, kc int, a []float32, ars, aks, apanel int, b, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = a[(np-1)*apanel+11*ars+(kc-1)*aks], b[kc*32-1], c[(np*12-1)*ldc+31]
	sgemm12x32AVX512N(np, kc, &a[0], ars, aks, apanel, &b[0], &c[0], ldc, alpha, beta)
}

// microIndNAVX512 is microIndAVX512 on np full row panels (panel i's A at
// a[i*apanel:], its C rows after panel i-1's); the caller guarantees that
// B's rows lie in b.
func microIndNAVX512(np, kc int, a []float32, ars, aks, apanel int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
	_, _, _, _ = a[(np-1)*apanel+11*ars+(kc-1)*aks], b[0], boff[kc-1], c[(np*12-1)*ldc+31]
	sgemm12x32AVX512IndN(np, kc, &a[0], ars, aks, apanel, &b[0], &boff[0], &c[0], ldc, alpha, beta)
}

// microRowsAVX512 computes the first rows (1 to 8) of a 12 x 32 tile:
// rows 0-3 (reading 4 rows of A) when there are at most 4, else rows 0-7
// (reading 8).
func microRowsAVX512(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32, rows int) {
	_, _ = b[kc*32-1], c[(rows-1)*ldc+31]
	switch {
	case rows >= 1 && rows <= 4:
		_ = a[3*ars+(kc-1)*aks]
		sgemm4x32AVX512(kc, &a[0], ars, aks, &b[0], &c[0], ldc, alpha, beta, rows)
	case rows > 4 && rows <= 8:
		_ = a[7*ars+(kc-1)*aks]
		sgemm8x32AVX512(kc, &a[0], ars, aks, &b[0], &c[0], ldc, alpha, beta, rows)
	default:
		panic("ops: microRowsAVX512: rows out of range")
	}
}

// microIndAVX2 computes the first rows (1 to 6) of a 6 x 16 tile with B
// read in place (row p at b[boff[p]:]; the caller guarantees the rows lie
// in b, see microIndAVX512).
func microIndAVX2(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int) {
	if rows < 1 || rows > 6 {
		panic("ops: microIndAVX2: rows out of range")
	}
	_, _, _, _ = a[5*ars+(kc-1)*aks], b[0], boff[kc-1], c[(rows-1)*ldc+15]
	sgemm6x16AVX2Ind(kc, &a[0], ars, aks, &b[0], &boff[0], &c[0], ldc, alpha, beta, rows)
}

// microIndAVX512 computes the first rows (1 to 12) of a 12 x 32 tile with
// B read in place (row p at b[boff[p]:]): the whole tile in one call, fewer
// rows as 8 (reading 8 rows of A) and up to 4 (reading 4). The caller guarantees
// that every row b[boff[p] : boff[p]+32] lies in b (gemmTile checks it once
// per panel); A and C are checked here.
func microIndAVX512(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int) {
	_, _ = b[0], boff[kc-1]
	if rows == 12 {
		_, _ = a[11*ars+(kc-1)*aks], c[11*ldc+31]
		sgemm12x32AVX512IndN(1, kc, &a[0], ars, aks, 0, &b[0], &boff[0], &c[0], ldc, alpha, beta)
		return
	}
	if rows < 1 || rows > 12 {
		panic("ops: microIndAVX512: rows out of range")
	}
	// 5 to 11 rows: 8 in one call, then the rest (up to 4).
	r0 := 0
	if rows > 4 {
		n := min(8, rows)
		_, _ = a[7*ars+(kc-1)*aks], c[(n-1)*ldc+31]
		sgemm8x32AVX512Ind(kc, &a[0], ars, aks, &b[0], &boff[0], &c[0], ldc, alpha, beta, n)
		r0 = n
	}
	if n := rows - r0; n > 0 {
		_, _ = a[(r0+3)*ars+(kc-1)*aks], c[(r0+n-1)*ldc+31]
		sgemm4x32AVX512Ind(kc, &a[r0*ars], ars, aks, &b[0], &boff[0], &c[r0*ldc], ldc, alpha, beta, n)
	}
}

var (
	kernelAVX2 = &kernel{name: PathAVX2, mr: 6, nr: 16, kc: 256, mc: 192, nc: 3072, micro: microAVX2, microN: microAVX2N, microInd: microIndAVX2}
	// The AVX-512 kernel reads A in place up to 8 column panels (N = 256,
	// RT-DETR's linear layers on 8400 tokens: 2% faster at 1 thread, the
	// same at 2, than packing A).
	kernelAVX512 = &kernel{name: PathAVX512, mr: 12, nr: 32, kc: 256, mc: 192, nc: 3072, aReuse: 9, micro: microAVX512, microN: microNAVX512, microRows: microRowsAVX512, microInd: microIndAVX512, microIndN: microIndNAVX512}
)

func pickKernel() *kernel {
	switch {
	case useAVX512:
		return kernelAVX512
	case useAVX2:
		return kernelAVX2
	}
	return genericKernel
}

// asmKernels lists the assembly micro-kernels this CPU can run, fastest
// first, whatever LADDERPOSE_NOAVX512 says (tests run them all).
func asmKernels() []*kernel {
	var ks []*kernel
	if haveAVX512() {
		ks = append(ks, kernelAVX512)
	}
	if haveAVX2() {
		ks = append(ks, kernelAVX2)
	}
	return ks
}
