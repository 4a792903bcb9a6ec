package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// qkernelsUnderTest returns the pure-Go int8 kernel and every assembly one
// this CPU runs, and logs them.
func qkernelsUnderTest(t testing.TB) []*qkernel {
	ks := append([]*qkernel{genericQKernel}, asmQKernels()...)
	names := ""
	for _, k := range ks {
		names += " " + k.name
	}
	t.Logf("int8 GEMM kernels tested:%s (dispatch: %s)", names, activeQKernel.name)
	if len(ks) == 1 {
		t.Logf("no int8 assembly kernel for this CPU or build (amd64 AVX2/AVX-512 VNNI, arm64 SDOT)")
	}
	return ks
}

// qRef is an independent reference: the codes and scales from
// QuantizeRows and Int8, an int64 dot product per output, and the
// documented epilogue.
func qRef(t testing.TB, m int, x []float32, ldx int, qb *QuantizedB, bias []float32) (y []float32, s []int64, sx, sw []float32) {
	t.Helper()
	n, k := qb.N(), qb.K()
	qx := make([]int8, m*k)
	sx = make([]float32, m)
	if err := QuantizeRows(qx, sx, x, m, k, ldx); err != nil {
		t.Fatal(err)
	}
	qw, sw := qb.Int8()
	y = make([]float32, m*n)
	s = make([]int64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc int64
			for p := 0; p < k; p++ {
				acc += int64(qx[i*k+p]) * int64(qw[j*k+p])
			}
			var b float32
			if bias != nil {
				b = bias[j]
			}
			s[i*n+j] = acc
			y[i*n+j] = float32(float32(float32(acc)*sw[j])*sx[i]) + b
		}
	}
	return y, s, sx, sw
}

// qRandRows returns m rows of k values with row stride ldx, scaled per row
// so that the rows' ranges differ.
func qRandRows(r *rand.Rand, m, k, ldx int) []float32 {
	x := make([]float32, (m-1)*ldx+k+3)
	for i := range x {
		x[i] = float32(guard)
	}
	for i := 0; i < m; i++ {
		sc := math.Exp(r.NormFloat64())
		for p := 0; p < k; p++ {
			x[i*ldx+p] = float32(r.NormFloat64() * sc)
		}
	}
	return x
}

// runQGemm runs the int8 GEMM with kernel kn on at most w workers into a
// guarded C (row stride n+5) and returns C's m x n values, failing on any
// write outside them.
func runQGemm(t *testing.T, kn *qkernel, w, m int, x []float32, ldx int, qb *QuantizedB, ep Epilogue) []float32 {
	t.Helper()
	codes, scales := qb.Int8()
	qk := packQuantized(kn, codes, scales, qb.N(), qb.K())
	n := qb.N()
	ldc := n + 5
	const g = 16
	buf := make([]float32, g+(m-1)*ldc+n+g)
	for i := range buf {
		buf[i] = guard
	}
	c := Mat{Data: buf[g : g+(m-1)*ldc+n], RS: ldc, CS: 1}
	if err := gemmInt8(w, m, RowMajor(x, ldx), qk, c, ep, nil); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, m*n)
	for i, v := range buf {
		o := i - g
		if o >= 0 && o < len(c.Data) && o%ldc < n {
			out[(o/ldc)*n+o%ldc] = v
			continue
		}
		if v != guard {
			t.Fatalf("%s m=%d n=%d k=%d: wrote outside C at buffer index %d", kn.name, m, n, qb.K(), i)
		}
	}
	return out
}

