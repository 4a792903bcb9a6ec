package ladderpose_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/detect"
	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/internal/detbench"
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
// filling and packing ViT-B takes seconds. Keyed by size, side and
// precision.
var benchModels = struct {
	sync.Mutex
	m map[string]*posemodel.Model
}{m: map[string]*posemodel.Model{}}

// benchModel returns the cached random model of a standard size, plain or
// with the default side network, at precision "float32" or "int8" (the
// same weights, quantized with posemodel.Model.Quantize).
func benchModel(b *testing.B, size string, side bool, precision string) *posemodel.Model {
	b.Helper()
	key := fmt.Sprintf("%s/%v/%s", size, side, precision)
	benchModels.Lock()
	defer benchModels.Unlock()
	if m, ok := benchModels.m[key]; ok {
		return m
	}
	m, err := benchmodel.Random(size, side, benchSeed)
	if err != nil {
		b.Fatal(err)
	}
	if precision == posemodel.PrecisionInt8 {
		if err := m.Quantize(); err != nil {
			b.Fatal(err)
		}
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

func newBenchCase(b *testing.B, size string, side bool, batch int, precision string) benchCase {
	b.Helper()
	m := benchModel(b, size, side, precision)
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

// BenchmarkViTPose times plain ViTPose-S and -B (backbone and classic head)
// in float32 (SIZE/batchN) and with the backbone's linear layers in int8
// (SIZE/batchN/int8, posemodel.Model.Quantize; the same weights).
func BenchmarkViTPose(b *testing.B) { benchForward(b, false) }

// BenchmarkFullModel times ViTPose-S and -B with the default ladder side
// network (posemodel.DefaultSide), in float32 and int8 as BenchmarkViTPose.
func BenchmarkFullModel(b *testing.B) { benchForward(b, true) }

func benchForward(b *testing.B, side bool) {
	for _, size := range benchSizes {
		for _, batch := range benchBatches {
			for _, prec := range []string{posemodel.PrecisionFloat32, posemodel.PrecisionInt8} {
				name := fmt.Sprintf("%s/batch%d", size, batch)
				if prec != posemodel.PrecisionFloat32 {
					name += "/" + prec
				}
				b.Run(name, func(b *testing.B) { benchForwardCase(b, size, side, batch, prec) })
			}
		}
	}
}

// benchForwardCase times one model and batch; see BenchmarkViTPose.
func benchForwardCase(b *testing.B, size string, side bool, batch int, prec string) {
	c := newBenchCase(b, size, side, batch, prec)
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
	// The median pass as well: on a shared machine one slow pass moves the
	// mean (ns/op, ms/image) but not the median, which is what
	// tools/compare-ort.sh compares with ONNX Runtime's median pass.
	b.ReportMetric(1e3*median(times)/float64(batch), "median-ms/image")
}

// BenchmarkInt8 measures what int8 precision saves (issue 17: at most 0.5x
// the float32 time of ViT-B at batch 1 on AVX-512 VNNI, 0.6x on AVX2):
// each iteration runs the float32 and the int8 model on the same input, in
// alternating order, so that both see the same machine load. It reports
// the median time per image of each and int8/f32, the ratio of those
// medians.
func BenchmarkInt8(b *testing.B) {
	for _, size := range benchSizes {
		for _, batch := range benchBatches {
			b.Run(fmt.Sprintf("%s/batch%d", size, batch), func(b *testing.B) {
				cases := [2]benchCase{newBenchCase(b, size, false, batch, posemodel.PrecisionFloat32), newBenchCase(b, size, false, batch, posemodel.PrecisionInt8)}
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
				f32, i8 := median(times[0]), median(times[1])
				b.ReportMetric(1e3*f32/float64(batch), "f32-ms/image")
				b.ReportMetric(1e3*i8/float64(batch), "int8-ms/image")
				b.ReportMetric(i8/f32, "int8/f32")
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
				cases := [2]benchCase{newBenchCase(b, size, false, batch, posemodel.PrecisionFloat32), newBenchCase(b, size, true, batch, posemodel.PrecisionFloat32)}
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

// benchDetectors caches the RT-DETR models across the benchmarks of one
// process, keyed by configuration name.
var benchDetectors = struct {
	sync.Mutex
	m map[string]*detect.Detector
}{m: map[string]*detect.Detector{}}

// benchDetector returns the cached RT-DETR of a detbench configuration
// ("r18", "r50"): the checkpoint folder named by the environment variable
// LADDERPOSE_DETR_R18 (or _R50) when set (tools/compare-ort.sh sets it to
// the weights it exported to ONNX), else seeded random weights
// (detbench.Random).
func benchDetector(b *testing.B, name string) *detect.Detector {
	b.Helper()
	benchDetectors.Lock()
	defer benchDetectors.Unlock()
	if d, ok := benchDetectors.m[name]; ok {
		return d
	}
	var d *detect.Detector
	var err error
	if dir := os.Getenv("LADDERPOSE_DETR_" + strings.ToUpper(name)); dir != "" {
		d, err = detect.Load(dir)
	} else {
		d, err = detbench.Random(name, benchSeed)
	}
	if err != nil {
		b.Fatal(err)
	}
	benchDetectors.m[name] = d
	return d
}

// BenchmarkDetect times the RT-DETR network (detect.Detector.Forward on a
// preprocessed [1, 3, 640, 640] input, no resizing or postprocessing) in
// the layouts of PekingU/rtdetr_r18vd and rtdetr_r50vd (see benchDetector
// for the weights). GFLOP/s uses detbench.FLOPs: 2 x the multiply-
// accumulates of every convolution, linear layer and attention matrix
// product (r18: 58.4 GFLOP, r50: 131.8 GFLOP per image at 640x640).
// median-ms/image is what tools/compare-ort.sh compares with ONNX
// Runtime's median pass; cpu-ms/image is the process's CPU time per image
// (all threads).
func BenchmarkDetect(b *testing.B) {
	for _, name := range detbench.Names {
		for _, size := range []int{640} {
			b.Run(fmt.Sprintf("%s/%d", name, size), func(b *testing.B) {
				d := benchDetector(b, name)
				in := detbench.Input(1, size, size, benchSeed)
				flops := float64(detbench.FLOPs(d.Config(), size, size))
				ctx := context.Background()
				if _, _, err := d.Forward(ctx, in, 1, size, size, nil); err != nil {
					b.Fatal(err)
				}
				var times []float64
				cpu0 := cpuSeconds()
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					if _, _, err := d.Forward(ctx, in, 1, size, size, nil); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0).Seconds())
				}
				b.StopTimer()
				reportRates(b, b.Elapsed().Seconds()/float64(b.N), 1, flops)
				b.ReportMetric(1e3*median(times), "median-ms/image")
				// The process's CPU time per image (all threads): on a
				// shared machine, where other processes take turns on the
				// cores, a steadier figure than the wall time.
				b.ReportMetric(1e3*(cpuSeconds()-cpu0)/float64(b.N), "cpu-ms/image")
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
