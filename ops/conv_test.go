package ops

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// convKernels returns the GEMM micro-kernels to run the convolutions on: the
// pure-Go one and every assembly one this CPU supports, each with a packing
// function for its panel layout.
func convKernels(t *testing.T) []*kernel {
	ks := append([]*kernel{genericKernel}, asmKernels()...)
	var names []string
	for _, k := range ks {
		names = append(names, k.name)
	}
	t.Logf("convolutions tested on GEMM kernels %s", strings.Join(names, ", "))
	if runtime.GOARCH == "amd64" && !haveAVX512() {
		t.Logf("AVX-512 GEMM kernel not tested: this CPU has no AVX-512")
	}
	return ks
}

// packerFor returns PackA for kernel kn's layout.
func packerFor(kn *kernel) packFunc {
	return func(m, k int, a Mat) *PackedA {
		mp := (m + kn.mr - 1) / kn.mr
		p := &PackedA{m: m, k: k, kern: kn, data: make([]float32, mp*kn.mr*k)}
		for pc := 0; pc < k; pc += kn.kc {
			kcb := min(kn.kc, k-pc)
			blk := p.data[pc*mp*kn.mr:]
			for ip := 0; ip < mp; ip++ {
				packA(blk[ip*kcb*kn.mr:(ip+1)*kcb*kn.mr], a, ip*kn.mr, min(kn.mr, m-ip*kn.mr), pc, kcb, kn.mr)
			}
		}
		return p
	}
}

// actRef applies an activation in float64.
func actRef(v float64, act Act) float64 {
	switch act {
	case ActReLU:
		return max(v, 0)
	case ActGELU:
		return geluRef(v)
	}
	return v
}

// convRef is a direct float64 convolution (PyTorch's definition).
func convRef(src, weight, bias []float32, p Conv2DParams, n, h, w int) []float64 {
	p = p.withDefaults()
	oh, ow := p.OutSize(h, w)
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	out := make([]float64, n*p.OutC*oh*ow)
	for s := 0; s < n; s++ {
		for o := 0; o < p.OutC; o++ {
			g := o / og
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var acc float64
					if bias != nil {
						acc = float64(bias[o])
					}
					for c := 0; c < ig; c++ {
						ci := g*ig + c
						for ky := 0; ky < p.KH; ky++ {
							iy := oy*p.StrideH - p.PadH + ky*p.DilH
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < p.KW; kx++ {
								ix := ox*p.StrideW - p.PadW + kx*p.DilW
								if ix < 0 || ix >= w {
									continue
								}
								acc += float64(src[((s*p.InC+ci)*h+iy)*w+ix]) * float64(weight[((o*ig+c)*p.KH+ky)*p.KW+kx])
							}
						}
					}
					out[((s*p.OutC+o)*oh+oy)*ow+ox] = actRef(acc, p.Act)
				}
			}
		}
	}
	return out
}

// convTransposeRef is a direct float64 transposed convolution: every input
// pixel scatters weight-scaled taps into the output.
func convTransposeRef(src, weight, bias []float32, p ConvTranspose2DParams, n, h, w int) []float64 {
	q := p.conv().withDefaults()
	oh, ow := p.OutSize(h, w)
	ig, og := q.InC/q.Groups, q.OutC/q.Groups
	out := make([]float64, n*q.OutC*oh*ow)
	for s := 0; s < n; s++ {
		for ci := 0; ci < q.InC; ci++ {
			g := ci / ig
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < w; ix++ {
					v := float64(src[((s*q.InC+ci)*h+iy)*w+ix])
					for j := 0; j < og; j++ {
						o := g*og + j
						for ky := 0; ky < q.KH; ky++ {
							oy := iy*q.StrideH - q.PadH + ky*q.DilH
							if oy < 0 || oy >= oh {
								continue
							}
							for kx := 0; kx < q.KW; kx++ {
								ox := ix*q.StrideW - q.PadW + kx*q.DilW
								if ox < 0 || ox >= ow {
									continue
								}
								out[((s*q.OutC+o)*oh+oy)*ow+ox] += v * float64(weight[((ci*og+j)*q.KH+ky)*q.KW+kx])
							}
						}
					}
				}
			}
		}
	}
	for s := 0; s < n; s++ {
		for o := 0; o < q.OutC; o++ {
			plane := out[(s*q.OutC+o)*oh*ow : (s*q.OutC+o+1)*oh*ow]
			for i := range plane {
				if bias != nil {
					plane[i] += float64(bias[o])
				}
				plane[i] = actRef(plane[i], q.Act)
			}
		}
	}
	return out
}

