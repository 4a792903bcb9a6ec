package detect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ladderpose/ladderpose/ops"
)

// TestConvLayerAlgorithm checks which convolution newConvLayer prepares
// (Winograd3x3 for the 3x3 stride-1 layers of 16 to 256 input channels,
// Conv2D for the others) and that each agrees with ops.Conv2D on the same
// weights: bit for bit for Conv2D layers, within Winograd's tolerance for
// the others (the relative error bound of ops' TestWinograd3x3).
func TestConvLayerAlgorithm(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		in, out, k, stride int
		wino               bool
	}{
		{32, 32, 3, 1, true},
		{256, 256, 3, 1, true},
		{16, 24, 3, 1, true},
		{8, 8, 3, 1, false},     // too few channels
		{512, 512, 3, 1, false}, // too many (memory)
		{64, 64, 3, 2, false},   // strided
		{64, 32, 1, 1, false},   // 1x1
	} {
		p := ops.Conv2DParams{InC: tc.in, OutC: tc.out, KH: tc.k, KW: tc.k, StrideH: tc.stride, StrideW: tc.stride, PadH: tc.k / 2, PadW: tc.k / 2}
		w := make([]float32, tc.out*tc.in*tc.k*tc.k)
		for i := range w {
			w[i] = float32(r.NormFloat64() * 0.1)
		}
		b := make([]float32, tc.out)
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		l, err := newConvLayer("layer", w, b, p, activation{fused: ops.ActReLU})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.wino != nil; got != tc.wino || (l.conv != nil) == got {
			t.Fatalf("%+v: Winograd %v (conv %v), want Winograd %v", p, got, l.conv != nil, tc.wino)
		}
		const h, wd = 11, 13
		x := make([]float32, tc.in*h*wd)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		ws := &workspace{}
		oh, ow := p.OutSize(h, wd)
		got := make([]float32, tc.out*oh*ow)
		if _, _, err := l.forward(ws, got, x, 1, h, wd); err != nil {
			t.Fatal(err)
		}
		p.Act = ops.ActReLU
		ref, err := ops.NewConv2D(w, b, p)
		if err != nil {
			t.Fatal(err)
		}
		// forward picks the padded and phase-split paths from the layer's
		// parameters: they must have their defaults filled in (a zero
		// Groups or dilation sent a 3x3 stride-1 layer down the slow
		// unpadded path).
		if l.p != ref.Params() {
			t.Errorf("%+v: layer parameters %+v, want %+v", p, l.p, ref.Params())
		}
		want := make([]float32, len(got))
		if err := ref.Forward(want, x, 1, h, wd, nil); err != nil {
			t.Fatal(err)
		}
		var maxDiff, maxRef float64
		for i := range got {
			maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
			maxRef = max(maxRef, math.Abs(float64(want[i])))
		}
		if tol := 8 * 4e-7 * math.Sqrt(float64(9*tc.in)+1) * maxRef; (!tc.wino && maxDiff != 0) || maxDiff > tol {
			t.Errorf("%+v: max |diff| %.3g against Conv2D (max |ref| %.3g, Winograd %v)", p, maxDiff, maxRef, tc.wino)
		}
	}
}
