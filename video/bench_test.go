package video

import (
	"context"
	"io"
	"testing"
)

// BenchmarkReader decodes ffmpeg's 640x480 test pattern through a Reader
// (lavfi input: no file decoding), and reports frames/s and the Go heap
// allocations per frame (pixel buffers are reused; the stderr parser
// allocates a few short strings per frame).
func BenchmarkReader(b *testing.B) {
	if testing.Short() {
		b.Skip("short")
	}
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := lookPath(p); err != nil {
			b.Skip(err)
		}
	}
	ctx := context.Background()
	r, err := Open(ctx, "testsrc=size=640x480:rate=25", ReaderOptions{InputArgs: []string{"-f", "lavfi"}, MaxFrames: b.N})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	b.SetBytes(640 * 480 * 3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, err := r.Next(); err != io.EOF {
		b.Fatalf("after %d frames: %v", b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
