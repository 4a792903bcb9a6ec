package ops

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemmMicro runs each micro-kernel on L1-resident panels (kc=256),
// the upper bound the blocked GEMM can reach; GFLOP/s per core.
func BenchmarkSgemmMicro(b *testing.B) {
	for _, kn := range append([]*kernel{genericKernel}, asmKernels()...) {
		b.Run(kn.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			kc := kn.kc
			a, bb := gemmRandSlice(r, kc*kn.mr), gemmRandSlice(r, kc*kn.nr)
			c := make([]float32, kn.mr*kn.nr)
			for i := 0; i < b.N; i++ {
				kn.micro(kc, a, 1, kn.mr, bb, c, kn.nr, 1, 0)
			}
			b.ReportMetric(2*float64(kc*kn.mr*kn.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
