package gpumodel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/internal/benchmodel"
)

// benchForward times gpumodel.Forward on a ViTPose of the given size with
// seeded random weights (internal/benchmodel) on the real GPU, host images
// in and host heatmaps out, for each batch size, and reports images/s. It
// skips on a host without a GPU. tools/gpu/torch_eager.py times PyTorch
// eager on the same model the same way.
func benchForward(b *testing.B, size string, side bool, batches ...int) {
	d := realGPU(b)
	m, err := benchmodel.Random(size, side, 1)
	if err != nil {
		b.Fatal(err)
	}
	g, err := gpumodel.New(m, gpumodel.Options{Device: d})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for _, batch := range batches {
		b.Run(fmt.Sprintf("%s/batch%d", size, batch), func(b *testing.B) {
			in := benchmodel.Input(m.Cfg, batch, 2)
			// The first pass compiles the kernels and sizes the arena.
			if _, err := g.Forward(in); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := g.Forward(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			// One more pass, untimed, with the device synchronised at each
			// stage, for the log: where the time goes.
			var stages []string
			g.SetStageTimer(func(stage string, d time.Duration) {
				stages = append(stages, fmt.Sprintf("%s %.2f ms", stage, d.Seconds()*1e3))
			})
			defer g.SetStageTimer(nil)
			if _, err := g.Forward(in); err != nil {
				b.Fatal(err)
			}
			b.Logf("stages: %s", strings.Join(stages, ", "))
		})
	}
}

// BenchmarkGPUViTPose times the plain ViTPose (backbone and classic head).
func BenchmarkGPUViTPose(b *testing.B) { benchForward(b, "B", false, 1, 32) }

// BenchmarkGPUFullModel times ViTPose with the ladder side network.
func BenchmarkGPUFullModel(b *testing.B) { benchForward(b, "B", true, 32) }
