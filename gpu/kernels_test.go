package gpu_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
)

// The tests in this file run every kernel of kernels.cu on the CPU emulator
// (package gpu/emu) and compare it with an independent result: PyTorch's
// outputs in testdata/ops where they exist, else package ops (itself
// checked against PyTorch) or a float64 transcription of SPEC.md.

func TestParseKernels(t *testing.T) {
	sigs, err := gpu.ParseKernels(gpu.KernelSource)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]gpu.KernelSig{}
	for _, s := range sigs {
		byName[s.Name] = s
	}
	la, ok := byName["layernorm_apply"]
	if !ok {
		t.Fatal("no layernorm_apply kernel")
	}
	want := "pppppii"
	got := ""
	for _, p := range la.Params {
		got += string(rune(p.Kind))
	}
	if got != want || la.Params[0].Name != "y" || la.Params[0].Type != "float *" || la.Params[1].Type != "const float *" || la.Params[2].Type != "const double *" {
		t.Errorf("layernorm parsed as %+v, want kinds %s", la.Params, want)
	}
	t.Logf("%d kernels", len(sigs))
	for _, bad := range []string{
		"KERNEL k(float *x, short n)\n",                  // unsupported type
		"KERNEL k(float *x)\nKERNEL k(float *y)\n",       // twice
		"no kernels here\n",                              // none
		"KERNEL k(float *x, int)\n",                      // unnamed
		"KERNEL k(float *x, unsigned long long n)\n",     // unsupported type
		"KERNEL k(const float *x, float *y, struct s)\n", // unsupported type
	} {
		if _, err := gpu.ParseKernels(bad); err == nil {
			t.Errorf("ParseKernels(%q) succeeded", bad)
		}
	}
}

// gemmRef computes C = alpha op(A) op(B) + beta C for row-major operands in
// float64.
func gemmRef(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				ai, bi := i*lda+l, l*ldb+j
				if ta {
					ai = l*lda + i
				}
				if tb {
					bi = j*ldb + l
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}

func TestGemm(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		ta, tb      bool
		m, n, k     int
		alpha, beta float32
		batch       int
	}{
		{false, false, 7, 9, 5, 1, 0, 1},
		{true, false, 7, 9, 5, 0.5, 0, 1},
		{false, true, 16, 3, 33, 1, 1, 1},
		{true, true, 4, 11, 6, 2, -0.5, 1},
		{false, true, 5, 6, 7, 1, 0, 3},
		{true, false, 8, 4, 9, 1, 1, 4},
	}
	for _, tc := range cases {
		// Leading dimensions wider than the matrices, and strides with gaps.
		ar, ac := tc.m, tc.k
		if tc.ta {
			ar, ac = tc.k, tc.m
		}
		br, bc := tc.k, tc.n
		if tc.tb {
			br, bc = tc.n, tc.k
		}
		lda, ldb, ldc := ac+2, bc+1, tc.n+3
		sa, sb, sc := ar*lda+5, br*ldb+1, tc.m*ldc+2
		a := randn(rng, tc.batch*sa, 1)
		b := randn(rng, tc.batch*sb, 1)
		c := randn(rng, tc.batch*sc, 1)
		want := append([]float32(nil), c...)
		for i := 0; i < tc.batch; i++ {
			gemmRef(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a[i*sa:], lda, b[i*sb:], ldb, tc.beta, want[i*sc:], ldc)
		}
		da, db, dc := upload(t, d, a), upload(t, d, b), upload(t, d, c)
		var err error
		if tc.batch == 1 {
			err = d.Gemm(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, da, lda, db, ldb, tc.beta, dc, ldc)
		} else {
			err = d.GemmStrided(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, da, lda, sa, db, ldb, sb, tc.beta, dc, ldc, sc, tc.batch)
		}
		if err != nil {
			t.Fatal(err)
		}
		check(t, fmt.Sprintf("gemm %+v", tc), download(t, d, dc, len(c)), want)
	}
	// An operand outside its buffer is an error before anything runs.
	small := alloc(t, d, 10)
	if err := d.Gemm(false, false, 4, 4, 4, 1, small, 4, small, 4, 0, small, 4); err == nil {
		t.Error("gemm on a 10-value buffer accepted")
	}
	// beta 0 does not read C (the emulator fills new buffers with NaN).
	a, b := upload(t, d, []float32{1, 2, 3, 4}), upload(t, d, []float32{1, 0, 0, 1})
	c := alloc(t, d, 4)
	if err := d.Gemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2); err != nil {
		t.Fatal(err)
	}
	check(t, "gemm beta 0 over NaN", download(t, d, c, 4), []float32{1, 2, 3, 4})
}

