package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// qgemmBenchShapes are the ViT-B linear layers at 192 tokens, MxKxN: qkv,
// proj, fc1, fc2.
var qgemmBenchShapes = [][3]int{{192, 768, 2304}, {192, 768, 768}, {192, 768, 3072}, {192, 3072, 768}}

// BenchmarkGemmInt8 measures a quantized Linear layer, C = X*W^T + bias, on
// the dispatch path (activation quantization included), beside the float32
// GEMM with packed weights on the same shape, so that the ratio reads off
// one run. Metrics: GOP/s (2*M*N*K integer operations per call) for int8,
// GFLOP/s for float32; GOMAXPROCS as -cpu gives.
func BenchmarkGemmInt8(b *testing.B) {
	for _, s := range qgemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		ops := 2 * float64(m) * float64(n) * float64(k)
		r := rand.New(rand.NewPCG(1, 1))
		x, w, bias := gemmRandSlice(r, m*k), gemmRandSlice(r, n*k), gemmRandSlice(r, n)
		c := make([]float32, m*n)
		ep := Epilogue{Bias: bias}
		b.Run(fmt.Sprintf("int8/%dx%dx%d", m, k, n), func(b *testing.B) {
			qb, err := QuantizeWeights(w, n, k)
			if err != nil {
				b.Fatal(err)
			}
			ws := new(Int8Workspace)
			if err := GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), ep, ws); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), ep, ws)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
		b.Run(fmt.Sprintf("float32/%dx%dx%d", m, k, n), func(b *testing.B) {
			pb := PackB(k, n, ColMajor(w, k))
			GemmPackedB(m, 1, RowMajor(x, k), pb, 0, RowMajor(c, n), ep)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				GemmPackedB(m, 1, RowMajor(x, k), pb, 0, RowMajor(c, n), ep)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemmInt8Kernels runs GemmInt8 with each int8 assembly kernel
// this CPU has (AVX-512 VNNI, AVX-VNNI, AVX2 on one amd64 host), whatever
// the dispatch chose, so the paths compare in one run; GOP/s as above.
func BenchmarkGemmInt8Kernels(b *testing.B) {
	for _, kn := range asmQKernels() {
		for _, s := range qgemmBenchShapes {
			m, k, n := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%s/%dx%dx%d", kn.name, m, k, n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x, w := gemmRandSlice(r, m*k), gemmRandSlice(r, n*k)
				c := make([]float32, m*n)
				qa, err := QuantizeWeights(w, n, k)
				if err != nil {
					b.Fatal(err)
				}
				codes, scales := qa.Int8()
				qb := packQuantized(kn, codes, scales, n, k)
				ws := new(Int8Workspace)
				ep := Epilogue{Bias: gemmRandSlice(r, n)}
				if err := GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), ep, ws); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					_ = GemmInt8(m, RowMajor(x, k), qb, RowMajor(c, n), ep, ws)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
	}
}

// BenchmarkQuantizeRows measures the per-row activation quantization alone
// (192 x 768), in GB/s of float32 input.
func BenchmarkQuantizeRows(b *testing.B) {
	m, k := 192, 768
	r := rand.New(rand.NewPCG(1, 1))
	x := gemmRandSlice(r, m*k)
	dst := make([]uint8, k)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < m; j++ {
			quantizeRowU8(dst, x[j*k:(j+1)*k])
		}
	}
	b.ReportMetric(4*float64(m*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}