// convCase is one convolution test: parameters and an input size.
type convCase struct {
	p       Conv2DParams
	n, h, w int
	noBias  bool
}

var convCases = []convCase{
	// 1x1 (pointwise GEMM straight on the input), with and without groups.
	{p: Conv2DParams{InC: 7, OutC: 17, KH: 1, KW: 1}, n: 2, h: 5, w: 13},
	{p: Conv2DParams{InC: 6, OutC: 9, KH: 1, KW: 1, Groups: 3, Act: ActReLU}, n: 1, h: 7, w: 3},
	{p: Conv2DParams{InC: 33, OutC: 65, KH: 1, KW: 1, Act: ActGELU}, n: 1, h: 15, w: 17, noBias: true},
	// 1x1 with stride or padding goes through im2col.
	{p: Conv2DParams{InC: 5, OutC: 3, KH: 1, KW: 1, StrideH: 2, StrideW: 3}, n: 2, h: 7, w: 15},
	{p: Conv2DParams{InC: 4, OutC: 6, KH: 1, KW: 1, PadH: 1, PadW: 2}, n: 1, h: 3, w: 3},
	// 3x3 in all its forms.
	{p: Conv2DParams{InC: 3, OutC: 8, KH: 3, KW: 3, PadH: 1, PadW: 1}, n: 2, h: 15, w: 17},
	{p: Conv2DParams{InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ActReLU}, n: 1, h: 33, w: 17},
	{p: Conv2DParams{InC: 16, OutC: 16, KH: 3, KW: 3, PadH: 3, PadW: 3, DilH: 3, DilW: 3}, n: 1, h: 17, w: 15},
	{p: Conv2DParams{InC: 9, OutC: 7, KH: 3, KW: 3, PadH: 6, PadW: 6, DilH: 6, DilW: 6}, n: 2, h: 15, w: 7},
	{p: Conv2DParams{InC: 5, OutC: 5, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9, Act: ActGELU}, n: 1, h: 7, w: 17},
	{p: Conv2DParams{InC: 8, OutC: 12, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 4}, n: 1, h: 9, w: 11},
	// 3x3 "same" convolutions with 16 to 33 channels: odd and even map
	// sizes, a map thinner than the dilation, every activation.
	{p: Conv2DParams{InC: 16, OutC: 17, KH: 3, KW: 3, PadH: 1, PadW: 1}, n: 2, h: 7, w: 8},
	{p: Conv2DParams{InC: 33, OutC: 16, KH: 3, KW: 3, PadH: 1, PadW: 1, Act: ActReLU}, n: 1, h: 16, w: 1},
	{p: Conv2DParams{InC: 20, OutC: 24, KH: 3, KW: 3, PadH: 6, PadW: 6, DilH: 6, DilW: 6, Act: ActGELU}, n: 1, h: 23, w: 13},
	{p: Conv2DParams{InC: 16, OutC: 16, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9}, n: 2, h: 19, w: 5, noBias: true},
	{p: Conv2DParams{InC: 17, OutC: 18, KH: 3, KW: 3, PadH: 2, PadW: 3, DilH: 2, DilW: 3, Act: ActReLU}, n: 1, h: 11, w: 14},
	// Dilated and wide: rows of whole micro-panels (a width that is a
	// multiple of every NR, 48 as the ASPP's 64x48 maps) and ragged ones,
	// next to panels that cross an output row or the padding.
	{p: Conv2DParams{InC: 3, OutC: 5, KH: 3, KW: 3, PadH: 6, PadW: 6, DilH: 6, DilW: 6, Act: ActReLU}, n: 2, h: 10, w: 48},
	{p: Conv2DParams{InC: 4, OutC: 7, KH: 3, KW: 3, PadH: 3, PadW: 3, DilH: 3, DilW: 3}, n: 1, h: 9, w: 53},
	{p: Conv2DParams{InC: 2, OutC: 3, KH: 3, KW: 5, PadH: 1, PadW: 0}, n: 1, h: 6, w: 70},
	// Asymmetric kernels, strides, padding and dilation; kernel larger than
	// the input; padding larger than the kernel.
	{p: Conv2DParams{InC: 4, OutC: 5, KH: 2, KW: 5, StrideH: 3, StrideW: 1, PadH: 1, PadW: 2, DilH: 2, DilW: 1}, n: 1, h: 17, w: 15},
	{p: Conv2DParams{InC: 2, OutC: 3, KH: 7, KW: 7, PadH: 3, PadW: 3}, n: 1, h: 3, w: 1},
	{p: Conv2DParams{InC: 3, OutC: 4, KH: 3, KW: 3, PadH: 4, PadW: 5, StrideH: 2, StrideW: 2}, n: 1, h: 5, w: 5},
	{p: Conv2DParams{InC: 1, OutC: 1, KH: 1, KW: 1, StrideH: 5, StrideW: 5}, n: 3, h: 1, w: 1},
	// Patch embedding (stride = kernel) and the 4x4 stride-4 downsampling.
	{p: Conv2DParams{InC: 3, OutC: 24, KH: 16, KW: 16, StrideH: 16, StrideW: 16, PadH: 2, PadW: 2}, n: 1, h: 64, w: 48},
	{p: Conv2DParams{InC: 8, OutC: 8, KH: 4, KW: 4, StrideH: 4, StrideW: 4}, n: 2, h: 17, w: 13},
	// Depthwise (direct), with channel multiplier, stride and dilation.
	{p: Conv2DParams{InC: 7, OutC: 7, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 7}, n: 2, h: 15, w: 17},
	{p: Conv2DParams{InC: 3, OutC: 6, KH: 5, KW: 3, StrideH: 2, StrideW: 3, PadH: 2, PadW: 1, DilH: 2, Groups: 3, Act: ActReLU}, n: 1, h: 17, w: 33},
	{p: Conv2DParams{InC: 4, OutC: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2, Groups: 4}, n: 1, h: 7, w: 9, noBias: true},
	{p: Conv2DParams{InC: 2, OutC: 2, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9, Groups: 2, Act: ActGELU}, n: 1, h: 5, w: 3},
}

