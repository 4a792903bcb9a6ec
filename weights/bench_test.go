package weights

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// BenchmarkLargeFile writes a ~100 MB file once (25M elements: an F32 tensor
// of 12.5M values, 50 MB, and the same values as F16 and BF16, 25 MB each)
// and measures opening it (map + full header validation) and reading each
// tensor with Float32. GB/s counts the bytes of the file (Open) or of the
// returned float32 values (Float32): zero-copy F32 costs nothing per byte,
// F16/BF16 pay for the conversion.
func BenchmarkLargeFile(b *testing.B) {
	const n = 12_500_000
	vals := make([]float32, n)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range vals {
		vals[i] = float32(r.NormFloat64())
	}
	// a realistic header: also many small tensors, as in a ViT-B checkpoint
	tensors := []Tensor{
		{Name: "big.f32", DType: F32, Shape: []int{n / 1000, 1000}, Data: vals},
		{Name: "big.f16", DType: F16, Shape: []int{n / 1000, 1000}, Data: vals},
		{Name: "big.bf16", DType: BF16, Shape: []int{n / 1000, 1000}, Data: vals},
	}
	for i := range 200 {
		tensors = append(tensors, Tensor{Name: "small." + string(rune('a'+i%26)) + string(rune('a'+i/26)), DType: F32, Shape: []int{16}, Data: vals[:16]})
	}
	path := filepath.Join(b.TempDir(), "large.safetensors")
	if err := Write(path, tensors, map[string]string{"format": "pt"}); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	size := f.Size()
	f.Close()

	b.Run("Open", func(b *testing.B) {
		b.ResetTimer()
		for range b.N {
			f, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	f, err = Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, name := range []string{"big.f32", "big.f16", "big.bf16"} {
		b.Run("Float32/"+name[4:], func(b *testing.B) {
			var sink float32
			b.ResetTimer()
			for range b.N {
				v, _, err := f.Float32(name)
				if err != nil {
					b.Fatal(err)
				}
				sink += v[len(v)-1]
			}
			b.ReportMetric(float64(4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			_ = sink
		})
	}
}

// BenchmarkEncode measures writing 4M values in memory per dtype; GB/s counts
// the float32 input.
func BenchmarkEncode(b *testing.B) {
	const n = 4 << 20
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i) * 1e-3
	}
	for _, dt := range []DType{F32, F16, BF16} {
		b.Run(string(dt), func(b *testing.B) {
			b.ResetTimer()
			for range b.N {
				if _, err := Encode([]Tensor{{Name: "x", DType: dt, Shape: []int{n}, Data: vals}}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