func TestLinearAndBiasAct(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, act := range []ops.Act{ops.ActNone, ops.ActReLU, ops.ActGELU} {
		for _, beta := range []float32{0, 1} {
			rows, in, out := 13, 24, 40
			l := nn.NewLinear("l", in, out, true)
			copy(l.W.Data, randn(rng, in*out, 0.3))
			copy(l.B.Data, randn(rng, out, 0.5))
			x := randn(rng, rows*in, 2)
			y := randn(rng, rows*out, 1)
			want := append([]float32(nil), y...)
			l.Forward(want, out, x, in, rows, beta, act)
			dy := upload(t, d, y)
			if err := d.Linear(dy, upload(t, d, x), rows, in, out, upload(t, d, l.W.Data), upload(t, d, l.B.Data), beta, act); err != nil {
				t.Fatal(err)
			}
			check(t, fmt.Sprintf("linear act %d beta %v", act, beta), download(t, d, dy, len(y)), want)
		}
	}
	// BiasAct with a per-channel bias over planes (a convolution's).
	n, c, hw := 2, 3, 5
	y := randn(rng, n*c*hw, 1)
	bias := randn(rng, c, 1)
	want := make([]float32, len(y))
	for i := range y {
		want[i] = max(y[i]+bias[(i/hw)%c], 0)
	}
	dy := upload(t, d, y)
	if err := d.BiasAct(dy, len(y), upload(t, d, bias), hw, c, ops.ActReLU); err != nil {
		t.Fatal(err)
	}
	check(t, "bias per plane + ReLU", download(t, d, dy, len(y)), want)
}

func TestActivationGoldens(t *testing.T) {
	d := dev(t)
	f := openGolden(t, "act")
	x, _ := golden(t, f, "gelu.x")
	want, _ := golden(t, f, "gelu.y")
	dx := upload(t, d, x)
	if err := d.BiasAct(dx, len(x), gpu.Buf{}, 1, 1, ops.ActGELU); err != nil {
		t.Fatal(err)
	}
	check(t, "gelu (PyTorch)", download(t, d, dx, len(x)), want)
}

func TestNormGoldens(t *testing.T) {
	d := dev(t)
	f := openGolden(t, "norm")
	var cases []struct {
		Name string
		Eps  float64
	}
	if err := json.Unmarshal([]byte(f.Metadata()["cases"]), &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		x, shape := golden(t, f, tc.Name+".x")
		want, _ := golden(t, f, tc.Name+".y")
		n := shape[len(shape)-1]
		rows := len(x) / n
		dx := upload(t, d, x)
		switch {
		case strings.HasPrefix(tc.Name, "softmax"):
			if err := d.Softmax(dx, rows, n, alloc(t, d, gpu.ReduceScratch(rows))); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(tc.Name, "layernorm"):
			w, _ := golden(t, f, tc.Name+".w")
			b, _ := golden(t, f, tc.Name+".b")
			y := alloc(t, d, len(x))
			if err := d.LayerNorm(y, dx, rows, n, upload(t, d, w), upload(t, d, b), float32(tc.Eps), alloc(t, d, gpu.ReduceScratch(rows))); err != nil {
				t.Fatal(err)
			}
			dx = y
		default:
			continue // BatchNorm is folded into convolutions on the GPU
		}
		check(t, tc.Name+" (PyTorch)", download(t, d, dx, len(x)), want)
	}
}

func TestLayerNormSoftmaxVsOps(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 192, 768} {
		rows := 9
		x := randn(rng, rows*n, 3)
		for i := range x {
			x[i] += 4 // an offset: the two-pass statistics matter
		}
		g, b := randn(rng, n, 1), randn(rng, n, 1)
		want := make([]float32, len(x))
		ops.LayerNorm(want, x, n, g, b, 1e-6)
		dx := upload(t, d, x)
		if err := d.LayerNorm(dx, dx, rows, n, upload(t, d, g), upload(t, d, b), 1e-6, alloc(t, d, gpu.ReduceScratch(rows))); err != nil { // in place
			t.Fatal(err)
		}
		check(t, "layernorm in place n="+itoa(n), download(t, d, dx, len(x)), want)

		s := randn(rng, rows*n, 20)
		ws := append([]float32(nil), s...)
		ops.Softmax(ws, n)
		ds := upload(t, d, s)
		if err := d.Softmax(ds, rows, n, alloc(t, d, gpu.ReduceScratch(rows))); err != nil {
			t.Fatal(err)
		}
		check(t, "softmax n="+itoa(n), download(t, d, ds, len(s)), ws)
	}
}

func itoa(v int) string { return strconv.Itoa(v) }

