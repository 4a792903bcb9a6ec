package detect

import (
	"fmt"

	"github.com/ladderpose/ladderpose/ops"
)

// activation is one of Hugging Face's ACT2FN functions: relu, gelu and silu
// (x * sigmoid(x)) run fused in the GEMM epilogue (silu bit-identical to
// the separate pass siLU).
type activation struct {
	fused ops.Act
}

// actByName maps a config's activation name (checked by ParseConfig) to an
// activation; "" is the identity.
func actByName(name string) activation {
	switch name {
	case "relu":
		return activation{fused: ops.ActReLU}
	case "gelu":
		return activation{fused: ops.ActGELU}
	case "silu", "swish":
		return activation{fused: ops.ActSiLU}
	}
	return activation{}
}

// apply applies the whole activation to x in place.
func (a activation) apply(ws *workspace, x []float32) {
	switch a.fused {
	case ops.ActReLU:
		ops.ReLU(x, x)
	case ops.ActGELU:
		ops.GELU(x, x)
	case ops.ActSiLU:
		siLU(x)
	}
}

// siLU computes x = x * sigmoid(x) in place (torch.nn.SiLU, as ops.SiLU
// and the ActSiLU epilogue compute it), in parallel chunks (element-wise,
// so deterministic).
func siLU(x []float32) {
	const chunk = 4096
	ops.ParallelFor((len(x)+chunk-1)/chunk, 4, func(lo, hi int) {
		p := x[lo*chunk : min(hi*chunk, len(x))]
		ops.SiLU(p, p)
	})
}

// convLayer is a convolution (with any BatchNorm folded in) and its
// activation: a Winograd3x3 (wino) for the 3x3 stride-1 layers with
// winoMinChannels to winoMaxChannels input channels, a Conv2D (conv) for
// the others.
type convLayer struct {
	name string // Hugging Face's module name, for errors
	conv *ops.Conv2D
	wino *ops.Winograd3x3
	p    ops.Conv2DParams
	act  activation
}

// winoMinChannels and winoMaxChannels bound the input channels for which a
// 3x3 stride-1 convolution runs as Winograd3x3 (RT-DETR's such layers have
// 32 to 512). With fewer, the transforms outweigh the multiplications
// saved. With more (ResNet's last stage, 512 channels at 20x20 for a
// 640x640 input) the gain is smallest (1.4x against 1.7-1.9x at 64-256
// channels) and the transformed filters, 16/9 of the weights, would cost
// r50vd 22 MB more memory than Conv2D: they would take its peak RSS past
// the weights plus 300 MiB.
const (
	winoMinChannels = 16
	winoMaxChannels = 256
)

