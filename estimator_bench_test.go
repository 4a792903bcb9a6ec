package ladderpose

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkEstimate measures the whole top-down pipeline (crop, network
// with the flip test, DARK-UDP decoding, rescoring, OKS-NMS) on the sample
// image with eight person boxes, for batch sizes 1 and 8, and reports
// people/s. The sample network is tiny (width 48, depth 4), so this shows
// the cost of everything around the network; BenchmarkFullModel in
// bench_test.go measures real network sizes.
//
//	go test -run '^$' -bench Estimate -benchtime 20x .
func BenchmarkEstimate(b *testing.B) {
	img := sampleImage(b)
	var boxes []Box
	for i := 0; i < 8; i++ {
		boxes = append(boxes, Box{X: float64(20 * i), Y: float64(5 * i), W: 80 + float64(5*i), H: 130, Score: 0.9})
	}
	for _, bs := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch%d", bs), func(b *testing.B) {
			est := loadSample(b, WithBatchSize(bs))
			ctx := context.Background()
			if _, err := est.Estimate(ctx, img, boxes); err != nil { // warm the workspace
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := est.Estimate(ctx, img, boxes); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(boxes))/b.Elapsed().Seconds(), "people/s")
		})
	}
}