func TestAttentionVsNN(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ b, nq, nk, heads, hd int }{{2, 12, 12, 3, 8}, {3, 5, 9, 4, 4}, {1, 1, 7, 2, 3}} {
		ld := 3*tc.heads*tc.hd + 5 // q | k | v side by side plus a gap, as the backbone's qkv
		q := randn(rng, tc.b*tc.nq*ld, 1)
		kv := randn(rng, tc.b*tc.nk*ld, 1)
		scale := float32(1 / math.Sqrt(float64(tc.hd)))
		w := tc.heads * tc.hd
		ldo := w + 2
		out := randn(rng, tc.b*tc.nq*ldo, 1)
		want := append([]float32(nil), out...)
		nn.Attention(want[1:], ldo, q, ld, kv[w:], ld, kv[2*w:], ld, tc.b, tc.nq, tc.nk, tc.heads, tc.hd, scale,
			make([]float32, tc.b*tc.heads*tc.nq*tc.nk))
		dq, dkv, dout := upload(t, d, q), upload(t, d, kv), upload(t, d, out)
		scratch := alloc(t, d, gpu.AttentionScratch(tc.b, tc.nq, tc.nk, tc.heads, tc.hd))
		if err := d.Attention(dout, ldo, 1, dq, ld, 0, dkv, ld, w, dkv, ld, 2*w, tc.b, tc.nq, tc.nk, tc.heads, tc.hd, scale, scratch); err != nil {
			t.Fatal(err)
		}
		got := download(t, d, dout, len(out))
		check(t, "attention "+itoa(tc.b)+"x"+itoa(tc.nq)+"x"+itoa(tc.nk)+" heads "+itoa(tc.heads), got, want)
		// Columns outside the heads are untouched.
		for r := 0; r < tc.b*tc.nq; r++ {
			if got[r*ldo] != out[r*ldo] || got[r*ldo+w+1] != out[r*ldo+w+1] {
				t.Fatalf("attention wrote outside its columns at row %d", r)
			}
		}
	}
}

type convCase struct {
	Name          string
	In, Out       int
	Kernel        []int
	Stride        []int
	Padding       []int
	OutputPadding []int `json:"output_padding"`
	Dilation      []int
	Groups        int
	Bias          bool
	Input         []int
}

func convCases(t *testing.T, family string) ([]convCase, func(name string) ([]float32, []int)) {
	f := openGolden(t, family)
	var cases []convCase
	if err := json.Unmarshal([]byte(f.Metadata()["cases"]), &cases); err != nil {
		t.Fatal(err)
	}
	return cases, func(name string) ([]float32, []int) { return golden(t, f, name) }
}