// TestQGemmKernels checks every kernel path on ragged sizes (M, N, K not
// multiples of any tile, K odd, 1x1x1) bit for bit against the independent
// reference, which is also the pure-Go twin's result, with and without bias.
func TestQGemmKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 1))
	ms := []int{1, 2, 5, 6, 7, 8, 9, 13, 25}
	ns := []int{1, 3, 16, 17, 47, 48, 49, 97}
	ks := []int{1, 3, 4, 15, 16, 17, 33, 100}
	if testing.Short() {
		ms, ns, ks = []int{1, 7, 9}, []int{1, 17, 49}, []int{1, 17, 33}
	}
	kns := qkernelsUnderTest(t)
	for _, k := range ks {
		for _, n := range ns {
			wts := qRandRows(r, n, k, k)
			qb, err := QuantizeWeights(wts, n, k)
			if err != nil {
				t.Fatal(err)
			}
			bias := gemmRandSlice(r, n)
			for _, m := range ms {
				ldx := k + 2
				x := qRandRows(r, m, k, ldx)
				for bi, b := range [][]float32{nil, bias} {
					want, _, _, _ := qRef(t, m, x, ldx, qb, b)
					for _, kn := range kns {
						got := runQGemm(t, kn, 1, m, x, ldx, qb, Epilogue{Bias: b})
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s m=%d n=%d k=%d bias=%d: C[%d][%d] = %v, want %v", kn.name, m, n, k, bi, i/n, i%n, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestQGemmFloat64 checks the result against the float64 product of the
// dequantized operands, sum_k (s_x q_x)(s_w q_w) + bias: the integer sum
// is exact, so the only error is the float32 epilogue's (the int32 -> float32
// conversion, two products and the bias sum, each within half an ulp).
func TestQGemmFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2))
	m, n, k := 37, 101, 515
	x := qRandRows(r, m, k, k)
	qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
	if err != nil {
		t.Fatal(err)
	}
	bias := gemmRandSlice(r, n)
	_, s, sx, sw := qRef(t, m, x, k, qb, bias)
	for _, kn := range qkernelsUnderTest(t) {
		got := runQGemm(t, kn, 0, m, x, k, qb, Epilogue{Bias: bias})
		var worst float64
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				prod := float64(sx[i]) * float64(sw[j]) * float64(s[i*n+j])
				want := prod + float64(bias[j])
				err := math.Abs(float64(got[i*n+j]) - want)
				// 3 roundings of the product, one of the sum.
				tol := 0x1p-24*(3.01*math.Abs(prod)+math.Abs(want)) + 1e-37
				if !(err <= tol) {
					t.Fatalf("%s: C[%d][%d] = %v, want %v (err %.3g > %.3g)", kn.name, i, j, got[i*n+j], want, err, tol)
				}
				worst = max(worst, err/tol)
			}
		}
		t.Logf("%s: worst error %.2f of the bound 2^-24 (3|s_x s_w S| + |y|)", kn.name, worst)
	}
}

// TestQGemmWorkers checks that GOMAXPROCS 1 and 2 (one and two workers)
// give the same bits, on a shape split by rows and on one split by
// columns, with GELU.
func TestQGemmWorkers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	r := rand.New(rand.NewPCG(17, 3))
	for _, s := range [][3]int{{97, 130, 301}, {7, 600, 520}} {
		m, n, k := s[0], s[1], s[2]
		x := qRandRows(r, m, k, k)
		qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
		if err != nil {
			t.Fatal(err)
		}
		ep := Epilogue{Bias: gemmRandSlice(r, n), Act: ActGELU}
		for _, kn := range qkernelsUnderTest(t) {
			runtime.GOMAXPROCS(1)
			one := runQGemm(t, kn, 0, m, x, k, qb, ep)
			runtime.GOMAXPROCS(2)
			two := runQGemm(t, kn, 0, m, x, k, qb, ep)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(two[i]) {
					t.Fatalf("%s %dx%dx%d: workers 1 and 2 differ at %d: %v vs %v", kn.name, m, n, k, i, one[i], two[i])
				}
			}
		}
	}
}

// TestQGemmNaNParallel checks that NaN in a row is reported, naming the
// row, when the rows are quantized by the workers (split by rows) and before
// them (split by columns).
func TestQGemmNaNParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	r := rand.New(rand.NewPCG(17, 9))
	for _, s := range [][3]int{{97, 130, 301}, {7, 600, 520}} {
		m, n, k := s[0], s[1], s[2]
		x := qRandRows(r, m, k, k)
		x[(m-2)*k+k/2] = float32(math.NaN())
		qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
		if err != nil {
			t.Fatal(err)
		}
		c := make([]float32, m*n)
		err = GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), Epilogue{}, nil)
		if want := fmt.Sprintf("row %d ", m-2); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%dx%dx%d: err %v, want one naming %q", m, n, k, err, want)
		}
	}
}

// TestQGemmActivation checks that the fused activation is the package's
// ReLU/GELU applied to the plain result, bit for bit.
func TestQGemmActivation(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 4))
	m, n, k := 19, 77, 65
	x := qRandRows(r, m, k, k)
	qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
	if err != nil {
		t.Fatal(err)
	}
	bias := gemmRandSlice(r, n)
	for _, kn := range qkernelsUnderTest(t) {
		plain := runQGemm(t, kn, 0, m, x, k, qb, Epilogue{Bias: bias})
		for _, act := range []Act{ActReLU, ActGELU} {
			got := runQGemm(t, kn, 0, m, x, k, qb, Epilogue{Bias: bias, Act: act})
			want := append([]float32(nil), plain...)
			applyAct(want, act)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s act %d: C[%d] = %v, want %v", kn.name, act, i, got[i], want[i])
				}
			}
		}
	}
}