// newConvLayer prepares the convolution with weight w, bias b and
// parameters p (the activation fused) as a convLayer.
func newConvLayer(name string, w, b []float32, p ops.Conv2DParams, act activation) (*convLayer, error) {
	p.Act = act.fused
	l := &convLayer{name: name, act: act}
	var err error
	if ops.WinogradApplies(p) && p.InC >= winoMinChannels && p.InC <= winoMaxChannels {
		if l.wino, err = ops.NewWinograd3x3(w, b, p); err == nil {
			l.p = l.wino.Params()
		}
	} else if l.conv, err = ops.NewConv2D(w, b, p); err == nil {
		l.p = l.conv.Params() // strides, dilations and groups set (forward's tests need them)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// newConvBN loads conv + BatchNorm (+ act) as a convLayer (HF's
// RTDetrConvNormLayer and RTDetrResNetConvLayer).
func newConvBN(get getter, name, convName, bnName string, in, out, k, stride int, eps float64, act activation) (*convLayer, error) {
	w, b, err := convBNWeights(get, convName, bnName, in, out, k, eps)
	if err != nil {
		return nil, err
	}
	return newConvLayer(name, w, b, ops.Conv2DParams{InC: in, OutC: out, KH: k, KW: k,
		StrideH: stride, StrideW: stride, PadH: (k - 1) / 2, PadW: (k - 1) / 2}, act)
}

// outSize returns the output size for an input of h x w.
func (c *convLayer) outSize(h, w int) (int, int) { return c.p.OutSize(h, w) }

// forward computes dst [n, OutC, oh, ow] = act(conv(src [n, InC, h, w])).
// Winograd layers get their scratch from the workspace. Other stride-1
// convolutions with a kernel larger than 1x1 pad their input once
// (ops.PadPlanes, into the workspace) and run ops.Conv2D.ForwardPadded,
// whose patch panels are contiguous runs of the padded rows (read in place
// by the AVX-512 kernel); strided ones with at least 16 input channels
// split the padded input into phases (ops.PadPhases) and run
// ForwardPhased, for the same reason. Those two give Forward's result bit
// for bit.
func (c *convLayer) forward(ws *workspace, dst, src []float32, n, h, w int) (oh, ow int, err error) {
	oh, ow = c.p.OutSize(h, w)
	p := &c.p
	out, in := dst[:n*p.OutC*oh*ow], src[:n*p.InC*h*w]
	if c.wino != nil {
		if err = c.wino.Forward(out, in, n, h, w, ws.buf(kindPad, 0, c.wino.ScratchSize(n, h, w))); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", c.name, err)
		}
		return oh, ow, nil
	}
	if pad := p.PadH; (p.KH > 1 || p.KW > 1) && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 &&
		p.Groups == 1 && p.PadW == pad && pad > 0 {
		xp := ws.buf(kindPad, 0, n*p.InC*(h+2*pad)*(w+2*pad))
		ops.PadPlanes(xp, in, n*p.InC, h, w, pad)
		err = c.conv.ForwardPadded(out, xp, n, h, w, pad)
	} else if p.KH > 1 && p.KW > 1 && (p.StrideH > 1 || p.StrideW > 1) && p.Groups == 1 && p.PadW == pad && pad > 0 && p.InC >= 16 {
		// Strided (the stage entries, the encoder's downsampling): split
		// into phases once, so that panels are contiguous runs too.
		ph, pw := ops.PhasedSize(h, w, pad, p.StrideH, p.StrideW)
		xs := ws.buf(kindPad, 0, n*p.InC*p.StrideH*p.StrideW*ph*pw)
		ops.PadPhases(xs, in, n*p.InC, h, w, pad, p.StrideH, p.StrideW)
		err = c.conv.ForwardPhased(out, xs, n, h, w, pad)
	} else {
		err = c.conv.Forward(out, in, n, h, w, nil)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", c.name, err)
	}
	return oh, ow, nil
}

// maxPool3x3s2 is torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1) on
// planes [planes, h, w] -> [planes, oh, ow], oh = (h-1)/2+1: the maximum over
// the taps inside the input (the padding is -inf), NaN if any tap is NaN
// (Go's max; of +0 and -0 it gives +0).
// It runs separably, the maximum over each output row's (up to) three input
// rows first, then over three columns (even columns gathered, then the odd
// ones on either side, in vector passes); the maximum is exact and
// independent of order, so the result is the same as tap by tap.
func maxPool3x3s2(dst, src []float32, planes, h, w int) (oh, ow int) {
	oh, ow = (h-1)/2+1, (w-1)/2+1
	ops.ParallelFor(planes, 1, func(lo, hi int) {
		var stack [768]float32
		buf := stack[:]
		if w+w/2 > len(buf) {
			buf = make([]float32, w+w/2)
		}
		col, odd := buf[:w], buf[w:w+w/2] // odd[x] = col[2x+1]
		for p := lo; p < hi; p++ {
			in := src[p*h*w : (p+1)*h*w]
			out := dst[p*oh*ow : (p+1)*oh*ow]
			for y := 0; y < oh; y++ {
				y0, y1 := max(2*y-1, 0), min(2*y+2, h)
				copy(col, in[y0*w:(y0+1)*w])
				for yy := y0 + 1; yy < y1; yy++ {
					maxInto(col, in[yy*w:(yy+1)*w])
				}
				// Output x is the maximum of columns 2x-1, 2x and 2x+1 (those
				// inside): the even columns, then the odd ones on either side.
				o := out[y*ow : (y+1)*ow]
				ops.GatherEven(o, col) // ow = ceil(w/2) even columns
				if len(odd) > 0 {
					ops.GatherEven(odd, col[1:])
					maxInto(o[:len(odd)], odd) // column 2x+1
					maxInto(o[1:], odd[:ow-1]) // column 2x-1
				}
			}
		}
	})
	return oh, ow
}

// avgPool2x2Ceil is torch.nn.AvgPool2d(2, 2, 0, ceil_mode=True) on planes
// [planes, h, w] -> [planes, oh, ow], oh = ceil(h/2): windows that overhang
// the bottom or right edge average the values inside the input only (with no
// padding, PyTorch's divisor counts the clipped window).
func avgPool2x2Ceil(dst, src []float32, planes, h, w int) (oh, ow int) {
	oh, ow = (h+1)/2, (w+1)/2
	ops.ParallelFor(planes, 1, func(lo, hi int) {
		var stack [4 * 256]float32
		buf := stack[:]
		if w/2 > 256 {
			buf = make([]float32, 4*(w/2))
		}
		full := w / 2 // windows two columns wide
		e0, o0, e1, o1 := buf[:full], buf[full:2*full], buf[2*full:3*full], buf[3*full:4*full]
		for p := lo; p < hi; p++ {
			in := src[p*h*w : (p+1)*h*w]
			out := dst[p*oh*ow : (p+1)*oh*ow]
			for y := 0; y < oh; y++ {
				y1 := min(2*y+2, h)
				x0 := 0
				if y1-2*y == 2 && full > 0 {
					// Full 2x2 windows: the four taps gathered along the two
					// rows, summed in the order of the loop below.
					r0, r1 := in[2*y*w:(2*y+1)*w], in[(2*y+1)*w:(2*y+2)*w]
					ops.GatherEven(e0, r0)
					ops.GatherEven(o0, r0[1:])
					ops.GatherEven(e1, r1)
					ops.GatherEven(o1, r1[1:])
					o := out[y*ow : y*ow+full]
					for x := range o {
						var s float32 // from +0, as below (-0 + -0 stays -0)
						s += e0[x]
						s += o0[x]
						s += e1[x]
						s += o1[x]
						o[x] = s / 4
					}
					x0 = full
				}
				for x := x0; x < ow; x++ {
					x1 := min(2*x+2, w)
					var s float32
					for yy := 2 * y; yy < y1; yy++ {
						for xx := 2 * x; xx < x1; xx++ {
							s += in[yy*w+xx]
						}
					}
					out[y*ow+x] = s / float32((y1-2*y)*(x1-2*x))
				}
			}
		}
	})
	return oh, ow
}

// maxIntoGeneric computes col[i] = max(col[i], r[i]) in plain Go (the
// reference for the assembly).
func maxIntoGeneric(col, r []float32) {
	r = r[:len(col)]
	for x, v := range r {
		col[x] = max(col[x], v) // branch-free; NaN if either is
	}
}

// addInPlace computes dst += src element-wise on planes of hw values
// (NCHW: n*c planes of h*w), then, with relu, dst = max(dst, 0) run by run
// while it is in cache (the same results as a separate ops.ReLU). It runs
// in parallel over ranges of positions, every plane of them (the
// positions a worker's share of the convolutions before and after covers,
// see ops.ParallelFor).
func addInPlace(dst, src []float32, hw int, relu bool) {
	planes := len(dst) / hw
	ops.ParallelFor(hw, max(1, (1<<14)/planes), func(lo, hi int) {
		for q := 0; q < planes; q++ {
			d := dst[q*hw+lo : q*hw+hi]
			ops.AddInPlace(d, src[q*hw+lo:q*hw+hi])
			if relu {
				ops.ReLU(d, d)
			}
		}
	})
}

// workspace holds one Forward call's buffers: numbered slots that grow to
// the largest size asked for and are then reused, so that a warm workspace
// allocates nothing.
type workspace struct {
	bufs [][]float32
	dec  decoderOut

	posH, posW int       // the size the cached position embedding is for
	pos        []float32 // [h*w, C] 2D sin-cos position embedding

	// Detect's preprocessing: the image as RGB, resized, resampling scratch,
	// the images' sizes.
	rgb, resized []uint8
	resample     pilScratch
	targets      [][2]int
}

// Slot kinds; a slot is kind*slotsPerKind + index.
const slotsPerKind = 16

const (
	kindBackbone = iota // backbone temporaries 0..3
	kindFeature         // backbone output features, per level
	kindProj            // encoder inputs (after projection and AIFI), per level
	kindLateral         // lateral conv outputs, per level
	kindFPN             // top-down CSP outputs, per level
	kindPAN             // bottom-up outputs (encoder levels), per level
	kindCSP             // CSP temporaries 0..3, and the concatenation (4)
	kindAIFI            // AIFI temporaries
	kindInput           // the preprocessed batch
	kindPad             // a convolution's zero-padded input
	numKinds
)

// buf returns slot (kind, i) with length n, growing it if needed.
func (ws *workspace) buf(kind, i, n int) []float32 {
	s := kind*slotsPerKind + i
	if s >= len(ws.bufs) {
		ws.bufs = append(ws.bufs, make([][]float32, numKinds*slotsPerKind-len(ws.bufs))...)
	}
	if cap(ws.bufs[s]) < n {
		ws.bufs[s] = make([]float32, n)
	}
	return ws.bufs[s][:n]
}