// TestConv2DGoldens runs PyTorch's conv2d cases (strides 1 to 16, paddings,
// dilations 3/6/9, grouped, depthwise, 1x1) and Haar subbands, each with
// enough scratch for all samples at once and with scratch for one sample
// (chunked), against PyTorch.
func TestConv2DGoldens(t *testing.T) {
	d := dev(t)
	cases, g := convCases(t, "conv")
	for _, tc := range cases {
		x, _ := g(tc.Name + ".x")
		want, _ := g(tc.Name + ".y")
		n, h, w := tc.Input[0], tc.Input[2], tc.Input[3]
		dx := upload(t, d, x)
		if strings.HasPrefix(tc.Name, "haar") {
			y := alloc(t, d, len(want))
			if err := d.HaarDWT(y, dx, n, tc.Input[1], h, w); err != nil {
				t.Fatal(err)
			}
			check(t, tc.Name+" (PyTorch)", download(t, d, y, len(want)), want)
			continue
		}
		wt, _ := g(tc.Name + ".w")
		var bias gpu.Buf
		if tc.Bias {
			b, _ := g(tc.Name + ".b")
			bias = upload(t, d, b)
		}
		p := ops.Conv2DParams{InC: tc.In, OutC: tc.Out, KH: tc.Kernel[0], KW: tc.Kernel[1],
			StrideH: tc.Stride[0], StrideW: tc.Stride[1], PadH: tc.Padding[0], PadW: tc.Padding[1],
			DilH: tc.Dilation[0], DilW: tc.Dilation[1], Groups: tc.Groups}
		c, err := gpu.NewConv2D(upload(t, d, wt), bias, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, chunked := range []bool{false, true} {
			ss := c.ScratchSize(n, h, w)
			if chunked {
				ss = c.ScratchSize(1, h, w)
			}
			y := alloc(t, d, len(want))
			if err := d.Conv2D(c, y, dx, n, h, w, alloc(t, d, ss)); err != nil {
				t.Fatal(err)
			}
			name := tc.Name + " (PyTorch)"
			if chunked {
				name = tc.Name + " one sample a chunk"
			}
			check(t, name, download(t, d, y, len(want)), want)
		}
	}
}

func TestConv2DActVsOps(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, p := range []ops.Conv2DParams{
		{InC: 6, OutC: 4, KH: 1, KW: 1, Act: ops.ActReLU},                                       // pointwise
		{InC: 6, OutC: 4, KH: 1, KW: 1, Groups: 2, Act: ops.ActGELU},                            // grouped pointwise
		{InC: 4, OutC: 8, KH: 3, KW: 3, PadH: 2, PadW: 1, DilH: 2, Groups: 4, Act: ops.ActReLU}, // depthwise x2
		{InC: 3, OutC: 5, KH: 4, KW: 4, StrideH: 4, StrideW: 4},                                 // the ASPP down
	} {
		n, h, w := 3, 9, 7
		wt := randn(rng, p.OutC*p.InC/max(p.Groups, 1)*p.KH*p.KW, 0.5)
		bias := randn(rng, p.OutC, 0.5)
		ref, err := ops.NewConv2D(wt, bias, p)
		if err != nil {
			t.Fatal(err)
		}
		oh, ow := p.OutSize(h, w)
		x := randn(rng, n*p.InC*h*w, 1)
		want := make([]float32, n*p.OutC*oh*ow)
		if err := ref.Forward(want, x, n, h, w, make([]float32, ref.ScratchSize(n, h, w))); err != nil {
			t.Fatal(err)
		}
		c, err := gpu.NewConv2D(upload(t, d, wt), upload(t, d, bias), p)
		if err != nil {
			t.Fatal(err)
		}
		y := alloc(t, d, len(want))
		if err := d.Conv2D(c, y, upload(t, d, x), n, h, w, alloc(t, d, c.ScratchSize(n, h, w))); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		check(t, "conv "+string(b), download(t, d, y, len(want)), want)
	}
}

func TestConvTranspose2DGoldens(t *testing.T) {
	d := dev(t)
	cases, g := convCases(t, "convt")
	for _, tc := range cases {
		x, _ := g(tc.Name + ".x")
		want, _ := g(tc.Name + ".y")
		wt, _ := g(tc.Name + ".w")
		var bias gpu.Buf
		if tc.Bias {
			b, _ := g(tc.Name + ".b")
			bias = upload(t, d, b)
		}
		p := ops.ConvTranspose2DParams{InC: tc.In, OutC: tc.Out, KH: tc.Kernel[0], KW: tc.Kernel[1],
			StrideH: tc.Stride[0], StrideW: tc.Stride[1], PadH: tc.Padding[0], PadW: tc.Padding[1],
			OutPadH: tc.OutputPadding[0], OutPadW: tc.OutputPadding[1], DilH: tc.Dilation[0], DilW: tc.Dilation[1], Groups: tc.Groups}
		c, err := gpu.NewConvTranspose2D(upload(t, d, wt), bias, p)
		if err != nil {
			t.Fatal(err)
		}
		n, h, w := tc.Input[0], tc.Input[2], tc.Input[3]
		for _, chunked := range []bool{false, true} {
			ss := c.ScratchSize(n, h, w)
			if chunked {
				ss = c.ScratchSize(1, h, w)
			}
			y := alloc(t, d, len(want))
			if err := d.ConvTranspose2D(c, y, upload(t, d, x), n, h, w, alloc(t, d, ss)); err != nil {
				t.Fatal(err)
			}
			name := tc.Name + " (PyTorch)"
			if chunked {
				name = tc.Name + " one sample a chunk"
			}
			check(t, name, download(t, d, y, len(want)), want)
		}
	}
	// Folded BatchNorm and ReLU, as the classic head runs it, against ops.
	rng := rand.New(rand.NewPCG(11, 12))
	p := ops.ConvTranspose2DParams{InC: 8, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ops.ActReLU}
	wt, bias := randn(rng, 8*6*16, 0.5), randn(rng, 6, 0.5)
	ref, err := ops.NewConvTranspose2D(wt, bias, p)
	if err != nil {
		t.Fatal(err)
	}
	x := randn(rng, 2*8*4*3, 1)
	want := make([]float32, 2*6*8*6)
	if err := ref.Forward(want, x, 2, 4, 3, make([]float32, ref.ScratchSize(2, 4, 3))); err != nil {
		t.Fatal(err)
	}
	c, err := gpu.NewConvTranspose2D(upload(t, d, wt), upload(t, d, bias), p)
	if err != nil {
		t.Fatal(err)
	}
	y := alloc(t, d, len(want))
	if err := d.ConvTranspose2D(c, y, upload(t, d, x), 2, 4, 3, alloc(t, d, c.ScratchSize(2, 4, 3))); err != nil {
		t.Fatal(err)
	}
	check(t, "deconv k4 s2 + bias + ReLU vs ops", download(t, d, y, len(want)), want)
}

func TestPoolResizeGoldens(t *testing.T) {
	d := dev(t)
	f := openGolden(t, "pool")
	x, shape := golden(t, f, "gap_2x7x13x11.x")
	want, _ := golden(t, f, "gap_2x7x13x11.y")
	y := alloc(t, d, len(want))
	rows, n := shape[0]*shape[1], shape[2]*shape[3]
	if err := d.GlobalAvgPool(y, upload(t, d, x), rows, n, alloc(t, d, gpu.ReduceScratch(rows))); err != nil {
		t.Fatal(err)
	}
	check(t, "global average pool (PyTorch)", download(t, d, y, len(want)), want)

	rf := openGolden(t, "resize")
	var cases []struct {
		Name          string
		Input, Output []int
		ScaleFactor   []float64 `json:"scale_factor"`
	}
	if err := json.Unmarshal([]byte(rf.Metadata()["cases"]), &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		if tc.ScaleFactor != nil && tc.Name != "x4" {
			continue // only sizes (and x4, whose step is the same) run on the GPU
		}
		x, _ := golden(t, rf, tc.Name+".x")
		want, _ := golden(t, rf, tc.Name+".y")
		y := alloc(t, d, len(want))
		in := tc.Input
		if err := d.ResizeBilinear(y, upload(t, d, x), in[0]*in[1], in[2], in[3], tc.Output[0], tc.Output[1]); err != nil {
			t.Fatal(err)
		}
		check(t, "resize "+tc.Name+" (PyTorch)", download(t, d, y, len(want)), want)
	}
}

func TestLayoutKernels(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(13, 14))
	b, r, c := 3, 5, 7
	src := randn(rng, b*r*c, 1)
	want := make([]float32, len(src))
	for i := 0; i < b; i++ {
		for j := 0; j < r; j++ {
			for k := 0; k < c; k++ {
				want[i*r*c+k*r+j] = src[i*r*c+j*c+k]
			}
		}
	}
	y := alloc(t, d, len(src))
	if err := d.TransposeBatch(y, upload(t, d, src), b, r, c); err != nil {
		t.Fatal(err)
	}
	check(t, "transpose", download(t, d, y, len(src)), want)

	// Patch tokens: ((pe + bias) + pos[1+t]) + pos[0].
	dim, n := 4, 6
	pe, bias, pos := randn(rng, b*dim*n, 1), randn(rng, dim, 1), randn(rng, (1+n)*dim, 1)
	want = make([]float32, b*n*dim)
	for i := 0; i < b; i++ {
		for tk := 0; tk < n; tk++ {
			for j := 0; j < dim; j++ {
				want[(i*n+tk)*dim+j] = ((pe[(i*dim+j)*n+tk] + bias[j]) + pos[(1+tk)*dim+j]) + pos[j]
			}
		}
	}
	x := alloc(t, d, len(want))
	if err := d.PatchTokens(x, upload(t, d, pe), upload(t, d, bias), upload(t, d, pos), b, dim, n); err != nil {
		t.Fatal(err)
	}
	check(t, "patch tokens", download(t, d, x, len(want)), want)

	// Heads apart and back together, and a block copy.
	heads, hd, lds := 3, 2, 9
	m := randn(rng, b*n*lds, 1)
	dm := upload(t, d, m)
	sp := alloc(t, d, b*heads*n*hd)
	if err := d.SplitHeads(sp, dm, lds, 2, b, n, heads, hd); err != nil {
		t.Fatal(err)
	}
	got := download(t, d, sp, b*heads*n*hd)
	for i := 0; i < b; i++ {
		for h := 0; h < heads; h++ {
			for tk := 0; tk < n; tk++ {
				for j := 0; j < hd; j++ {
					if g, w := got[((i*heads+h)*n+tk)*hd+j], m[(i*n+tk)*lds+2+h*hd+j]; g != w {
						t.Fatalf("split heads: [%d %d %d %d] = %v, want %v", i, h, tk, j, g, w)
					}
				}
			}
		}
	}
	back := upload(t, d, make([]float32, len(m)))
	if err := d.MergeHeads(back, lds, 2, sp, b, n, heads, hd); err != nil {
		t.Fatal(err)
	}
	bk := download(t, d, back, len(m))
	cp := alloc(t, d, b*n*7)
	if err := d.CopyCols(cp, 7, dm.From(2), lds, b*n, heads*hd); err != nil {
		t.Fatal(err)
	}
	cpv := download(t, d, cp, b*n*7)
	for r := 0; r < b*n; r++ {
		for j := 0; j < lds; j++ {
			w := float32(0)
			if j >= 2 && j < 2+heads*hd {
				w = m[r*lds+j]
				if cpv[r*7+j-2] != w {
					t.Fatalf("copy cols: row %d col %d = %v, want %v", r, j-2, cpv[r*7+j-2], w)
				}
			}
			if bk[r*lds+j] != w {
				t.Fatalf("merge heads: row %d col %d = %v, want %v", r, j, bk[r*lds+j], w)
			}
		}
	}

	// Broadcast planes into a wider map.
	ctot, hw := 5, 4
	vals := randn(rng, b*2, 1)
	fp := upload(t, d, make([]float32, b*ctot*hw))
	if err := d.FillPlanes(fp, upload(t, d, vals), b, 2, hw, ctot); err != nil {
		t.Fatal(err)
	}
	fv := download(t, d, fp, b*ctot*hw)
	for i := 0; i < b; i++ {
		for ch := 0; ch < ctot; ch++ {
			for p := 0; p < hw; p++ {
				w := float32(0)
				if ch < 2 {
					w = vals[i*2+ch]
				}
				if fv[(i*ctot+ch)*hw+p] != w {
					t.Fatalf("fill planes: [%d %d %d] = %v, want %v", i, ch, p, fv[(i*ctot+ch)*hw+p], w)
				}
			}
		}
	}
}

