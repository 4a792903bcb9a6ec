package train

import (
	"context"
	"testing"

	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
)

// BenchmarkDecodeJPEG measures decoding one 384x288 synthetic JPEG into
// packed RGB (what the image cache saves).
func BenchmarkDecodeJPEG(b *testing.B) {
	d := openSynth(b, synthDir(b, 1, 1), DataOptions{})
	path := d.ImagePath(0)
	b.ResetTimer()
	b.ResetTimer()
	for range b.N {
		if _, err := pipeline.LoadImage(path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkSample measures one sample (256x192 crop and keypoints) on one
// goroutine, with the decoded image cached or decoded every time, without
// and with augmentation.
func BenchmarkSample(b *testing.B) {
	dir := synthDir(b, 8, 2)
	heavy := DefaultAugment()
	heavy.Interference = synth.Heavy
	mixed := DefaultAugment()
	mixed.Color, mixed.Interference = true, synth.Mixed
	for _, bc := range []struct {
		name  string
		aug   Augment
		cache int
	}{
		{"NoAugment/cached", NoAugment(), 0},
		{"NoAugment/decode", NoAugment(), -1},
		{"Default/cached", DefaultAugment(), 0},
		{"Default+Color+Mixed/cached", mixed, 0},
		{"Default+Heavy/cached", heavy, 0},
		{"Default+Heavy/decode", heavy, -1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := openSynth(b, dir, DataOptions{CacheMB: bc.cache})
			img := make([]float32, 3*256*192)
			kp := make([]float32, 51)
			for i := 0; i < d.Len(); i++ { // warm the cache
				if err := d.Sample(i, SampleRNG(0, 0, i), bc.aug, img, kp); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			n := 0
			b.ResetTimer()
			for range b.N {
				i := n % d.Len()
				if err := d.Sample(i, SampleRNG(1, n, i), bc.aug, img, kp); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkLoader measures batches of 16 from the loader on GOMAXPROCS
// workers, consumed back to back (the prefetch overlaps nothing here, so
// this is the loading rate alone).
func BenchmarkLoader(b *testing.B) {
	dir := synthDir(b, 8, 3)
	heavy := DefaultAugment()
	heavy.Interference = synth.Heavy
	for _, bc := range []struct {
		name string
		aug  Augment
	}{{"NoAugment", NoAugment()}, {"Default+Heavy", heavy}} {
		b.Run(bc.name, func(b *testing.B) {
			d := openSynth(b, dir, DataOptions{})
			const batch = 16
			l := NewLoader(d, batch, 1, bc.aug, 0)
			defer l.Close()
			img := make([]float32, batch*3*256*192)
			kp := make([]float32, batch*51)
			nb := l.Batches(0)
			if nb == 0 {
				b.Skipf("%d samples make no batch of %d", d.Len(), batch)
			}
			b.ResetTimer()
			n := 0
			b.ResetTimer()
			for range b.N {
				if err := l.Batch(context.Background(), n/nb, n%nb, img, kp); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
