package synth

import (
	"context"
	"testing"
)

// BenchmarkVideoFrame measures rendering a 48-frame sequence of two people
// crossing at 192x144 (the CI's size) on one goroutine, per interference
// level, and of four people at the default 384x288: simulation, drawing,
// annotation and interference, no encoding.
func BenchmarkVideoFrame(b *testing.B) {
	for _, tc := range []struct {
		name         string
		w, h, people int
		level        Level
	}{
		{"192x144-2-none", 192, 144, 2, None},
		{"192x144-2-mixed", 192, 144, 2, Mixed},
		{"192x144-2-heavy", 192, 144, 2, Heavy},
		{"384x288-4-mixed", 384, 288, 4, Mixed},
	} {
		b.Run(tc.name, func(b *testing.B) {
			o := VideoOptions{Seed: 1, Width: tc.w, Height: tc.h, Frames: 48, People: tc.people, Interference: tc.level, Workers: 1}
			for range b.N {
				if _, err := GenerateVideo(context.Background(), o, nil); err != nil {
					b.Fatal(err)
				}
			}
			frames := float64(b.N * o.Frames)
			b.ReportMetric(b.Elapsed().Seconds()*1000/frames, "ms/frame")
			b.ReportMetric(frames/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