// TestFrequencyKernels checks the frequency path's sums and channel softmax
// (SPEC.md section 3) against float64 transcriptions.
func TestFrequencyKernels(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(15, 16))
	b, c, hw := 2, 3, 10
	sub := randn(rng, b*4*c*hw, 2)
	wl, wh := make([]float32, b*c*hw), make([]float32, b*c*hw)
	for i := 0; i < b; i++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				at := func(k int) float32 { return sub[(i*4*c+k*c+ch)*hw+p] }
				wl[(i*c+ch)*hw+p] = (at(0) + at(1)) + at(2)
				wh[(i*c+ch)*hw+p] = (at(3) + at(1)) + at(2)
			}
		}
	}
	sl, sh := alloc(t, d, b*c*hw), alloc(t, d, b*c*hw)
	if err := d.FreqMix(sl, sh, upload(t, d, sub), b, c, hw); err != nil {
		t.Fatal(err)
	}
	check(t, "freq LL+LH+HL", download(t, d, sl, b*c*hw), wl)
	check(t, "freq HH+LH+HL", download(t, d, sh, b*c*hw), wh)

	ch := 4 * c
	s, tt, u := randn(rng, b*ch*hw, 5), randn(rng, b*ch*hw, 5), randn(rng, b*ch*hw, 1)
	want := make([]float32, len(s))
	for i := 0; i < b; i++ {
		for p := 0; p < hw; p++ {
			m := math.Inf(-1)
			for k := 0; k < ch; k++ {
				q := (i*ch+k)*hw + p
				m = math.Max(m, float64(s[q]+tt[q]))
			}
			var sum float64
			for k := 0; k < ch; k++ {
				q := (i*ch+k)*hw + p
				sum += math.Exp(float64(s[q]+tt[q]) - m)
			}
			for k := 0; k < ch; k++ {
				q := (i*ch+k)*hw + p
				want[q] = float32(math.Exp(float64(s[q]+tt[q])-m) / sum * float64(u[q]))
			}
		}
	}
	ds := upload(t, d, s)
	if err := d.ChannelSoftmaxMul(ds, upload(t, d, tt), upload(t, d, u), b, ch, hw); err != nil {
		t.Fatal(err)
	}
	check(t, "channel softmax * subbands", download(t, d, ds, len(s)), want)
}