// TestQGemmVsFloat measures the quantization error against the float32 GEMM
// of the unquantized operands on a ViT-B-like layer (Gaussian activations
// and weights, 192 x 768 x 768). Per-output-channel 7-bit weights (step
// max/63, about 3.2 sigma/63 for 768 Gaussians) and per-row 8-bit
// activations give an expected relative RMS error of about
// sqrt(12)^-1 * 3.2 * sqrt(1/63^2 + 1/127^2) = 1.6%.
func TestQGemmVsFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 5))
	m, n, k := 192, 768, 768
	if testing.Short() {
		m = 24
	}
	x := gemmRandSlice(r, m*k)
	w := gemmRandSlice(r, n*k)
	bias := gemmRandSlice(r, n)
	qb, err := QuantizeWeights(w, n, k)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, m*n)
	if err := GemmInt8(m, RowMajor(x, k), qb, RowMajor(got, n), Epilogue{Bias: bias}, nil); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, m*n)
	Gemm(m, n, k, 1, RowMajor(x, k), ColMajor(w, k), 0, RowMajor(want, n), Epilogue{Bias: bias})
	var se, sw, worst float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		se += d * d
		sw += float64(want[i]-bias[i%n]) * float64(want[i]-bias[i%n])
		worst = max(worst, math.Abs(d))
	}
	rel := math.Sqrt(se / sw)
	t.Logf("int8 vs float32 GEMM (%dx%dx%d): relative RMS error %.3g%%, max abs error %.3g (outputs' RMS %.3g)", m, n, k, 100*rel, worst, math.Sqrt(sw/float64(len(want))))
	if rel > 0.02 {
		t.Errorf("relative RMS error %.3g%% above 2%%", 100*rel)
	}
}

