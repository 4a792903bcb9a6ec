package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestSiLU checks SiLU against the separate pass it stands for (Sigmoid on
// the whole input, then a product), bit for bit, out of place and in place,
// on ragged lengths around its 256-value chunks, with guards around dst; and
// against x / (1 + exp(-x)) in float64 within 4e-7 relative (plus 1e-30
// absolute), infinities and NaN included. Run with LADDERPOSE_NOASM=1 it
// checks the pure-Go path.
func TestSiLU(t *testing.T) {
	r := newRand(30)
	for _, n := range []int{1, 2, 7, 15, 16, 17, 255, 256, 257, 511, 700, 1025} {
		src := randNormal(r, n, 6)
		src[0] = float32(math.Inf(1))
		if n > 2 {
			src[1] = float32(math.Inf(-1))
			src[2] = -100
		}
		if n > 16 {
			src[16] = float32(math.NaN())
		}
		sg := make([]float32, n)
		Sigmoid(sg, src)
		want := make([]float32, n)
		for i, v := range src {
			want[i] = v * sg[i]
		}
		dst, buf := guarded(n)
		SiLU(dst, src)
		checkGuards(t, fmt.Sprint(n), buf)
		in := append([]float32(nil), src...)
		SiLU(in, in)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) || math.Float32bits(in[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: SiLU[%d] = %v (in place %v), separate pass %v", n, i, dst[i], in[i], want[i])
			}
			x := float64(src[i])
			ref := x / (1 + math.Exp(-x))
			switch {
			case math.IsNaN(x):
				if !math.IsNaN(float64(dst[i])) {
					t.Fatalf("n %d: SiLU(NaN) = %v", n, dst[i])
				}
			case math.IsInf(x, -1):
				if !(dst[i] == 0 || math.IsNaN(float64(dst[i]))) { // -Inf * 0
					t.Fatalf("n %d: SiLU(-Inf) = %v", n, dst[i])
				}
			case math.IsInf(x, 1):
				if !math.IsInf(float64(dst[i]), 1) {
					t.Fatalf("n %d: SiLU(+Inf) = %v", n, dst[i])
				}
			default:
				if d := math.Abs(float64(dst[i]) - ref); d > 4e-7*math.Abs(ref)+1e-30 {
					t.Fatalf("n %d: SiLU(%v) = %v, want %v (error %g)", n, x, dst[i], ref, d)
				}
			}
		}
	}
}

// TestSiLUEpilogue checks that ActSiLU in a GEMM epilogue (row-major C and
// a strided C, bias per row and per column) and in the convolutions (im2col
// with Forward and ForwardPadded, 1x1, depthwise, on every GEMM kernel) is
// bit-identical to the same call with ActNone followed by a SiLU pass.
func TestSiLUEpilogue(t *testing.T) {
	r := newRand(31)
	const m, n, k = 29, 70, 45
	a, b := randNormal(r, m*k, 0.3), randNormal(r, k*n, 1)
	for _, perRow := range []bool{false, true} {
		bias := randNormal(r, n, 1)
		if perRow {
			bias = randNormal(r, m, 1)
		}
		for _, colMajor := range []bool{false, true} {
			mk := func() Mat {
				if colMajor {
					return ColMajor(make([]float32, m*n), m)
				}
				return RowMajor(make([]float32, m*n), n)
			}
			got, want := mk(), mk()
			Gemm(m, n, k, 1, RowMajor(a, k), RowMajor(b, n), 0, got, Epilogue{Bias: bias, BiasPerRow: perRow, Act: ActSiLU})
			Gemm(m, n, k, 1, RowMajor(a, k), RowMajor(b, n), 0, want, Epilogue{Bias: bias, BiasPerRow: perRow})
			SiLU(want.Data, want.Data)
			requireSameBits(t, fmt.Sprintf("gemm perRow=%v colMajor=%v", perRow, colMajor), got.Data, want.Data)
		}
	}
	for _, kn := range convKernels(t) {
		for _, p := range []Conv2DParams{
			{InC: 6, OutC: 13, KH: 3, KW: 3, PadH: 1, PadW: 1},
			{InC: 6, OutC: 13, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			{InC: 20, OutC: 14, KH: 1, KW: 1},
			{InC: 6, OutC: 12, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 6},
		} {
			name := fmt.Sprintf("%s/%+v", kn.name, p)
			const nb, h, w = 2, 9, 40
			q := p.withDefaults()
			weight := randNormal(r, q.OutC*q.InC/q.Groups*q.KH*q.KW, 0.3)
			bias := randNormal(r, q.OutC, 1)
			silu := p
			silu.Act = ActSiLU
			c1, err := newConv2D(weight, bias, silu, packerFor(kn))
			if err != nil {
				t.Fatal(err)
			}
			c0, err := newConv2D(weight, bias, p, packerFor(kn))
			if err != nil {
				t.Fatal(err)
			}
			src := randNormal(r, nb*q.InC*h*w, 1)
			oh, ow := q.OutSize(h, w)
			got, want := make([]float32, nb*q.OutC*oh*ow), make([]float32, nb*q.OutC*oh*ow)
			if err := c1.Forward(got, src, nb, h, w, nil); err != nil {
				t.Fatal(err)
			}
			if err := c0.Forward(want, src, nb, h, w, nil); err != nil {
				t.Fatal(err)
			}
			SiLU(want, want)
			requireSameBits(t, name, got, want)
			if c1.kind == convIm2col {
				xp := make([]float32, nb*q.InC*(h+2)*(w+2))
				PadPlanes(xp, src, nb*q.InC, h, w, 1)
				if err := c1.ForwardPadded(got, xp, nb, h, w, 1); err != nil {
					t.Fatal(err)
				}
				requireSameBits(t, name+"/padded", got, want)
			}
		}
	}
}

// TestSiLUFinishAsm runs siluFinish (the AVX2 assembly on the body where
// the host has it) against siluFinishGeneric bit for bit, NaN payloads,
// infinities, zeros and subnormals in src and e included, on ragged
// lengths, with guards around dst.
func TestSiLUFinishAsm(t *testing.T) {
	r := newRand(32)
	specials := []float32{float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7fa00123),
		float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-40, -1}
	for _, n := range []int{1, 7, 8, 9, 16, 17, 63, 256, 259} {
		src, e := randNormal(r, n, 5), randNormal(r, n, 5)
		for i := range e {
			e[i] = float32(math.Abs(float64(e[i])))
			if r.IntN(4) == 0 {
				src[i] = specials[r.IntN(len(specials))]
			}
			if r.IntN(4) == 0 {
				e[i] = specials[r.IntN(len(specials))]
			}
		}
		want := make([]float32, n)
		siluFinishGeneric(want, src, append([]float32(nil), e...))
		dst, buf := guarded(n)
		siluFinish(dst, src, append([]float32(nil), e...))
		checkGuards(t, fmt.Sprint(n), buf)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: siluFinish(%#x, %#x) = %#x, plain Go %#x", n, math.Float32bits(src[i]), math.Float32bits(e[i]),
					math.Float32bits(dst[i]), math.Float32bits(want[i]))
			}
		}
	}
}
