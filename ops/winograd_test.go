package ops

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// winoCases cover ragged tiles (odd output sizes: the last tile row and
// column are clipped), outputs of one row or column, channels that are not
// multiples of any kernel's panel, pads 0 to 2, several images, the
// activations, and tile rows long enough for the assembly's blocks of 8.
var winoCases = []struct {
	inC, outC, n, h, w, pad int
	act                     Act
	noBias                  bool
}{
	{1, 1, 1, 1, 1, 1, ActNone, false},
	{3, 5, 1, 3, 3, 0, ActNone, false},
	{2, 3, 2, 4, 5, 1, ActReLU, false},
	{7, 13, 1, 9, 7, 1, ActSiLU, false},
	{16, 12, 1, 1, 40, 1, ActNone, true},
	{5, 33, 1, 37, 1, 1, ActGELU, false},
	{24, 40, 2, 17, 35, 1, ActReLU, false},
	{13, 7, 1, 21, 50, 2, ActNone, false},
	{64, 64, 1, 20, 20, 1, ActSiLU, false},
	{300, 17, 1, 6, 19, 1, ActNone, false}, // K beyond one 256-deep block
}

// winoTol bounds Winograd3x3's relative error (max|got - want| / max|want|)
// against float64: the float32 sum over InC channels (as convTol) of
// transformed values, each the sum of up to 9 products of rounded terms,
// with a factor 4 of headroom over convTol's constant for the transforms'
// growth (the input transform adds up to 4 values, the output one 9).
func winoTol(inC int) float64 { return 4 * 4e-7 * math.Sqrt(float64(9*inC)+1) }

// TestWinograd3x3 checks every case on every GEMM kernel against convRef,
// with guards around the output and the scratch (sized exactly as
// ScratchSize says), that the result is bit-identical on 1, 2 and 3
// workers, and that its error stays within a small multiple of Conv2D's on
// the same data.
func TestWinograd3x3(t *testing.T) {
	for _, kn := range convKernels(t) {
		testWinograd3x3(t, kn)
	}
}

func testWinograd3x3(t *testing.T, kn *kernel) {
	r := newRand(41)
	for _, tc := range winoCases {
		p := Conv2DParams{InC: tc.inC, OutC: tc.outC, KH: 3, KW: 3, PadH: tc.pad, PadW: tc.pad, Act: tc.act}
		name := fmt.Sprintf("%s/%dx%dx%dx%d->%d/p%d/act%d", kn.name, tc.n, tc.inC, tc.h, tc.w, tc.outC, tc.pad, tc.act)
		weight := randNormal(r, tc.outC*tc.inC*9, 0.5)
		var bias []float32
		if !tc.noBias {
			bias = randNormal(r, tc.outC, 1)
		}
		src := randNormal(r, tc.n*tc.inC*tc.h*tc.w, 1)
		c, err := newWinograd3x3(weight, bias, p, packerFor(kn))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		oh, ow := p.OutSize(tc.h, tc.w)
		dst, dbuf := guarded(tc.n * tc.outC * oh * ow)
		scratch, sbuf := guarded(c.ScratchSize(tc.n, tc.h, tc.w))
		if err := c.Forward(dst, src, tc.n, tc.h, tc.w, scratch); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkGuards(t, name+" output", dbuf)
		checkGuards(t, name+" scratch", sbuf)
		want := convRef(src, weight, bias, p, tc.n, tc.h, tc.w)
		if tc.act == ActSiLU {
			for i, v := range want {
				want[i] = v / (1 + math.Exp(-v))
			}
		}
		checkRel(t, name, dst, want, winoTol(tc.inC))

		direct, err := NewConv2D(weight, bias, p)
		if err != nil {
			t.Fatal(err)
		}
		ref := make([]float32, len(dst))
		if err := direct.Forward(ref, src, tc.n, tc.h, tc.w, nil); err != nil {
			t.Fatal(err)
		}
		_, eW := errStats(dst, want)
		_, eD := errStats(ref, want)
		t.Logf("%s: relative error %.2g (Conv2D %.2g)", name, eW, eD)
		if eW > 4*eD+1e-7 {
			t.Errorf("%s: relative error %.3g, more than 4x Conv2D's %.3g", name, eW, eD)
		}

		for _, procs := range []int{1, 3} {
			prev := runtime.GOMAXPROCS(procs)
			again := make([]float32, len(dst))
			err = c.Forward(again, src, tc.n, tc.h, tc.w, make([]float32, len(scratch)))
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			requireSameBits(t, fmt.Sprintf("%s: result with %d workers", name, procs), again, dst)
		}
	}
}