// TestFusionKernels checks the ASF kernels (SPEC.md section 5): the
// similarity levels, the strip selection, the token mean and the gate.
func TestFusionKernels(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(17, 18))
	// Similarities near a chosen to hit every level: y = a*x + sqrt(1-a^2)*z
	// with z independent of x and as large.
	b, m := 6, 400
	x := randn(rng, b*m, 1)
	y := make([]float32, b*m)
	for i := 0; i < b; i++ {
		a := []float64{0.9, 0.62, 0.37, 0.1, -1, 0}[i]
		for j := 0; j < m; j++ {
			y[i*m+j] = float32(a*float64(x[i*m+j]) + math.Sqrt(1-a*a)*float64(2*rng.Float32()-1))
			if i == 5 {
				y[i*m+j] = 0 // zero norm: similarity 0, level 4
			}
		}
	}
	sims, levels := alloc(t, d, b), alloc(t, d, b)
	if err := d.CosineLevel(sims, levels, upload(t, d, x), upload(t, d, y), b, m, alloc(t, d, gpu.CosineScratch(b))); err != nil {
		t.Fatal(err)
	}
	gs, gl := download(t, d, sims, b), download(t, d, levels, b)
	wantSims := make([]float32, b)
	seen := map[float32]bool{}
	for i := 0; i < b; i++ {
		var dot, nx, ny float64
		for j := 0; j < m; j++ {
			dot += float64(x[i*m+j]) * float64(y[i*m+j])
			nx += float64(x[i*m+j]) * float64(x[i*m+j])
			ny += float64(y[i*m+j]) * float64(y[i*m+j])
		}
		s := 0.0
		if nx != 0 && ny != 0 {
			s = dot / (math.Sqrt(nx) * math.Sqrt(ny))
		}
		wantSims[i] = float32(s)
		lv := float32(4)
		switch {
		case s >= 0.75:
			lv = 1
		case s >= 0.5:
			lv = 2
		case s >= 0.25:
			lv = 3
		}
		if gl[i] != lv {
			t.Errorf("sample %d: similarity %.4f gives level %v, want %v", i, s, gl[i], lv)
		}
		seen[lv] = true
	}
	check(t, "cosine similarity", gs, wantSims)
	if len(seen) != 4 {
		t.Errorf("the cases reach levels %v, not all four", seen)
	}

	// Strip selection on a 16 x 3 grid: every level's strips as
	// torch.tensor_split(16 rows, L) gives them.
	gh, gw, e := 16, 3, 2
	n := gh * gw
	lv := []float32{1, 2, 3, 4}
	bb := len(lv)
	resid := randn(rng, bb*n*e, 1)
	src := randn(rng, bb*n*4*e, 1)
	ldd := 2*e + 1
	dst := upload(t, d, make([]float32, bb*n*ldd))
	if err := d.StripSelect(dst.From(1), ldd, upload(t, d, resid), e, upload(t, d, src), 4*e, upload(t, d, lv), bb, gh, gw, e); err != nil {
		t.Fatal(err)
	}
	got := download(t, d, dst, bb*n*ldd)
	splits := map[int][]int{1: {16}, 2: {8, 8}, 3: {6, 5, 5}, 4: {4, 4, 4, 4}}
	for i, l := range lv {
		strip, end := 0, splits[int(l)][0]
		for row := 0; row < gh; row++ {
			for row >= end {
				strip++
				end += splits[int(l)][strip]
			}
			for col := 0; col < gw; col++ {
				r := i*n + row*gw + col
				for j := 0; j < e; j++ {
					w := resid[r*e+j] + src[r*4*e+strip*e+j]
					if g := got[r*ldd+1+j]; g != w {
						t.Fatalf("level %v row %d: value %v, want strip %d's %v", l, row, g, strip, w)
					}
				}
				if got[r*ldd] != 0 || got[r*ldd+e+1] != 0 {
					t.Fatalf("strip select wrote outside its columns at row %d", r)
				}
			}
		}
	}

	// Token mean and sigmoid gate.
	nt, w := 7, 5
	fc := randn(rng, 2*nt*w, 2)
	mean := alloc(t, d, 2*w)
	if err := d.MeanTokens(mean, upload(t, d, fc), 2, nt, w); err != nil {
		t.Fatal(err)
	}
	wm := make([]float32, 2*w)
	for i := 0; i < 2; i++ {
		for j := 0; j < w; j++ {
			var s float64
			for k := 0; k < nt; k++ {
				s += float64(fc[(i*nt+k)*w+j])
			}
			wm[i*w+j] = float32(s / float64(nt))
		}
	}
	check(t, "token mean", download(t, d, mean, 2*w), wm)
	gate := randn(rng, 2*w, 3)
	dfc := upload(t, d, fc)
	if err := d.GateMul(dfc, upload(t, d, gate), 2, nt, w); err != nil {
		t.Fatal(err)
	}
	wg := make([]float32, len(fc))
	for i := range fc {
		g := gate[(i/(nt*w))*w+i%w]
		wg[i] = float32(float64(fc[i]) / (1 + math.Exp(-float64(g))))
	}
	check(t, "sigmoid gate", download(t, d, dfc, len(fc)), wg)
}

