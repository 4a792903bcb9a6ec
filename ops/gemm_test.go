package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmTol is the accepted error of a float32 GEMM against the float64
// reference: |got - want| <= gemmTol * (sum_p |a_ip * b_pj| * |alpha| +
// |beta*c_ij| + 1e-30). A float32 dot product of length k has a worst-case
// relative error of about k*eps against the sum of magnitudes; blocked FMA
// summation does far better, and this bound (4 eps * sqrt(k) would be the
// statistical one) catches any wrong term, since one missing or doubled
// product moves the result by far more.
func gemmTol(k int) float64 { return 8 * 1.2e-7 * math.Sqrt(float64(k)+1) }

// kernelsUnderTest returns the pure-Go kernel and every assembly kernel this
// CPU runs, and logs which paths are skipped.
func kernelsUnderTest(t testing.TB) []*kernel {
	ks := append([]*kernel{genericKernel}, asmKernels()...)
	names := ""
	for _, k := range ks {
		names += " " + k.name
	}
	t.Logf("GEMM kernels tested:%s (dispatch path %s)", names, Path())
	if runtime.GOARCH == "amd64" && !haveAVX512() {
		t.Logf("AVX-512 GEMM kernel skipped: this CPU has no AVX-512")
	}
	return ks
}

type gemmCase struct {
	m, n, k     int
	transA      bool
	transB      bool
	alpha, beta float32
	padA, padB  int // extra leading-dimension padding
	colStrideC  int // 1, or >1 for a strided C
	ep          Epilogue
	packA       bool
	packB       bool
}

func gemmRandSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

const guard = 1234.5

// runGemmCase computes the case with kernel kn and compares with float64.
func runGemmCase(t *testing.T, kn *kernel, tc gemmCase, r *rand.Rand) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	var a, b Mat
	// A: m x k, stored transposed when transA.
	if tc.transA {
		ld := m + tc.padA
		a = ColMajor(gemmRandSlice(r, ld*k+1), ld)
	} else {
		ld := k + tc.padA
		a = RowMajor(gemmRandSlice(r, ld*m+1), ld)
	}
	if tc.transB {
		ld := k + tc.padB
		b = ColMajor(gemmRandSlice(r, ld*n+1), ld)
	} else {
		ld := n + tc.padB
		b = RowMajor(gemmRandSlice(r, ld*k+1), ld)
	}
	cs := max(tc.colStrideC, 1)
	ldc := n*cs + 3
	// Guard values before and after, and in the gaps of strided rows.
	const g = 16
	cbuf := make([]float32, g+ldc*m+g)
	for i := range cbuf {
		cbuf[i] = guard
	}
	c := Mat{Data: cbuf[g : g+ldc*m], RS: ldc, CS: cs}
	c0 := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := float32(r.NormFloat64())
			if tc.beta == 0 {
				v = float32(math.NaN()) // must not be read
			}
			c.Data[i*ldc+j*cs] = v
			c0[i*n+j] = float64(v)
		}
	}
	var pa *PackedA
	var pb *PackedB
	if tc.packA {
		pa = packAWith(kn, m, k, a)
	}
	if tc.packB {
		pb = packBWith(kn, k, n, b)
	}
	gemmK(kn, 0, m, n, k, tc.alpha, a, pa, b, pb, tc.beta, c, tc.ep)

	at := func(x Mat, i, j int) float64 { return float64(x.Data[i*x.RS+j*x.CS]) }
	tol := gemmTol(k)
	var maxErr float64
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for p := 0; p < k; p++ {
				v := at(a, i, p) * at(b, p, j)
				s += v
				mag += math.Abs(v)
			}
			want := float64(tc.alpha) * s
			mag *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				want += float64(tc.beta) * c0[i*n+j]
				mag += math.Abs(float64(tc.beta) * c0[i*n+j])
			}
			if tc.ep.Bias != nil {
				bv := tc.ep.Bias[j]
				if tc.ep.BiasPerRow {
					bv = tc.ep.Bias[i]
				}
				want += float64(bv)
				mag += math.Abs(float64(bv))
			}
			switch tc.ep.Act {
			case ActReLU:
				want = math.Max(want, 0)
			case ActGELU:
				want = 0.5 * want * (1 + math.Erf(want/math.Sqrt2))
				mag += 1e-6
			}
			got := float64(c.Data[i*ldc+j*cs])
			err := math.Abs(got - want)
			if !(err <= tol*(mag+1e-30)) {
				t.Fatalf("%s %+v: C[%d][%d] = %v, want %v (err %.3g > %.3g)", kn.name, tc, i, j, got, want, err, tol*mag)
			}
			if mag > 0 {
				maxErr = math.Max(maxErr, err/mag)
			}
		}
	}
	// Guards: nothing outside the m x n elements may change.
	for i, v := range cbuf {
		inside := i >= g && i < g+ldc*m
		if inside {
			o := i - g
			row, col := o/ldc, o%ldc
			if col%cs == 0 && col/cs < n && row < m {
				continue
			}
		}
		if v != guard {
			t.Fatalf("%s %+v: wrote outside C at buffer index %d (value %v)", kn.name, tc, i, v)
		}
	}
}

