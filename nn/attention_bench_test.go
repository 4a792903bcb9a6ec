package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkAttention runs the attention of one ViT-B block at batch 1 (12
// heads of 64 over 192 tokens, q, k and v read from one [192, 2304] qkv
// matrix as the backbone does) and reports GFLOP/s (2 x 2 x 192 x 192 x 64
// multiply-adds per head: Q K^T and P V) and the element rate of the
// softmax's 442k values.
func BenchmarkAttention(b *testing.B) {
	const n, heads, hd = 192, 12, 64
	const d = heads * hd
	r := rand.New(rand.NewPCG(3, 3))
	qkv := make([]float32, n*3*d)
	for i := range qkv {
		qkv[i] = float32(r.NormFloat64())
	}
	out := make([]float32, n*d)
	probs := make([]float32, heads*n*n)
	b.ResetTimer()
	for range b.N {
		Attention(out, d, qkv, 3*d, qkv[d:], 3*d, qkv[2*d:], 3*d, 1, n, n, heads, hd, 0.125, probs)
	}
	b.ReportMetric(4*n*n*hd*heads*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
}
