package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/synth"
	"github.com/ladderpose/ladderpose/video"
	"github.com/ladderpose/ladderpose/weights"
)

// BenchmarkVideo times "ladderpose video"'s pipeline end to end (ffmpeg
// decoding, the network and tracker, JSON lines, drawing and H.264
// encoding on their goroutines) on a synthetic 384x288 sequence of two
// people followed from first-frame boxes, against the network and tracker
// alone on the same frames decoded beforehand. It reports both rates in
// frames/s and their ratio (end-to-end / network-only: 1 means decoding,
// drawing and encoding are wholly hidden behind the network). Sizes: the
// ViTPose S and B backbones with random weights (the time does not depend on
// the values), 96 and 48 frames; each round runs both, alternated. The
// video command runs ffmpeg's decoder and encoder with one thread each
// (ReaderOptions/WriterOptions.Threads), as here: with a thread per core
// they take the network's cores in bursts.
//
//	go test -run '^$' -bench 'Video' -benchtime 3x ./cmd/ladderpose
func BenchmarkVideo(b *testing.B) {
	// Long enough that starting ffprobe and the two ffmpeg processes
	// (about 0.5 s of CPU together, paid once per video) weighs little.
	for _, c := range []struct {
		size   string
		frames int
	}{{"S", 96}, {"B", 48}} {
		size := c.size
		b.Run(size, func(b *testing.B) {
			dir := b.TempDir()
			opt := synth.VideoOptions{Seed: 1, Width: 384, Height: 288, Frames: c.frames, People: 2}
			gt, err := synth.WriteVideo(context.Background(), opt, dir, nil)
			if err != nil {
				b.Skipf("synthetic video (needs ffmpeg): %v", err)
			}
			est := benchEstimator(b, size)
			var boxes []ladderpose.Box
			for _, p := range gt.PerFrame[0].People {
				boxes = append(boxes, ladderpose.NewBox(p.Box[0], p.Box[1], p.Box[2], p.Box[3]))
			}
			in := filepath.Join(dir, synth.VideoFileName)
			frames := decodeAll(b, in)
			var e2e, net []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				net = append(net, timeNetwork(b, est, boxes, frames))
				e2e = append(e2e, timeEndToEnd(b, est, boxes, in, filepath.Join(dir, fmt.Sprintf("drawn%d.mp4", i))))
			}
			b.StopTimer()
			n := float64(len(frames))
			en, nn := n/median(e2e), n/median(net)
			b.ReportMetric(en, "e2e-frames/s")
			b.ReportMetric(nn, "net-frames/s")
			b.ReportMetric(en/nn, "e2e/net")
		})
	}
}

// benchEstimator writes a random-weight ViTPose of the size to a file and
// loads it as the command does.
func benchEstimator(b *testing.B, size string) *ladderpose.Estimator {
	b.Helper()
	m, err := benchmodel.Random(size, false, 1)
	if err != nil {
		b.Fatal(err)
	}
	var ts []weights.Tensor
	for _, p := range m.Params() {
		ts = append(ts, weights.Tensor{Name: p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Data})
	}
	path := filepath.Join(b.TempDir(), "vitpose.safetensors")
	if err := weights.Write(path, ts, map[string]string{posemodel.MetadataKey: m.Cfg.JSON()}); err != nil {
		b.Fatal(err)
	}
	est, err := ladderpose.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	return est
}

// decodeAll decodes every frame of a video into memory.
func decodeAll(b *testing.B, path string) []*pipeline.RGB {
	rd, err := video.Open(context.Background(), path, video.ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	var out []*pipeline.RGB
	for {
		f, err := rd.Next()
		if err != nil {
			break
		}
		out = append(out, &pipeline.RGB{Pix: append([]uint8(nil), f.Img.Pix...), W: f.Img.W, H: f.Img.H})
	}
	return out
}

// timeNetwork runs the tracker alone over decoded frames.
func timeNetwork(b *testing.B, est *ladderpose.Estimator, boxes []ladderpose.Box, frames []*pipeline.RGB) float64 {
	tr, err := est.NewTracker(ladderpose.TrackerOptions{Boxes: boxes})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for i, f := range frames {
		if _, err := tr.Update(context.Background(), image.Image(f), float64(i)/25); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0).Seconds()
}

// timeEndToEnd runs the video command's pipeline: decoding, tracking, JSON
// lines (discarded), drawing and encoding.
func timeEndToEnd(b *testing.B, est *ladderpose.Estimator, boxes []ladderpose.Box, in, drawn string) float64 {
	t0 := time.Now()
	rd, err := video.Open(context.Background(), in, video.ReaderOptions{Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	w, h := rd.Size()
	vw, err := video.Create(context.Background(), drawn, video.WriterOptions{Width: w, Height: h, FrameRate: rd.Info().FrameRate, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := est.NewTracker(ladderpose.TrackerOptions{Boxes: boxes})
	if err != nil {
		b.Fatal(err)
	}
	_, err = videoLoop(context.Background(), rd, tr, func(vf videoFrame) error {
		rec := videoRecord{Frame: vf.f.Index, Time: vf.f.Time}
		for _, tp := range vf.people {
			rec.People = append(rec.People, videoPerson{Track: tp.Track, Score: tp.Pose.Score})
		}
		if err := writeJSONLine(io.Discard, rec); err != nil {
			return err
		}
		return vw.Write(drawTracked(est, vf, 0.3))
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := vw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := rd.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0).Seconds()
}
