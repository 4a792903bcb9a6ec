package pipeline

import (
	"testing"
)

// BenchmarkCrop measures the per-person input preparation: the UDP crop of
// a 640x480 image into a normalised 3x256x192 buffer plus its flipped twin,
// for a small person (upscaled about 2.5x), a medium one (about 1x) and a
// large one (downscaled about 1.9x).
func BenchmarkCrop(b *testing.B) {
	img, _ := testScene()
	for _, tc := range []struct {
		name string
		box  Box
	}{
		{"small", Box{300, 200, 40, 80}},
		{"medium", Box{250, 150, 120, 205}},
		{"large", Box{90, 60, 170, 380}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := tc.box.Frame(InputW, InputH)
			dst := make([]float32, 3*InputW*InputH)
			flipped := make([]float32, 3*InputW*InputH)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := CropPerson(dst, flipped, img, f, InputW, InputH); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
		})
	}
}

// BenchmarkDecodeDarkUDP measures decoding one person's 17 heatmaps of
// 64x48 with the default decoder.
func BenchmarkDecodeDarkUDP(b *testing.B) { benchmarkDecode(b, DarkUDP) }

// BenchmarkDecodeDefault measures the quarter-offset decoder.
func BenchmarkDecodeDefault(b *testing.B) { benchmarkDecode(b, Quarter) }

func benchmarkDecode(b *testing.B, m Method) {
	_, poses := testScene()
	hm := personHeatmaps(poses[0], poses[0].Frame)
	kps := make([]Keypoint, hm.K)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Decode(kps, hm, poses[0].Frame, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
}

// BenchmarkMergeFlipped measures the flip test's merge of one person's
// heatmaps.
func BenchmarkMergeFlipped(b *testing.B) {
	_, poses := testScene()
	hm := personHeatmaps(poses[0], poses[0].Frame)
	fl := personHeatmaps(poses[1], poses[0].Frame)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := MergeFlipped(hm, fl, FlipPairs[:]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "persons/s")
}
