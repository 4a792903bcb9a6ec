package ops

import (
	"fmt"
	"testing"
)

// BenchmarkConv2D runs the convolutions of the network at their real sizes
// (batch 1) and reports GFLOP/s, counting 2 flops per multiply-add of the
// convolution (for the transposed one: of its GEMM, every input pixel times
// every tap). gemm_M128_K1152_N3072 is the GEMM the dilated 3x3 convolutions
// lower to (packed weight times a 1152 x 3072 matrix), so that the im2col
// overhead can be read off one run: dilN's rate over the GEMM's.
func BenchmarkConv2D(b *testing.B) {
	cases := []struct {
		name string
		p    Conv2DParams
		h, w int
	}{
		{"patch16", Conv2DParams{InC: 3, OutC: 768, KH: 16, KW: 16, StrideH: 16, StrideW: 16, PadH: 2, PadW: 2}, 256, 192},
		{"stem1", Conv2DParams{InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 256, 192},
		{"stem2", Conv2DParams{InC: 32, OutC: 128, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 128, 96},
		{"dil3", Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: 3, PadW: 3, DilH: 3, DilW: 3}, 64, 48},
		{"dil6", Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: 6, PadW: 6, DilH: 6, DilW: 6}, 64, 48},
		{"dil9", Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9}, 64, 48},
		{"pw640", Conv2DParams{InC: 640, OutC: 128, KH: 1, KW: 1}, 64, 48},
		{"down4", Conv2DParams{InC: 128, OutC: 128, KH: 4, KW: 4, StrideH: 4, StrideW: 4}, 64, 48},
		{"dw3x3", Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 128}, 64, 48},
	}
	r := newRand(20)
	for _, tc := range cases {
		p := tc.p.withDefaults()
		c, err := NewConv2D(randNormal(r, p.OutC*p.InC/p.Groups*p.KH*p.KW, 0.1), randNormal(r, p.OutC, 1), tc.p)
		if err != nil {
			b.Fatal(err)
		}
		oh, ow := p.OutSize(tc.h, tc.w)
		src := randNormal(r, p.InC*tc.h*tc.w, 1)
		dst := make([]float32, p.OutC*oh*ow)
		scratch := make([]float32, c.ScratchSize(1, tc.h, tc.w))
		flops := 2 * float64(p.OutC*oh*ow*p.InC/p.Groups*p.KH*p.KW)
		b.Run(tc.name, func(b *testing.B) {
			b.ResetTimer()
			for range b.N {
				if err := c.Forward(dst, src, 1, tc.h, tc.w, scratch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
	}
	// The dilated convolutions again, on an input padded once by 9 for all
	// three (as the ASPP runs them), with ForwardPadded.
	for _, d := range []int{3, 6, 9} {
		p := Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: d, PadW: d, DilH: d, DilW: d}
		c, err := NewConv2D(randNormal(r, 128*128*9, 0.1), randNormal(r, 128, 1), p)
		if err != nil {
			b.Fatal(err)
		}
		const h, w, pad = 64, 48, 9
		xp := make([]float32, 128*(h+2*pad)*(w+2*pad))
		PadPlanes(xp, randNormal(r, 128*h*w, 1), 128, h, w, pad)
		dst := make([]float32, 128*h*w)
		b.Run(fmt.Sprintf("dil%d_padded", d), func(b *testing.B) {
			b.ResetTimer()
			for range b.N {
				if err := c.ForwardPadded(dst, xp, 1, h, w, pad); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*128*128*9*h*w*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
	}
	b.Run("gemm_M128_K1152_N3072", func(b *testing.B) {
		const m, k, n = 128, 1152, 3072
		pa := PackA(m, k, RowMajor(randNormal(r, m*k, 0.1), k))
		bm := randNormal(r, k*n, 1)
		cm := make([]float32, m*n)
		b.ResetTimer()
		for range b.N {
			GemmPackedA(n, 1, pa, RowMajor(bm, n), 0, RowMajor(cm, n), Epilogue{})
		}
		b.ReportMetric(2*m*k*n*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
	})
	b.Run("deconv", func(b *testing.B) {
		p := ConvTranspose2DParams{InC: 768, OutC: 256, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
		c, err := NewConvTranspose2D(randNormal(r, 768*256*16, 0.05), nil, p)
		if err != nil {
			b.Fatal(err)
		}
		h, w := 16, 12
		oh, ow := c.OutSize(h, w)
		src := randNormal(r, 768*h*w, 1)
		dst := make([]float32, 256*oh*ow)
		scratch := make([]float32, c.ScratchSize(1, h, w))
		b.ResetTimer()
		for range b.N {
			if err := c.Forward(dst, src, 1, h, w, scratch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(2*768*256*16*float64(h*w)*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
	})
}

// elementBench runs an element-wise kernel on n values and reports the
// element rate and the bytes read and written per second.
func elementBench(b *testing.B, n int, f func()) {
	b.SetBytes(int64(8 * n))
	b.ResetTimer()
	for range b.N {
		f()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()*1e-6, "Melem/s")
}

// BenchmarkSoftmax runs the attention softmax of one ViT-B block (12 heads x
// 192 rows of 192) and a longer row.
func BenchmarkSoftmax(b *testing.B) {
	r := newRand(21)
	for _, sz := range [][2]int{{12 * 192, 192}, {64, 3072}} {
		x := randNormal(r, sz[0]*sz[1], 3)
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			elementBench(b, len(x), func() { Softmax(x, sz[1]) })
		})
	}
}

// BenchmarkLayerNorm normalises the 192 tokens of width 768 of ViT-B.
func BenchmarkLayerNorm(b *testing.B) {
	r := newRand(22)
	const rows, n = 192, 768
	x, y := randNormal(r, rows*n, 1), make([]float32, rows*n)
	g, be := randNormal(r, n, 1), randNormal(r, n, 1)
	elementBench(b, rows*n, func() { LayerNorm(y, x, n, g, be, 1e-6) })
}

// BenchmarkGELU applies GELU to ViT-B's MLP activations (192 x 3072) on the
// dispatch path and the pure-Go one.
func BenchmarkGELU(b *testing.B) {
	r := newRand(23)
	x := randNormal(r, 192*3072, 2)
	y := make([]float32, len(x))
	b.Run(Path(), func(b *testing.B) { elementBench(b, len(x), func() { GELU(y, x) }) })
	b.Run("generic", func(b *testing.B) { elementBench(b, len(x), func() { geluGeneric(y, x) }) })
}