// convTol is the relative tolerance (max|got - want| / max|want|) of a
// float32 convolution against float64: the GEMM's float32 accumulation over
// K = InC/Groups*KH*KW terms.
func convTol(k int) float64 { return 4e-7 * math.Sqrt(float64(k)+1) }

func (tc convCase) name() string {
	p := tc.p.withDefaults()
	return fmt.Sprintf("%dx%dx%dx%d/%d->%d/k%dx%d/s%dx%d/p%dx%d/d%dx%d/g%d/act%d", tc.n, p.InC, tc.h, tc.w, p.InC, p.OutC, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, p.Groups, p.Act)
}

// TestConv2D checks every case against convRef on every GEMM kernel, with
// guard values around the output and the scratch (sized exactly as
// ScratchSize says), and checks that the 2-worker and 1-worker results are
// bit-identical.
func TestConv2D(t *testing.T) {
	r := newRand(3)
	for _, kn := range convKernels(t) {
		for _, tc := range convCases {
			name := kn.name + "/" + tc.name()
			p := tc.p.withDefaults()
			weight := randNormal(r, p.OutC*p.InC/p.Groups*p.KH*p.KW, 0.5)
			var bias []float32
			if !tc.noBias {
				bias = randNormal(r, p.OutC, 1)
			}
			src := randNormal(r, tc.n*p.InC*tc.h*tc.w, 1)
			c, err := newConv2D(weight, bias, tc.p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			oh, ow := p.OutSize(tc.h, tc.w)
			dst, dbuf := guarded(tc.n * p.OutC * oh * ow)
			scratch, sbuf := guarded(c.ScratchSize(tc.n, tc.h, tc.w))
			if err := c.Forward(dst, src, tc.n, tc.h, tc.w, scratch); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkGuards(t, name+" output", dbuf)
			checkGuards(t, name+" scratch", sbuf)
			checkRel(t, name, dst, convRef(src, weight, bias, tc.p, tc.n, tc.h, tc.w), convTol(p.InC/p.Groups*p.KH*p.KW))

			prev := runtime.GOMAXPROCS(1)
			one := make([]float32, len(dst))
			err = c.Forward(one, src, tc.n, tc.h, tc.w, make([]float32, len(scratch)))
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			requireSameBits(t, name+": result with 1 worker", one, dst)
		}
	}
}

// TestConv2DColumnBlocks runs a convolution whose im2col blocks start and
// end mid-row on 1, 2, 3 and 5 workers (GOMAXPROCS): the results must be
// correct and bit-identical.
func TestConv2DColumnBlocks(t *testing.T) {
	r := newRand(4)
	p := Conv2DParams{InC: 128, OutC: 6, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Act: ActGELU}
	n, h, w := 1, 37, 29 // 1073 positions
	weight := randNormal(r, 6*128*9, 0.1)
	bias := randNormal(r, 6, 1)
	src := randNormal(r, n*128*h*w, 1)
	c, err := NewConv2D(weight, bias, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, blocks, panels := blocking(h*w, 32, 2); blocks < 2 {
		t.Fatalf("%d positions in one block", h*w)
	} else if j0, cols := blockRange(1, blocks, panels, 32, h*w); j0%w == 0 || (j0+cols)%w == 0 {
		t.Fatalf("block 1 (%d columns from %d) does not split %dx%d mid-row", cols, j0, h, w)
	}
	want := convRef(src, weight, bias, p, n, h, w)
	var first []float32
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, workers := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(workers)
		name := fmt.Sprintf("workers=%d", workers)
		dst, dbuf := guarded(n * 6 * h * w)
		if err := c.Forward(dst, src, n, h, w, nil); err != nil {
			t.Fatal(err)
		}
		checkGuards(t, name+" output", dbuf)
		checkRel(t, name, dst, want, convTol(1152))
		if first == nil {
			first = dst
			continue
		}
		requireSameBits(t, name+": against 1 worker", dst, first)
	}
}

type convTCase struct {
	p       ConvTranspose2DParams
	n, h, w int
	noBias  bool
}

var convTCases = []convTCase{
	{p: ConvTranspose2DParams{InC: 8, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, n: 2, h: 5, w: 3},
	{p: ConvTranspose2DParams{InC: 33, OutC: 17, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ActReLU}, n: 1, h: 7, w: 15, noBias: true},
	{p: ConvTranspose2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 2}, n: 1, h: 7, w: 7},
	{p: ConvTranspose2DParams{InC: 5, OutC: 3, KH: 3, KW: 2, StrideH: 3, StrideW: 2, PadH: 2, PadW: 0, OutPadH: 1, OutPadW: 1}, n: 2, h: 4, w: 6},
	{p: ConvTranspose2DParams{InC: 3, OutC: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 1, DilH: 2, DilW: 3, PadH: 1, PadW: 2, Act: ActGELU}, n: 1, h: 5, w: 8},
	{p: ConvTranspose2DParams{InC: 6, OutC: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2, Groups: 6}, n: 1, h: 3, w: 17},
	{p: ConvTranspose2DParams{InC: 2, OutC: 3, KH: 1, KW: 1, StrideH: 4, StrideW: 4, OutPadH: 3, OutPadW: 2}, n: 1, h: 3, w: 3},
	{p: ConvTranspose2DParams{InC: 7, OutC: 5, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 3, PadW: 4}, n: 1, h: 9, w: 11},
}

// TestConvTranspose2D checks every case against convTransposeRef on every
// GEMM kernel, with guards, and the 1-worker result bit for bit.
func TestConvTranspose2D(t *testing.T) {
	r := newRand(5)
	for _, kn := range convKernels(t) {
		for _, tc := range convTCases {
			q := tc.p.conv().withDefaults()
			name := fmt.Sprintf("%s/%+v/%dx%dx%d", kn.name, tc.p, tc.n, tc.h, tc.w)
			weight := randNormal(r, q.InC*q.OutC/q.Groups*q.KH*q.KW, 0.5)
			var bias []float32
			if !tc.noBias {
				bias = randNormal(r, q.OutC, 1)
			}
			src := randNormal(r, tc.n*q.InC*tc.h*tc.w, 1)
			c, err := newConvTranspose2D(weight, bias, tc.p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			oh, ow := c.OutSize(tc.h, tc.w)
			if oh2, ow2 := tc.p.OutSize(tc.h, tc.w); oh2 != oh || ow2 != ow {
				t.Fatalf("%s: OutSize %dx%d vs %dx%d", name, oh, ow, oh2, ow2)
			}
			dst, dbuf := guarded(tc.n * q.OutC * oh * ow)
			scratch, sbuf := guarded(c.ScratchSize(tc.n, tc.h, tc.w))
			if err := c.Forward(dst, src, tc.n, tc.h, tc.w, scratch); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkGuards(t, name+" output", dbuf)
			checkGuards(t, name+" scratch", sbuf)
			checkRel(t, name, dst, convTransposeRef(src, weight, bias, tc.p, tc.n, tc.h, tc.w), convTol(q.InC/q.Groups*q.KH*q.KW))

			prev := runtime.GOMAXPROCS(1)
			one := make([]float32, len(dst))
			err = c.Forward(one, src, tc.n, tc.h, tc.w, make([]float32, len(scratch)))
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			requireSameBits(t, name+": result with 1 worker", one, dst)
		}
	}
}

// TestConvErrors checks that bad parameters, weights and slice sizes give
// errors that name the problem.
func TestConvErrors(t *testing.T) {
	good := Conv2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, Groups: 2}
	w := make([]float32, 6*2*9)
	for _, tc := range []struct {
		name   string
		p      Conv2DParams
		weight []float32
		bias   []float32
		want   string
	}{
		{"channels", Conv2DParams{InC: 0, OutC: 6, KH: 3, KW: 3}, w, nil, "channels"},
		{"kernel", Conv2DParams{InC: 4, OutC: 6, KH: 0, KW: 3}, w, nil, "kernel"},
		{"groups", Conv2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, Groups: 4}, w, nil, "groups"},
		{"stride", Conv2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, StrideH: -1}, w, nil, "negative"},
		{"padding", Conv2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, PadW: -1}, w, nil, "padding"},
		{"act", Conv2DParams{InC: 4, OutC: 6, KH: 3, KW: 3, Groups: 2, Act: 9}, w, nil, "activation"},
		{"weight", good, w[1:], nil, "weight has 107 values, want 108"},
		{"bias", good, w, make([]float32, 5), "bias has 5 values, want 6"},
	} {
		_, err := NewConv2D(tc.weight, tc.bias, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	c, err := NewConv2D(w, nil, good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		dst, src, scratch int
		n, h, wd          int
		want              string
	}{
		{"input", 6 * 3 * 3, 4*5*5 - 1, 1 << 12, 1, 5, 5, "input has"},
		{"output", 6*3*3 + 1, 4 * 5 * 5, 1 << 12, 1, 5, 5, "output has"},
		{"empty", 0, 4 * 2 * 2, 1 << 12, 1, 2, 2, "smaller than the dilated kernel"},
	} {
		err := c.Forward(make([]float32, tc.dst), make([]float32, tc.src), tc.n, tc.h, tc.wd, make([]float32, tc.scratch))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Forward %s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	tp := ConvTranspose2DParams{InC: 4, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, Groups: 2}
	for _, tc := range []struct {
		name   string
		p      ConvTranspose2DParams
		weight int
		want   string
	}{
		{"weight", tp, 4*6*16 - 1, "weight has"},
		{"outpad", ConvTranspose2DParams{InC: 4, OutC: 6, KH: 4, KW: 4, StrideH: 2, StrideW: 2, OutPadH: 2}, 4 * 6 * 16, "output padding"},
		{"groups", ConvTranspose2DParams{InC: 4, OutC: 6, KH: 4, KW: 4, Groups: 3}, 4 * 2 * 16, "groups"},
	} {
		_, err := NewConvTranspose2D(make([]float32, tc.weight), nil, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewConvTranspose2D %s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// haarRef computes the four Haar subbands of SPEC.md section 3 as depthwise
// 2x2 stride-2 correlations with the written-out filters, in float64.
func haarRef(src []float32, n, c, h, w int) []float64 {
	k := [4][2][2]float64{
		{{0.5, 0.5}, {0.5, 0.5}},   // LL
		{{0.5, -0.5}, {0.5, -0.5}}, // LH
		{{0.5, 0.5}, {-0.5, -0.5}}, // HL
		{{0.5, -0.5}, {-0.5, 0.5}}, // HH
	}
	oh, ow := (h+1)/2, (w+1)/2
	out := make([]float64, n*4*c*oh*ow)
	for s := 0; s < n; s++ {
		for f := 0; f < 4; f++ {
			for ch := 0; ch < c; ch++ {
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						var acc float64
						for dy := 0; dy < 2; dy++ {
							for dx := 0; dx < 2; dx++ {
								y, x := 2*i+dy, 2*j+dx
								if y < h && x < w {
									acc += k[f][dy][dx] * float64(src[((s*c+ch)*h+y)*w+x])
								}
							}
						}
						out[(((s*4+f)*c+ch)*oh+i)*ow+j] = acc
					}
				}
			}
		}
	}
	return out
}

// TestHaarDWT checks the Haar transform on even and odd sizes with guards.
func TestHaarDWT(t *testing.T) {
	r := newRand(6)
	for _, sz := range [][4]int{{1, 1, 1, 1}, {2, 3, 4, 6}, {1, 5, 7, 3}, {2, 2, 15, 17}, {1, 4, 64, 48}} {
		n, c, h, w := sz[0], sz[1], sz[2], sz[3]
		src := randNormal(r, n*c*h*w, 1)
		dst, buf := guarded(n * 4 * c * ((h + 1) / 2) * ((w + 1) / 2))
		HaarDWT(dst, src, n, c, h, w)
		checkGuards(t, fmt.Sprint(sz), buf)
		checkRel(t, fmt.Sprint(sz), dst, haarRef(src, n, c, h, w), 2e-7)
	}
}

// TestConv2DForwardPadded checks that ForwardPadded on an input padded by
// PadPlanes (by exactly the convolution's padding and by more) is bit-identical
// to Forward on every im2col case and GEMM kernel, with 1 and 2 workers
// (GOMAXPROCS) and guard values around the output; and that
// it refuses the convolutions Forward runs without im2col and inputs padded
// too little.
func TestConv2DForwardPadded(t *testing.T) {
	r := newRand(5)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	tested := 0
	for _, kn := range convKernels(t) {
		for _, tc := range convCases {
			name := kn.name + "/" + tc.name()
			p := tc.p.withDefaults()
			weight := randNormal(r, p.OutC*p.InC/p.Groups*p.KH*p.KW, 0.5)
			bias := randNormal(r, p.OutC, 1)
			src := randNormal(r, tc.n*p.InC*tc.h*tc.w, 1)
			c, err := newConv2D(weight, bias, tc.p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			oh, ow := p.OutSize(tc.h, tc.w)
			want := make([]float32, tc.n*p.OutC*oh*ow)
			runtime.GOMAXPROCS(prev)
			if err := c.Forward(want, src, tc.n, tc.h, tc.w, make([]float32, c.ScratchSize(tc.n, tc.h, tc.w))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pad := max(p.PadH, p.PadW)
			xp := make([]float32, tc.n*p.InC*(tc.h+2*pad)*(tc.w+2*pad))
			PadPlanes(xp, src, tc.n*p.InC, tc.h, tc.w, pad)
			if c.kind != convIm2col {
				if err := c.ForwardPadded(want, xp, tc.n, tc.h, tc.w, pad); err == nil {
					t.Fatalf("%s: ForwardPadded accepted a convolution without im2col", name)
				}
				continue
			}
			tested++
			if pad > 0 {
				err := c.ForwardPadded(want, xp[:tc.n*p.InC*(tc.h+2*pad-2)*(tc.w+2*pad-2)], tc.n, tc.h, tc.w, pad-1)
				if err == nil || !strings.Contains(err.Error(), "padded by") {
					t.Fatalf("%s: input padded too little: err = %v", name, err)
				}
			}
			for _, extra := range []int{0, 2} {
				pad := pad + extra
				xp := make([]float32, tc.n*p.InC*(tc.h+2*pad)*(tc.w+2*pad))
				PadPlanes(xp, src, tc.n*p.InC, tc.h, tc.w, pad)
				for _, workers := range []int{1, 2} {
					runtime.GOMAXPROCS(workers)
					name := fmt.Sprintf("%s/pad%d/workers=%d", name, pad, workers)
					dst, dbuf := guarded(len(want))
					if err := c.ForwardPadded(dst, xp, tc.n, tc.h, tc.w, pad); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					checkGuards(t, name+" output", dbuf)
					requireSameBits(t, name+": against Forward", dst, want)
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no im2col case")
	}
	// Many blocks that start and end mid-row, on 1, 2, 3 and 5 workers,
	// with a padding that differs across the two axes.
	p := Conv2DParams{InC: 40, OutC: 13, KH: 3, KW: 3, PadH: 2, PadW: 3, DilH: 2, DilW: 3, Act: ActGELU}
	n, h, w := 2, 37, 29
	c, err := NewConv2D(randNormal(r, 13*40*9, 0.1), randNormal(r, 13, 1), p)
	if err != nil {
		t.Fatal(err)
	}
	src := randNormal(r, n*40*h*w, 1)
	want := make([]float32, n*13*h*w)
	if err := c.Forward(want, src, n, h, w, make([]float32, c.ScratchSize(n, h, w))); err != nil {
		t.Fatal(err)
	}
	const pad = 4
	xp := make([]float32, n*40*(h+2*pad)*(w+2*pad))
	PadPlanes(xp, src, n*40, h, w, pad)
	for _, workers := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(workers)
		dst := make([]float32, len(want))
		if err := c.ForwardPadded(dst, xp, n, h, w, pad); err != nil {
			t.Fatal(err)
		}
		requireSameBits(t, fmt.Sprintf("%d workers: against Forward", workers), dst, want)
	}
}

// TestPadPlanes checks the padded layout element by element.
func TestPadPlanes(t *testing.T) {
	r := newRand(6)
	for _, sz := range [][4]int{{1, 1, 1, 0}, {3, 7, 5, 2}, {2, 4, 17, 9}} {
		planes, h, w, pad := sz[0], sz[1], sz[2], sz[3]
		src := randNormal(r, planes*h*w, 1)
		dst := make([]float32, planes*(h+2*pad)*(w+2*pad))
		for i := range dst {
			dst[i] = float32(math.NaN())
		}
		PadPlanes(dst, src, planes, h, w, pad)
		hp, wp := h+2*pad, w+2*pad
		for q := 0; q < planes; q++ {
			for y := 0; y < hp; y++ {
				for x := 0; x < wp; x++ {
					var want float32
					if y >= pad && y < pad+h && x >= pad && x < pad+w {
						want = src[(q*h+y-pad)*w+x-pad]
					}
					if got := dst[(q*hp+y)*wp+x]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%v: plane %d (%d,%d) = %g, want %g", sz, q, y, x, got, want)
					}
				}
			}
		}
	}
}

// TestConv2DTapSkip checks that skipping the patch rows that are zero for a
// whole panel (the taps in the padding) leaves every bit of the result
// unchanged, on every im2col case and GEMM kernel, for the plain and the
// padded input; and that the skip does happen on the ASPP's dilated
// convolutions (a 64x48 map, dilation 9: the top and bottom 9 output rows
// never reach a third of the taps).
func TestConv2DTapSkip(t *testing.T) {
	r := newRand(8)
	cases := append([]convCase{
		{p: Conv2DParams{InC: 16, OutC: 13, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9, Act: ActReLU}, n: 1, h: 64, w: 48},
	}, convCases...)
	for _, kn := range convKernels(t) {
		for _, tc := range cases {
			name := kn.name + "/" + tc.name()
			p := tc.p.withDefaults()
			c, err := newConv2D(randNormal(r, p.OutC*p.InC/p.Groups*p.KH*p.KW, 0.5), randNormal(r, p.OutC, 1), tc.p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if c.kind != convIm2col {
				continue
			}
			src := randNormal(r, tc.n*p.InC*tc.h*tc.w, 1)
			oh, ow := p.OutSize(tc.h, tc.w)
			pad := max(p.PadH, p.PadW)
			xp := make([]float32, tc.n*p.InC*(tc.h+2*pad)*(tc.w+2*pad))
			PadPlanes(xp, src, tc.n*p.InC, tc.h, tc.w, pad)
			for _, pp := range []*paddedInput{nil, paddedLayout(tc.h, tc.w, pad)} {
				in := src
				if pp != nil {
					in = xp
				}
				full := make([]float32, tc.n*p.OutC*oh*ow)
				skipped := make([]float32, len(full))
				c.im2colGemm(full, in, tc.n, tc.h, tc.w, oh, ow, pp, false)
				c.im2colGemm(skipped, in, tc.n, tc.h, tc.w, oh, ow, pp, true)
				requireSameBits(t, fmt.Sprintf("%s (padded %v): skipping zero taps", name, pp != nil), skipped, full)
			}
		}
	}
	c, err := NewConv2D(make([]float32, 128*128*9), nil, Conv2DParams{InC: 128, OutC: 128, KH: 3, KW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9})
	if err != nil {
		t.Fatal(err)
	}
	const h, w = 64, 48
	skippedRows := 0
	for j := 0; j < h*w; j += 16 {
		kr := c.tapRows(j, j+15, h, w, w)
		skippedRows += 9*128 - (kr.hi - kr.lo)
	}
	// 9 top and 9 bottom output rows, 3 panels each, skip 3 taps of 128
	// rows: the first ky = 0 row of taps, or the last ky = 2 one.
	if want := 2 * 9 * 3 * 3 * 128; skippedRows != want {
		t.Fatalf("dilation 9 on 64x48: %d patch rows skipped over all panels, want %d", skippedRows, want)
	}
}

// requireSameBits fails the test at the first value of got whose bits
// differ from want's.
func requireSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %g, want %g (bit for bit)", what, i, got[i], want[i])
		}
	}
}