// TestWinogradTransforms checks the transforms as dispatched (assembly
// where there is one) against their pure-Go twins bit for bit, on tile
// counts around the assembly's blocks of 8, with guards around the
// outputs, and the filter transform against its definition.
func TestWinogradTransforms(t *testing.T) {
	r := newRand(43)
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 40, 67} {
		pw := n + 1 + n%3 // half rows may be longer than the tiles need
		rs := 2*pw + n%2
		src := randNormal(r, 3*rs+pw+n+1, 2)
		ds := n + n%5
		got, gbuf := guarded(15*ds + n)
		want := make([]float32, len(got))
		copy(want, got)
		winoIn(got, ds, src, rs, pw, n)
		checkGuards(t, fmt.Sprintf("winoIn n=%d", n), gbuf)
		winoInGeneric(want, ds, src, rs, pw, n)
		for xi := 0; xi < 16; xi++ {
			requireSameBits(t, fmt.Sprintf("winoIn n=%d value %d", n, xi), got[xi*ds:xi*ds+n], want[xi*ds:xi*ds+n])
		}

		ss := n + n%4
		m := randNormal(r, 15*ss+n, 3)
		for _, rows := range []int{1, 2} {
			for _, width := range []int{2 * n, 2*n - 1, max(1, 2*n-9)} {
				ldd := width + 3
				out, obuf := guarded((rows-1)*ldd + width)
				ref := make([]float32, len(out))
				copy(ref, out)
				winoOut(out, ldd, rows, width, m, ss, n, 0.25)
				checkGuards(t, fmt.Sprintf("winoOut n=%d rows=%d width=%d", n, rows, width), obuf)
				winoOutGeneric(ref, ldd, rows, width, m, ss, n, 0.25)
				for y := 0; y < rows; y++ {
					requireSameBits(t, fmt.Sprintf("winoOut n=%d rows=%d width=%d row %d", n, rows, width, y), out[y*ldd:y*ldd+width], ref[y*ldd:y*ldd+width])
				}
			}
		}
	}

	// G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], in float64.
	g := randNormal(r, 9, 1)
	var u [16]float32
	winoFilter(&u, g)
	G := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			var s float64
			for a := 0; a < 3; a++ {
				for b := 0; b < 3; b++ {
					s += G[i][a] * float64(g[a*3+b]) * G[j][b]
				}
			}
			if math.Abs(float64(u[i*4+j])-s) > 1e-7*math.Abs(s)+1e-12 {
				t.Errorf("filter transform (%d, %d) = %g, want %g", i, j, u[i*4+j], s)
			}
		}
	}
}

// TestWinogradErrors checks that bad parameters and sizes are refused with
// a message naming them.
func TestWinogradErrors(t *testing.T) {
	w := make([]float32, 4*2*9)
	for _, tc := range []struct {
		p    Conv2DParams
		w, b []float32
		want string
	}{
		{Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, w, nil, "stride 2x2"},
		{Conv2DParams{InC: 2, OutC: 4, KH: 1, KW: 1}, make([]float32, 8), nil, "1x1 kernel"},
		{Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3, PadH: 1}, w, nil, "padding 1x0"},
		{Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1}, w[1:], nil, "weight has 71 values"},
		{Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1}, w, make([]float32, 3), "bias has 3 values"},
	} {
		_, err := NewWinograd3x3(tc.w, tc.b, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.p, err, tc.want)
		}
	}
	c, err := NewWinograd3x3(w, nil, Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3})
	if err != nil {
		t.Fatal(err)
	}
	src := make([]float32, 2*5*5)
	dst := make([]float32, 4*3*3)
	sc := make([]float32, c.ScratchSize(1, 5, 5))
	for _, tc := range []struct {
		dst, src, sc []float32
		h, w         int
		want         string
	}{
		{dst, src[1:], sc, 5, 5, "input has 49 values"},
		{dst[1:], src, sc, 5, 5, "output has 35 values"},
		{dst, src, sc[1:], 5, 5, "scratch has"},
		{dst, src[:8], sc, 2, 2, "smaller than the dilated kernel"},
		{dst, src, sc, 0, 5, "positive sizes"},
	} {
		err := c.Forward(tc.dst, tc.src, 1, tc.h, tc.w, tc.sc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("h=%d w=%d: error %v, want one containing %q", tc.h, tc.w, err, tc.want)
		}
	}
}

// BenchmarkWinogradDetr times Winograd3x3 against Conv2D (PadPlanes +
// ForwardPadded, as the detector ran them) on RT-DETR-r18's 3x3 stride-1
// layer shapes at 640x640, in one run; GFLOP/s counts the direct
// convolution's multiply-adds for both, so the ratio of the two is the
// speed-up.
func BenchmarkWinogradDetr(b *testing.B) {
	r := newRand(21)
	for _, tc := range []struct{ c, h int }{{64, 160}, {128, 80}, {256, 40}, {512, 20}, {32, 320}, {256, 80}} {
		p := Conv2DParams{InC: tc.c, OutC: tc.c, KH: 3, KW: 3, PadH: 1, PadW: 1}
		weight, bias := randNormal(r, tc.c*tc.c*9, 0.1), randNormal(r, tc.c, 1)
		c, err := NewConv2D(weight, bias, p)
		if err != nil {
			b.Fatal(err)
		}
		wc, err := NewWinograd3x3(weight, bias, p)
		if err != nil {
			b.Fatal(err)
		}
		h, w := tc.h, tc.h
		src := randNormal(r, tc.c*h*w, 1)
		xp := make([]float32, tc.c*(h+2)*(w+2))
		sc := make([]float32, wc.ScratchSize(1, h, w))
		dst := make([]float32, tc.c*h*w)
		flops := 2 * float64(tc.c*tc.c*9*h*w)
		b.Run(fmt.Sprintf("c%d_%d/direct", tc.c, h), func(b *testing.B) {
			for range b.N {
				PadPlanes(xp, src, tc.c, h, w, 1)
				if err := c.ForwardPadded(dst, xp, 1, h, w, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("c%d_%d/winograd", tc.c, h), func(b *testing.B) {
			for range b.N {
				if err := wc.Forward(dst, src, 1, h, w, sc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()*1e-9, "GFLOP/s")
		})
	}
}