// packAWith and packBWith pack with a given kernel's layout (the exported
// functions use the dispatch path's kernel).
func packAWith(kn *kernel, m, k int, a Mat) *PackedA {
	mp := (m + kn.mr - 1) / kn.mr
	p := &PackedA{m: m, k: k, kern: kn, data: make([]float32, mp*kn.mr*k)}
	for pc := 0; pc < k; pc += kn.kc {
		kcb := min(kn.kc, k-pc)
		blk := p.data[pc*mp*kn.mr:]
		for ip := 0; ip < mp; ip++ {
			packA(blk[ip*kcb*kn.mr:(ip+1)*kcb*kn.mr], a, ip*kn.mr, min(kn.mr, m-ip*kn.mr), pc, kcb, kn.mr)
		}
	}
	return p
}

func packBWith(kn *kernel, k, n int, b Mat) *PackedB {
	np := (n + kn.nr - 1) / kn.nr
	p := &PackedB{k: k, n: n, kern: kn, data: make([]float32, np*kn.nr*k)}
	for pc := 0; pc < k; pc += kn.kc {
		kcb := min(kn.kc, k-pc)
		blk := p.data[pc*np*kn.nr:]
		for jp := 0; jp < np; jp++ {
			packB(blk[jp*kcb*kn.nr:(jp+1)*kcb*kn.nr], b, pc, kcb, jp*kn.nr, min(kn.nr, n-jp*kn.nr), kn.nr)
		}
	}
	return p
}

func TestGemmRagged(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 3, 7, 15, 17, 33, 65}
	for _, kn := range kernelsUnderTest(t) {
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range []int{1, 7, 17, 65} {
					tc := gemmCase{m: m, n: n, k: k, alpha: 1, beta: 0,
						transA: (m+n)%2 == 0, transB: (n+k)%3 == 0, padA: k % 3, padB: m % 2}
					runGemmCase(t, kn, tc, r)
				}
			}
		}
	}
}

func TestGemmVariants(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	bias := gemmRandSlice(r, 600)
	for _, kn := range kernelsUnderTest(t) {
		big := gemmCase{m: 37, n: 3100, k: 300, alpha: 0.5, beta: 1} // more than one NC block
		if testing.Short() {
			big.n = 200
		}
		cases := []gemmCase{
			// More than one K block (kc = 256) and more than one M/N block.
			{m: 200, n: 70, k: 600, alpha: 1, beta: 0},
			big,
			{m: 211, n: 45, k: 513, alpha: -1.5, beta: 0.25, transA: true, transB: true},
			{m: 50, n: 50, k: 257, alpha: 1, beta: -2, padA: 5, padB: 7},
			{m: 31, n: 29, k: 40, alpha: 2, beta: 0, colStrideC: 3},
			{m: 31, n: 29, k: 40, alpha: 2, beta: 0.5, colStrideC: 2},
			{m: 45, n: 67, k: 300, alpha: 1, beta: 0, ep: Epilogue{Bias: bias, Act: ActGELU}},
			{m: 45, n: 67, k: 30, alpha: 1, beta: 1, ep: Epilogue{Bias: bias, BiasPerRow: true, Act: ActReLU}},
			{m: 45, n: 67, k: 30, alpha: 1, beta: 0, ep: Epilogue{Bias: bias, BiasPerRow: true}, colStrideC: 2},
			{m: 100, n: 90, k: 520, alpha: 1, beta: 0, packB: true, transB: true, ep: Epilogue{Bias: bias}},
			{m: 100, n: 90, k: 520, alpha: 1, beta: 0.5, packA: true},
			{m: 7, n: 300, k: 9, alpha: 1, beta: 0, packA: true, ep: Epilogue{Bias: bias, BiasPerRow: true, Act: ActReLU}},
			// Epilogue strips of epiloguePanels column panels and a ragged
			// last strip and panel, after the last of three K blocks.
			{m: 40, n: 550, k: 600, alpha: 1, beta: 0, packB: true, ep: Epilogue{Bias: bias, Act: ActGELU}},
			{m: 13, n: 590, k: 70, alpha: 1, beta: 0.5, ep: Epilogue{Bias: bias, BiasPerRow: true, Act: ActReLU}},
			{m: 0, n: 5, k: 5, alpha: 1, beta: 0},
			{m: 5, n: 5, k: 0, alpha: 1, beta: 0.5},
			{m: 5, n: 5, k: 0, alpha: 1, beta: 0, ep: Epilogue{Bias: bias, Act: ActReLU}},
		}
		for _, tc := range cases {
			runGemmCase(t, kn, tc, r)
		}
	}
}

