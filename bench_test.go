package ladderpose_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Inference benchmarks of the network alone (no cropping or decoding), with
// seeded random weights (internal/benchmodel): the time does not depend on
// the values. Each reports
//
//	ms/image   wall time of one Forward divided by the batch size
//	images/s   its inverse
//	GFLOP/s    benchmodel's analytic count (2 x the multiply-accumulates of
//	           every convolution, linear layer and matrix product; ViT-B:
//	           37.05 GFLOP per image) divided by the time
//
// GOMAXPROCS (go test -cpu) sets the number of threads. The benchmarks of
// this module loop over b.N, not b.Loop: with Go 1.26 a b.Loop benchmark
// runs all its iterations in the first call, before the testing package
// applies the -cpu value, so a list such as -cpu 1,2 timed every round at
// the list's last value (golang/go#49980). Typical use:
//
//	go test -run '^$' -bench 'ViTPose/B/batch1$' -benchtime 10x -cpu 1,2 .
//	go test -run '^$' -bench 'SideOverhead/B' -benchtime 10x .

// benchSeed seeds every benchmark's weights and input.
const benchSeed = 1

// benchModels caches the models across the benchmarks of one process:
// filling and packing ViT-B takes seconds. Keyed by size and side.
var benchModels = struct {
	sync.Mutex
	m map[string]*posemodel.Model
}{m: map[string]*posemodel.Model{}}

// benchModel returns the cached random model of a standard size, plain or
// with the default side network.
func benchModel(b *testing.B, size string, side bool) *posemodel.Model {
	b.Helper()
	key := fmt.Sprintf("%s/%v", size, side)
	benchModels.Lock()
	defer benchModels.Unlock()
	if m, ok := benchModels.m[key]; ok {
		return m
	}
	m, err := benchmodel.Random(size, side, benchSeed)
	if err != nil {
		b.Fatal(err)
	}
	benchModels.m[key] = m
	return m
}

// benchCase is one model and batch ready to time: its input, a workspace
// that has run once (its arena is sized), and the FLOPs of one Forward.
type benchCase struct {
	m     *posemodel.Model
	ws    *posemodel.Workspace
	in    tensor.Tensor
	flops float64
}

func newBenchCase(b *testing.B, size string, side bool, batch int) benchCase {
	b.Helper()
	m := benchModel(b, size, side)
	in := benchmodel.Input(m.Cfg, batch, benchSeed)
	levels, err := benchmodel.SampleLevels(m, in)
	if err != nil {
		b.Fatal(err)
	}
	flops, err := benchmodel.BatchFLOPs(m.Cfg, batch, levels)
	if err != nil {
		b.Fatal(err)
	}
	ws := posemodel.NewWorkspace()
	if _, err := m.Forward(ws, in); err != nil {
		b.Fatal(err)
	}
	return benchCase{m: m, ws: ws, in: in, flops: float64(benchmodel.Total(flops))}
}

var benchSizes = []string{"S", "B"}
var benchBatches = []int{1, 8}

// BenchmarkViTPose times plain ViTPose-S and -B (backbone and classic head).
func BenchmarkViTPose(b *testing.B) { benchForward(b, false) }

// BenchmarkFullModel times ViTPose-S and -B with the default ladder side
// network (posemodel.DefaultSide).
func BenchmarkFullModel(b *testing.B) { benchForward(b, true) }

func benchForward(b *testing.B, side bool) {
	for _, size := range benchSizes {
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch%d", size, batch), func(b *testing.B) {
				c := newBenchCase(b, size, side, batch)
				var times []float64
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					if _, err := c.m.Forward(c.ws, c.in); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0).Seconds())
				}
				perOp := b.Elapsed().Seconds() / float64(b.N)
				reportRates(b, perOp, batch, c.flops)
				// The median pass as well: on a shared machine one slow
				// pass moves the mean (ns/op, ms/image) but not the median,
				// which is what tools/compare-ort.sh compares with ONNX
				// Runtime's median pass.
				b.ReportMetric(1e3*median(times)/float64(batch), "median-ms/image")
			})
		}
	}
}

// reportRates reports ms/image, images/s and GFLOP/s for one Forward of
// batch images taking perOp seconds.
func reportRates(b *testing.B, perOp float64, batch int, flops float64) {
	b.ReportMetric(1e3*perOp/float64(batch), "ms/image")
	b.ReportMetric(float64(batch)/perOp, "images/s")
	b.ReportMetric(flops/perOp/1e9, "GFLOP/s")
}

// BenchmarkSideOverhead measures what the side network adds (issue 6: at
// most 15% on ViT-B at batch 1 and 8): each iteration runs the plain model
// and the full model on the same input, in alternating order, so that both
// see the same machine load. It reports the median time per image of each
// and full/plain, the ratio of those medians.
func BenchmarkSideOverhead(b *testing.B) {
	for _, size := range benchSizes {
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch%d", size, batch), func(b *testing.B) {
				cases := [2]benchCase{newBenchCase(b, size, false, batch), newBenchCase(b, size, true, batch)}
				var times [2][]float64
				i := 0
				b.ResetTimer()
				for range b.N {
					for k := range 2 {
						c := cases[(i+k)%2]
						t0 := time.Now()
						if _, err := c.m.Forward(c.ws, c.in); err != nil {
							b.Fatal(err)
						}
						times[(i+k)%2] = append(times[(i+k)%2], time.Since(t0).Seconds())
					}
					i++
				}
				plain, full := median(times[0]), median(times[1])
				b.ReportMetric(1e3*plain/float64(batch), "plain-ms/image")
				b.ReportMetric(1e3*full/float64(batch), "full-ms/image")
				b.ReportMetric(full/plain, "full/plain")
			})
		}
	}
}

// median returns the median of xs (which it sorts).
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
