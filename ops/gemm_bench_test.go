package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// sgemmBenchShapes are the GEMM shapes, MxKxN: the ViT-S/B/H linear
// layers at 192 tokens, a square reference, the patch-embedding-like tall
// shape and a tiny one.
var sgemmBenchShapes = [][3]int{
	{192, 768, 2304}, {192, 768, 768}, {192, 768, 3072}, {192, 3072, 768},
	{192, 1280, 3840}, {1024, 1024, 1024}, {3072, 576, 64}, {64, 64, 64},
}

// BenchmarkSgemm measures C = A*B for row-major A (MxK) and B (KxN), as
// cblas_sgemm(RowMajor, NoTrans, NoTrans) does, at the GOMAXPROCS given by
// -cpu. Names are MxKxN; the metric is GFLOP/s (2*M*N*K per call).
func BenchmarkSgemm(b *testing.B) {
	for _, s := range sgemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n), make([]float32, m*n)
			Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmPackedB is the same with B packed once (weights), as the
// network's linear layers run.
func BenchmarkSgemmPackedB(b *testing.B) {
	for _, s := range sgemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n), make([]float32, m*n)
			pb := PackB(k, n, RowMajor(bb, n))
			GemmPackedB(m, 1, RowMajor(a, k), pb, 0, RowMajor(c, n), Epilogue{})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				GemmPackedB(m, 1, RowMajor(a, k), pb, 0, RowMajor(c, n), Epilogue{})
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmEpilogue is BenchmarkSgemmPackedB with the linear layers'
// epilogues: bias (qkv: 192x768x2304) and bias + GELU (fc1: 192x768x3072),
// as ViT-B runs them at 192 tokens.
func BenchmarkSgemmEpilogue(b *testing.B) {
	for _, s := range []struct {
		m, k, n int
		act     Act
		name    string
	}{{192, 768, 2304, ActNone, "bias"}, {192, 768, 3072, ActGELU, "bias+gelu"}} {
		m, k, n := s.m, s.k, s.n
		b.Run(fmt.Sprintf("%dx%dx%d/%s", m, k, n, s.name), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n), make([]float32, m*n)
			ep := Epilogue{Bias: gemmRandSlice(r, n), Act: s.act}
			pb := PackB(k, n, RowMajor(bb, n))
			GemmPackedB(m, 1, RowMajor(a, k), pb, 0, RowMajor(c, n), ep)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				GemmPackedB(m, 1, RowMajor(a, k), pb, 0, RowMajor(c, n), ep)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
