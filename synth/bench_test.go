package synth

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRenderSample measures one image at the default size, per
// interference level (rendering, annotation and interference; no JPEG).
func BenchmarkRenderSample(b *testing.B) {
	for _, l := range []Level{None, Mixed, Heavy} {
		b.Run(l.String(), func(b *testing.B) {
			b.ResetTimer()
			for i := range b.N {
				if _, err := RenderSample(SampleRNG(1, i), Options{Interference: l}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkInterfereCrop measures the augmentation on a 256x192 crop.
func BenchmarkInterfereCrop(b *testing.B) {
	s, err := RenderSample(SampleRNG(1, 0), Options{Width: 192, Height: 256})
	if err != nil {
		b.Fatal(err)
	}
	orig := FrameFromRGBA(s.Clean)
	f := orig.Clone()
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for range b.N {
		copy(f.Pix, orig.Pix)
		if err := InterfereFrame(f, rng, Heavy); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "crops/s")
}