// TestQuantizeRules checks the quantization rules: round half away from
// zero, clamping, zero and tiny rows, NaN/Inf refused.
func TestQuantizeRules(t *testing.T) {
	// Row max 127: the reciprocal is exactly 1, so codes are the rounded
	// values themselves.
	x := []float32{127, -2.5, 2.5, 0.5, -0.5, 1.49999988, -126.5, 126.49999, 0}
	wantQ := []int8{127, -3, 3, 1, -1, 1, -127, 126, 0}
	q := make([]int8, len(x))
	s := make([]float32, 2)
	if err := QuantizeRows(q, s, x, 1, len(x), len(x)); err != nil {
		t.Fatal(err)
	}
	if s[0] != 1 {
		t.Errorf("scale %v, want 1", s[0])
	}
	for i := range q {
		if q[i] != wantQ[i] {
			t.Errorf("QuantizeRows(%v) = %d, want %d", x[i], q[i], wantQ[i])
		}
	}
	// Weights: 7 bits, row max 63.
	w := []float32{63, -62.5, 31.5, -0.5, 0.49999997, 0, 0, 0, 0, 0, -1e-31, 1e-35, 0, 0, 0}
	qb, err := QuantizeWeights(w, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	codes, sc := qb.Int8()
	wantW := []int8{63, -63, 32, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for i := range codes {
		if codes[i] != wantW[i] {
			t.Errorf("weight %v: code %d, want %d", w[i], codes[i], wantW[i])
		}
	}
	// Row 1 is all zero, row 2's max is below 2^-100: both scale 0.
	if sc[0] != 1 || sc[1] != 0 || sc[2] != 0 {
		t.Errorf("weight scales %v, want [1 0 0]", sc)
	}
	// Clamping: a row max whose reciprocal rounds up still gives +-127.
	for _, a := range []float32{3, 7, 0.1, 1e-20, 3e37} {
		row := []float32{a, -a, a / 2}
		if err := QuantizeRows(q, s, row, 1, 3, 3); err != nil {
			t.Fatal(err)
		}
		if q[0] != 127 || q[1] != -127 {
			t.Errorf("row max %v: codes %d %d, want +-127", a, q[0], q[1])
		}
	}
	// NaN and Inf are refused, naming the row.
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		row := []float32{1, 2, 3, 4, 5, bad}
		if err := QuantizeRows(q, s, row, 2, 3, 3); err == nil || !strings.Contains(err.Error(), "row 1") {
			t.Errorf("QuantizeRows with %v: err %v", bad, err)
		}
		if _, err := QuantizeWeights(row, 2, 3); err == nil || !strings.Contains(err.Error(), "row 1") {
			t.Errorf("QuantizeWeights with %v: err %v", bad, err)
		}
		qb, _ := QuantizeWeights([]float32{1, 2, 3}, 1, 3)
		c := make([]float32, 2)
		if err := GemmInt8(2, RowMajor(row, 3), qb, RowMajor(c, 1), Epilogue{}, nil); err == nil || !strings.Contains(err.Error(), "row 1") {
			t.Errorf("GemmInt8 with %v: err %v", bad, err)
		}
	}
}

// TestQuantizedBStore checks the serialization hooks: Int8 and NewQuantizedB
// round-trip exactly, and bad codes, scales and shapes are errors.
func TestQuantizedBStore(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 6))
	n, k := 21, 37
	qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
	if err != nil {
		t.Fatal(err)
	}
	codes, scales := qb.Int8()
	qb2, err := NewQuantizedB(codes, scales, n, k)
	if err != nil {
		t.Fatal(err)
	}
	if qb2.N() != n || qb2.K() != k || string(i8bytes(qb.data)) != string(i8bytes(qb2.data)) {
		t.Fatal("round trip changed the packed codes")
	}
	for i := range qb.sw {
		if qb.sw[i] != qb2.sw[i] || qb.corr[i] != qb2.corr[i] {
			t.Fatal("round trip changed the scales or column sums")
		}
	}
	bad := append([]int8(nil), codes...)
	bad[5] = 64
	if _, err := NewQuantizedB(bad, scales, n, k); err == nil {
		t.Error("code 64 accepted")
	}
	badS := append([]float32(nil), scales...)
	badS[3] = float32(math.NaN())
	if _, err := NewQuantizedB(codes, badS, n, k); err == nil {
		t.Error("NaN scale accepted")
	}
	badS[3] = -1
	if _, err := NewQuantizedB(codes, badS, n, k); err == nil {
		t.Error("negative scale accepted")
	}
	if _, err := NewQuantizedB(codes, scales, n, k+1); err == nil {
		t.Error("wrong shape accepted")
	}
	if _, err := QuantizeWeights(make([]float32, 10), 0, 10); err == nil {
		t.Error("zero rows accepted")
	}
	if _, err := QuantizeWeights(make([]float32, qMaxK+1), 1, qMaxK+1); err == nil {
		t.Error("K above the limit accepted")
	}
	c := make([]float32, 3*n)
	x := make([]float32, 3*k)
	if err := GemmInt8(3, RowMajor(x, k), qb, RowMajor(c, n), Epilogue{Bias: make([]float32, n-1)}, nil); err == nil {
		t.Error("short bias accepted")
	}
	if err := GemmInt8(4, RowMajor(x, k), qb, RowMajor(c, n), Epilogue{}, nil); err == nil {
		t.Error("short X accepted")
	}
	if err := GemmInt8(3, RowMajor(x, k), qb, RowMajor(c[:3*n-1], n), Epilogue{}, nil); err == nil {
		t.Error("short C accepted")
	}
	if err := GemmInt8(3, RowMajor(x, k), qb, RowMajor(c, n), Epilogue{Bias: make([]float32, 3), BiasPerRow: true}, nil); err == nil {
		t.Error("per-row bias accepted")
	}
}

func i8bytes(s []int8) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

// TestQGemmNoAlloc checks that a warm call with a workspace allocates
// nothing (on one worker: a fork's join record is the only allocation of
// a parallel call). N is a multiple of 16: GELU on a ragged row allocates
// its tail buffer.
func TestQGemmNoAlloc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := rand.New(rand.NewPCG(17, 7))
	m, n, k := 50, 96, 90
	x := gemmRandSlice(r, m*k)
	qb, err := QuantizeWeights(gemmRandSlice(r, n*k), n, k)
	if err != nil {
		t.Fatal(err)
	}
	c := make([]float32, m*n)
	ws := new(Int8Workspace)
	ep := Epilogue{Bias: gemmRandSlice(r, n), Act: ActGELU}
	allocs := testing.AllocsPerRun(5, func() {
		if err := GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), ep, ws); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per warm call", allocs)
	}
}