// TestGemmDeterministic checks that the result does not depend on the number
// of worker goroutines, bit for bit.
func TestGemmDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][3]int{{192, 2304, 768}, {3072, 64, 576}, {333, 333, 333}}
	if testing.Short() { // e.g. under qemu: still several blocks and workers
		shapes = [][3]int{{96, 300, 270}, {700, 40, 130}}
	}
	for _, kn := range kernelsUnderTest(t) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, b := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
			var outs [][]float32
			for _, procs := range []int{1, 2, 3} {
				old := runtime.GOMAXPROCS(procs)
				c := make([]float32, m*n)
				gemmK(kn, 0, m, n, k, 1, RowMajor(a, k), nil, RowMajor(b, n), nil, 0, RowMajor(c, n), Epilogue{})
				runtime.GOMAXPROCS(old)
				outs = append(outs, c)
			}
			c := make([]float32, m*n)
			GemmSerial(m, n, k, 1, RowMajor(a, k), RowMajor(b, n), 0, RowMajor(c, n), Epilogue{})
			if kn == activeKernel {
				outs = append(outs, c)
			}
			for i := 1; i < len(outs); i++ {
				for j := range outs[0] {
					if math.Float32bits(outs[0][j]) != math.Float32bits(outs[i][j]) {
						t.Fatalf("%s %dx%dx%d: element %d differs between GOMAXPROCS runs: %v vs %v", kn.name, m, k, n, j, outs[0][j], outs[i][j])
					}
				}
			}
		}
	}
}

func TestSgemmBLASForm(t *testing.T) {
	// C = A^T B^T with the cblas row-major convention, checked by hand.
	a := []float32{1, 2, 3, 4, 5, 6} // stored 3x2 (k x m), used as 2x3
	b := []float32{1, 0, 0, 1, 1, 1} // stored 2x3 (n x k), used as 3x2
	c := []float32{10, 10, 10, 10}
	Sgemm(true, true, 2, 2, 3, 1, a, 2, b, 3, 1, c, 2)
	// op(A) = [[1,3,5],[2,4,6]]; op(B) = [[1,1],[0,1],[0,1]] (its columns
	// are the rows of b).
	want := []float32{10 + 1 + 0 + 0, 10 + 1 + 3 + 5, 10 + 2, 10 + 2 + 4 + 6}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("Sgemm = %v, want %v", c, want)
		}
	}
}

func TestGemmBadOperandsPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a too-small operand did not panic")
		}
	}()
	Gemm(4, 4, 4, 1, RowMajor(make([]float32, 15), 4), RowMajor(make([]float32, 16), 4), 0, RowMajor(make([]float32, 16), 4), Epilogue{})
}

func ExampleSgemm() {
	a := []float32{1, 2, 3, 4} // 2x2
	b := []float32{5, 6, 7, 8} // 2x2
	c := make([]float32, 4)
	Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [19 22 43 50]
}

// TestPackARows checks the row-parallel packing of full 6- and 12-row
// panels against the element-by-element definition of the packed layout
// (column p of the panel at dst[p*mr:], rows in order), on ragged K, with a
// row stride wider than the rows.
func TestPackARows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, mr := range []int{6, 12} {
		for _, kcb := range []int{1, 7, 15, 17, 33, 256} {
			const p0, i0, extra = 3, 2, 5
			lda := p0 + kcb + extra
			a := RowMajor(gemmRandSlice(r, (i0+mr)*lda), lda)
			got := make([]float32, kcb*mr+1)
			got[kcb*mr] = 42 // guard
			packA(got[:kcb*mr], a, i0, mr, p0, kcb, mr)
			for p := 0; p < kcb; p++ {
				for i := 0; i < mr; i++ {
					if want := a.Data[(i0+i)*lda+p0+p]; got[p*mr+i] != want {
						t.Fatalf("mr %d kcb %d: dst[%d*%d+%d] = %v, want %v", mr, kcb, p, mr, i, got[p*mr+i], want)
					}
				}
			}
			if got[kcb*mr] != 42 {
				t.Fatalf("mr %d kcb %d: wrote past the panel", mr, kcb)
			}
		}
	}
}