// TestGraphKernels checks the MGA kernels (SPEC.md section 6).
func TestGraphKernels(t *testing.T) {
	d := dev(t)
	rng := rand.New(rand.NewPCG(19, 20))
	b, n, c, v := 2, 9, 12, 5 // 12 channels into 5 bins: overlapping bins
	rows := b * n
	t1, t2, j := randn(rng, rows*c, 1), randn(rng, rows*c, 3), randn(rng, rows*c, 3)
	want := make([]float32, rows*c)
	for r := 0; r < rows; r++ {
		m := math.Inf(-1)
		for i := 0; i < c; i++ {
			m = math.Max(m, float64(t2[r*c+i]+j[r*c+i]))
		}
		var s float64
		for i := 0; i < c; i++ {
			s += math.Exp(float64(t2[r*c+i]+j[r*c+i]) - m)
		}
		for i := 0; i < c; i++ {
			want[r*c+i] = float32(float64(t1[r*c+i]) * math.Exp(float64(t2[r*c+i]+j[r*c+i])-m) / s)
		}
	}
	dt1 := upload(t, d, t1)
	if err := d.MGAMix(dt1, upload(t, d, t2), upload(t, d, j), rows, c, alloc(t, d, gpu.ReduceScratch(rows))); err != nil {
		t.Fatal(err)
	}
	xt := download(t, d, dt1, rows*c)
	check(t, "T1 * softmax(T2 + J)", xt, want)

	// Projection: adaptive average pool into v bins, softmax over tokens.
	pooled := make([]float32, rows*v)
	ops.AdaptiveAvgPool1D(pooled, xt, rows, c, 1, v)
	wp := make([]float32, b*v*n)
	for i := 0; i < b; i++ {
		for k := 0; k < v; k++ {
			for tk := 0; tk < n; tk++ {
				wp[(i*v+k)*n+tk] = pooled[(i*n+tk)*v+k]
			}
		}
	}
	ops.Softmax(wp, n)
	pt := alloc(t, d, b*v*n)
	if err := d.MGAProject(pt, dt1, b, n, c, v, alloc(t, d, gpu.ReduceScratch(b*v))); err != nil {
		t.Fatal(err)
	}
	check(t, "graph projection", download(t, d, pt, b*v*n), wp)

	// Edge scores and their fusion, node fusion, the mean of three.
	z := randn(rng, b*v*c, 1)
	a := randn(rng, 2*c, 1)
	s1, s2 := alloc(t, d, b*v), alloc(t, d, b*v)
	if err := d.MGAScores(s1, s2, upload(t, d, z), upload(t, d, a), b*v, c); err != nil {
		t.Fatal(err)
	}
	w1, w2 := make([]float32, b*v), make([]float32, b*v)
	for r := 0; r < b*v; r++ {
		var x1, x2 float64
		for i := 0; i < c; i++ {
			x1 += float64(z[r*c+i]) * float64(a[i])
			x2 += float64(z[r*c+i]) * float64(a[c+i])
		}
		w1[r], w2[r] = float32(x1), float32(x2)
	}
	check(t, "edge scores a1", download(t, d, s1, b*v), w1)
	check(t, "edge scores a2", download(t, d, s2, b*v), w2)

	var ss1, ss2 [3][]float32
	var ds1, ds2 [3]gpu.Buf
	for k := range ss1 {
		ss1[k], ss2[k] = randn(rng, b*v, 2), randn(rng, b*v, 2)
		ds1[k], ds2[k] = upload(t, d, ss1[k]), upload(t, d, ss2[k])
	}
	beta := [3]float32{0.2, 0.5, -0.3}
	fe := alloc(t, d, b*v*v)
	if err := d.MGAEdges(fe, ds1, ds2, beta, b, v); err != nil {
		t.Fatal(err)
	}
	we := make([]float32, b*v*v)
	leaky := func(x float32) float64 {
		if x > 0 {
			return float64(x)
		}
		return 0.2 * float64(x)
	}
	for i := 0; i < b; i++ {
		for p := 0; p < v; p++ {
			for q := 0; q < v; q++ {
				var s float64
				for k := 0; k < 3; k++ {
					s += float64(beta[k]) * leaky(ss1[k][i*v+p]+ss2[k][i*v+q])
				}
				we[(i*v+p)*v+q] = float32(s)
			}
		}
	}
	check(t, "fused edges", download(t, d, fe, b*v*v), we)

	alpha := [3]float32{1.0 / 3, 0.7, -0.2}
	g0, g1, g2 := randn(rng, 30, 1), randn(rng, 30, 1), randn(rng, 30, 1)
	out := alloc(t, d, 30)
	if err := d.WeightedSum3(out, [3]gpu.Buf{upload(t, d, g0), upload(t, d, g1), upload(t, d, g2)}, alpha, 30); err != nil {
		t.Fatal(err)
	}
	ws, wm3 := make([]float32, 30), make([]float32, 30)
	for i := range ws {
		ws[i] = float32(float64(alpha[0])*float64(g0[i]) + float64(alpha[1])*float64(g1[i]) + float64(alpha[2])*float64(g2[i]))
		wm3[i] = float32((float64(g0[i]) + float64(g1[i]) + float64(g2[i])) / 3)
	}
	check(t, "weighted sum of three", download(t, d, out, 30), ws)
	if err := d.Mean3(out, upload(t, d, g0), upload(t, d, g1), upload(t, d, g2), 30); err != nil {
		t.Fatal(err)
	}
	check(t, "mean of three", download(t, d, out, 30), wm3)

	gates := [3]float32{0.1, -0.2, 0.3}
	flast := randn(rng, 30, 1)
	if err := d.LadderGates(out, upload(t, d, flast), [3]gpu.Buf{upload(t, d, g0), upload(t, d, g1), upload(t, d, g2)}, gates, 30); err != nil {
		t.Fatal(err)
	}
	wl := make([]float32, 30)
	for i := range wl {
		wl[i] = float32(float64(flast[i]) + float64(gates[0])*float64(g0[i]) + float64(gates[1])*float64(g1[i]) + float64(gates[2])*float64(g2[i]))
	}
	check(t, "ladder gates", download(t, d, out, 30), wl)
}

// TestKernelsAreCxx checks with the system C++ compiler that
// NVRTCPrelude + KernelSource is valid C++ (NVRTC compiles C++; the
// emulator compiles the same text as C), with the few CUDA names it uses
// declared by testdata/cxx/cuda_names.hpp. TestRealNVRTC does the same
// with NVRTC itself where one is available.
func TestKernelsAreCxx(t *testing.T) {
	cxx := ""
	for _, name := range []string{"c++", "g++", "clang++"} {
		if p, err := exec.LookPath(name); err == nil {
			cxx = p
			break
		}
	}
	if cxx == "" {
		t.Skip("no C++ compiler")
	}
	names, err := filepath.Abs(filepath.Join("testdata", "cxx", "cuda_names.hpp"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "kernels.cu")
	if err := os.WriteFile(src, []byte(gpu.NVRTCPrelude+gpu.KernelSource), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cxx, "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "-x", "c++", "-include", names, src).CombinedOutput()
	if err != nil {
		t.Fatalf("%s rejects the kernels as C++: %v\n%s", cxx, err, out)
	}
}
