package ops

import (
	"fmt"
)

// Mat describes a strided float32 matrix operand: element (i, j) is
// Data[i*RS + j*CS]. Any strides are allowed (a transposed view just swaps RS
// and CS); the kernels pack operands into contiguous panels first.
type Mat struct {
	Data   []float32
	RS, CS int
}

// RowMajor describes a row-major matrix with leading dimension ld.
func RowMajor(data []float32, ld int) Mat { return Mat{data, ld, 1} }

// ColMajor describes a column-major matrix with leading dimension ld, which is
// also the transpose of a row-major one.
func ColMajor(data []float32, ld int) Mat { return Mat{data, 1, ld} }

// Act is an activation applied by a GEMM epilogue.
type Act uint8

// Activations an Epilogue can apply.
const (
	ActNone Act = iota
	ActReLU
	ActGELU // exact erf form: x * (1 + erf(x/sqrt2)) / 2
	ActSiLU // x * sigmoid(x), bit for bit as SiLU computes it
)

// Epilogue is work fused into a GEMM after the product: C = act(alpha*A*B +
// beta*C + bias). Bias, if non-nil, has one value per column of C (a linear
// layer's output features) or, with BiasPerRow, one per row (a convolution's
// output channels in the NCHW layout).
type Epilogue struct {
	Bias       []float32
	BiasPerRow bool
	Act        Act
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, as
// BLAS's cblas_sgemm with CblasRowMajor: op(A) is m x k, op(B) is k x n, C is
// m x n. When beta is 0, C is not read (it may hold NaNs or garbage).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	am, bm := RowMajor(a, lda), RowMajor(b, ldb)
	if transA {
		am = ColMajor(a, lda)
	}
	if transB {
		bm = ColMajor(b, ldb)
	}
	Gemm(m, n, k, alpha, am, bm, beta, RowMajor(c, ldc), Epilogue{})
}

// Gemm computes C = act(alpha*A*B + beta*C + bias) for strided operands: A is
// m x k, B is k x n, C is m x n. It runs on Workers() goroutines, each
// computing whole tiles of C with the same summation order, so the result is
// bit-identical for any number of workers.
func Gemm(m, n, k int, alpha float32, a, b Mat, beta float32, c Mat, ep Epilogue) {
	checkMat("A", a, m, k)
	checkMat("B", b, k, n)
	checkMat("C", c, m, n)
	checkEpilogue(ep, m, n)
	gemm(m, n, k, alpha, a, nil, b, nil, beta, c, ep)
}

// GemmSerial is Gemm computed on the calling goroutine only, for callers that
// already run independent products in parallel (attention heads, batch
// items). Its result is bit-identical to Gemm's.
func GemmSerial(m, n, k int, alpha float32, a, b Mat, beta float32, c Mat, ep Epilogue) {
	checkMat("A", a, m, k)
	checkMat("B", b, k, n)
	checkMat("C", c, m, n)
	checkEpilogue(ep, m, n)
	gemmK(activeKernel, 1, m, n, k, alpha, a, nil, b, nil, beta, c, ep)
}

// PackedB is a k x n right-hand operand packed once into the kernels' panel
// layout, for weights that multiply many inputs. It is read-only after PackB
// and safe for concurrent use.
type PackedB struct {
	k, n int
	kern *kernel
	data []float32 // per K block: ceil(n/NR) panels of kcb x NR
}

// K returns the number of rows of the packed operand.
func (p *PackedB) K() int { return p.k }

// N returns the number of columns of the packed operand.
func (p *PackedB) N() int { return p.n }

// PackB packs the k x n matrix b for GemmPackedB.
func PackB(k, n int, b Mat) *PackedB {
	checkMat("B", b, k, n)
	kn := activeKernel
	nr := kn.nr
	np := (n + nr - 1) / nr
	p := &PackedB{k: k, n: n, kern: kn, data: make([]float32, np*nr*k)}
	for pc := 0; pc < k; pc += kn.kc {
		kcb := min(kn.kc, k-pc)
		blk := p.data[pc*np*nr : (pc+kcb)*np*nr]
		ParallelFor(np, 8, func(lo, hi int) {
			for jp := lo; jp < hi; jp++ {
				packB(blk[jp*kcb*nr:(jp+1)*kcb*nr], b, pc, kcb, jp*nr, min(nr, n-jp*nr), nr)
			}
		})
	}
	return p
}

// GemmPackedB is Gemm with B packed by PackB.
func GemmPackedB(m int, alpha float32, a Mat, pb *PackedB, beta float32, c Mat, ep Epilogue) {
	checkMat("A", a, m, pb.k)
	checkMat("C", c, m, pb.n)
	checkEpilogue(ep, m, pb.n)
	gemm(m, pb.n, pb.k, alpha, a, nil, Mat{}, pb, beta, c, ep)
}

// PackedA is an m x k left-hand operand packed once, for weights on the left
// (a convolution's [out, in*kh*kw] matrix). Read-only after PackA.
type PackedA struct {
	m, k int
	kern *kernel
	data []float32 // per K block: ceil(m/MR) panels of kcb x MR
}

// M returns the number of rows of the packed operand.
func (p *PackedA) M() int { return p.m }

// K returns the number of columns of the packed operand.
func (p *PackedA) K() int { return p.k }

// PackA packs the m x k matrix a for GemmPackedA.
func PackA(m, k int, a Mat) *PackedA {
	checkMat("A", a, m, k)
	kn := activeKernel
	mr := kn.mr
	mp := (m + mr - 1) / mr
	p := &PackedA{m: m, k: k, kern: kn, data: make([]float32, mp*mr*k)}
	for pc := 0; pc < k; pc += kn.kc {
		kcb := min(kn.kc, k-pc)
		blk := p.data[pc*mp*mr : (pc+kcb)*mp*mr]
		ParallelFor(mp, 8, func(lo, hi int) {
			for ip := lo; ip < hi; ip++ {
				packA(blk[ip*kcb*mr:(ip+1)*kcb*mr], a, ip*mr, min(mr, m-ip*mr), pc, kcb, mr)
			}
		})
	}
	return p
}

// GemmPackedA is Gemm with A packed by PackA.
func GemmPackedA(n int, alpha float32, pa *PackedA, b Mat, beta float32, c Mat, ep Epilogue) {
	checkMat("B", b, pa.k, n)
	checkMat("C", c, pa.m, n)
	checkEpilogue(ep, pa.m, n)
	gemm(pa.m, n, pa.k, alpha, Mat{}, pa, b, nil, beta, c, ep)
}

// checkMat panics when the described matrix does not fit its slice: operand
// shapes are the caller's contract, checked by the layers above with errors.
func checkMat(name string, x Mat, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if x.RS < 0 || x.CS < 0 {
		panic(fmt.Sprintf("ops.Gemm: %s has negative strides", name))
	}
	last := (rows-1)*x.RS + (cols-1)*x.CS
	if last >= len(x.Data) {
		panic(fmt.Sprintf("ops.Gemm: %s (%dx%d, strides %d,%d) needs %d values, has %d", name, rows, cols, x.RS, x.CS, last+1, len(x.Data)))
	}
}

func checkEpilogue(ep Epilogue, m, n int) {
	if ep.Bias == nil {
		return
	}
	want := n
	if ep.BiasPerRow {
		want = m
	}
	if len(ep.Bias) < want {
		panic(fmt.Sprintf("ops.Gemm: bias has %d values, need %d", len(ep.Bias), want))
	}
}
