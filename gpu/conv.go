package gpu

import (
	"fmt"

	"github.com/ladderpose/ladderpose/ops"
)

// colBudget bounds an im2col (or col2im) scratch buffer, in float32 values
// (128 MiB): a convolution over a large batch runs in chunks of samples
// whose columns fit.
const colBudget = 32 << 20

// convDefaults fills zero strides, dilations and groups with 1, as ops.
func convDefaults(p ops.Conv2DParams) ops.Conv2DParams {
	for _, v := range []*int{&p.StrideH, &p.StrideW, &p.DilH, &p.DilW, &p.Groups} {
		if *v == 0 {
			*v = 1
		}
	}
	return p
}

func checkConvParams(p ops.Conv2DParams) error {
	switch {
	case p.InC <= 0 || p.OutC <= 0 || p.KH <= 0 || p.KW <= 0:
		return fmt.Errorf("channels %d -> %d, kernel %dx%d: must be positive", p.InC, p.OutC, p.KH, p.KW)
	case p.StrideH <= 0 || p.StrideW <= 0 || p.DilH <= 0 || p.DilW <= 0 || p.Groups <= 0:
		return fmt.Errorf("stride %dx%d, dilation %dx%d, groups %d: must be positive", p.StrideH, p.StrideW, p.DilH, p.DilW, p.Groups)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("padding %dx%d: must not be negative", p.PadH, p.PadW)
	case p.InC%p.Groups != 0 || p.OutC%p.Groups != 0:
		return fmt.Errorf("channels %d -> %d do not split into %d groups", p.InC, p.OutC, p.Groups)
	}
	_, err := actCode(p.Act)
	return err
}

// Conv2D is a convolution (ops.Conv2DParams semantics) whose weight
// [OutC, InC/Groups, KH, KW] and optional bias [OutC] are on the device. It
// runs as im2col + one strided batched GEMM per group and chunk of samples,
// straight as a GEMM for 1x1 stride-1 unpadded kernels, and as a direct
// kernel when depthwise (one input channel per group).
type Conv2D struct {
	p       ops.Conv2DParams
	w, bias Buf
}

// NewConv2D checks the parameters and the weight and bias buffers (bias
// may be null).
func NewConv2D(w, bias Buf, p ops.Conv2DParams) (*Conv2D, error) {
	p = convDefaults(p)
	if err := checkConvParams(p); err != nil {
		return nil, fmt.Errorf("gpu.NewConv2D: %w", err)
	}
	if n := p.OutC * p.InC / p.Groups * p.KH * p.KW; w.N < n {
		return nil, fmt.Errorf("gpu.NewConv2D: weight has %d values, want %d", w.N, n)
	}
	if !bias.IsNull() && bias.N < p.OutC {
		return nil, fmt.Errorf("gpu.NewConv2D: bias has %d values, want %d", bias.N, p.OutC)
	}
	return &Conv2D{p: p, w: w, bias: bias}, nil
}

// Params returns the convolution's parameters (defaults filled in).
func (c *Conv2D) Params() ops.Conv2DParams { return c.p }

// OutSize returns the output height and width for an h x w input.
func (c *Conv2D) OutSize(h, w int) (int, int) { return c.p.OutSize(h, w) }

func (c *Conv2D) depthwise() bool { return c.p.InC == c.p.Groups && c.p.Groups > 1 }

func (c *Conv2D) pointwise() bool {
	p := c.p
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// colsPerSample is the im2col size of one sample.
func (c *Conv2D) colsPerSample(h, w int) int {
	oh, ow := c.OutSize(h, w)
	return c.p.InC * c.p.KH * c.p.KW * oh * ow
}

// ScratchSize returns the scratch values Forward needs for n samples of h x
// w (0 for the direct and 1x1 forms): the im2col columns of as many samples
// as fit colBudget, at least one.
func (c *Conv2D) ScratchSize(n, h, w int) int {
	oh, ow := c.OutSize(h, w)
	if c.depthwise() || c.pointwise() || oh <= 0 || ow <= 0 || n <= 0 {
		return 0
	}
	per := c.colsPerSample(h, w)
	return min(n, max(1, colBudget/per)) * per
}

// Conv2D computes dst [n, OutC, oh, ow] = act(conv(src [n, InC, h, w]) +
// bias) with scratch of c.ScratchSize(n, h, w) values (more lets larger
// chunks run at once).
func (d *Device) Conv2D(c *Conv2D, dst, src Buf, n, h, w int, scratch Buf) error {
	p := c.p
	oh, ow := c.OutSize(h, w)
	if n <= 0 || oh <= 0 || ow <= 0 {
		return fmt.Errorf("gpu: Conv2D: %d samples of %dx%d give an empty output", n, h, w)
	}
	ohw := oh * ow
	if err := needAll("Conv2D", "src", src, n*p.InC*h*w, "dst", dst, n*p.OutC*ohw); err != nil {
		return err
	}
	if c.depthwise() {
		code, err := actCode(p.Act)
		if err != nil {
			return err
		}
		return d.launch("depthwise_conv", n*p.OutC*ohw, dst, src, c.w, c.bias, n, p.InC, p.OutC/p.InC,
			h, w, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, oh, ow, code)
	}
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	kg := ig * p.KH * p.KW // GEMM depth of one group
	if c.pointwise() {
		for g := 0; g < p.Groups; g++ {
			if err := d.GemmStrided(false, false, og, ohw, ig, 1, c.w.From(g*og*ig), ig, 0,
				src.From(g*ig*h*w), ohw, p.InC*h*w, 0, dst.From(g*og*ohw), ohw, p.OutC*ohw, n); err != nil {
				return err
			}
		}
	} else {
		per := c.colsPerSample(h, w)
		chunk := min(n, scratch.N/per)
		if chunk < 1 {
			return fmt.Errorf("gpu: Conv2D: scratch of %d values, needs %d", scratch.N, per)
		}
		k := p.InC * p.KH * p.KW
		for s0 := 0; s0 < n; s0 += chunk {
			ns := min(chunk, n-s0)
			if err := d.launch("im2col", ns*per, scratch, src.From(s0*p.InC*h*w), ns, p.InC, h, w, p.KH, p.KW,
				p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, oh, ow); err != nil {
				return err
			}
			for g := 0; g < p.Groups; g++ {
				if err := d.GemmStrided(false, false, og, ohw, kg, 1, c.w.From(g*og*kg), kg, 0,
					scratch.From(g*kg*ohw), ohw, k*ohw, 0, dst.From((s0*p.OutC+g*og)*ohw), ohw, p.OutC*ohw, ns); err != nil {
					return err
				}
			}
		}
	}
	if c.bias.IsNull() && p.Act == ops.ActNone {
		return nil
	}
	return d.BiasAct(dst, n*p.OutC*ohw, c.bias, ohw, p.OutC, p.Act)
}

// ConvTranspose2D is a transposed convolution (ops.ConvTranspose2DParams
// semantics) whose weight [InC, OutC/Groups, KH, KW] and optional bias
// [OutC] are on the device. It runs as a strided batched GEMM per group and
// chunk of samples, cols = W_g^T x_g, and a col2im kernel that gathers the
// taps of each output in a fixed order and applies bias and activation.
type ConvTranspose2D struct {
	p        ops.Conv2DParams // strides, padding, dilation, groups, act
	opH, opW int              // output padding
	w, bias  Buf
}

// NewConvTranspose2D checks the parameters and the weight and bias buffers
// (bias may be null).
func NewConvTranspose2D(w, bias Buf, tp ops.ConvTranspose2DParams) (*ConvTranspose2D, error) {
	p := convDefaults(ops.Conv2DParams{InC: tp.InC, OutC: tp.OutC, KH: tp.KH, KW: tp.KW, StrideH: tp.StrideH,
		StrideW: tp.StrideW, PadH: tp.PadH, PadW: tp.PadW, DilH: tp.DilH, DilW: tp.DilW, Groups: tp.Groups, Act: tp.Act})
	if err := checkConvParams(p); err != nil {
		return nil, fmt.Errorf("gpu.NewConvTranspose2D: %w", err)
	}
	if tp.OutPadH < 0 || tp.OutPadW < 0 || tp.OutPadH >= max(p.StrideH, p.DilH) || tp.OutPadW >= max(p.StrideW, p.DilW) {
		return nil, fmt.Errorf("gpu.NewConvTranspose2D: output padding %dx%d must be smaller than the stride or the dilation", tp.OutPadH, tp.OutPadW)
	}
	if n := p.InC * p.OutC / p.Groups * p.KH * p.KW; w.N < n {
		return nil, fmt.Errorf("gpu.NewConvTranspose2D: weight has %d values, want %d", w.N, n)
	}
	if !bias.IsNull() && bias.N < p.OutC {
		return nil, fmt.Errorf("gpu.NewConvTranspose2D: bias has %d values, want %d", bias.N, p.OutC)
	}
	return &ConvTranspose2D{p: p, opH: tp.OutPadH, opW: tp.OutPadW, w: w, bias: bias}, nil
}

// OutSize returns the output height and width for an h x w input.
func (c *ConvTranspose2D) OutSize(h, w int) (int, int) {
	p := c.p
	return (h-1)*p.StrideH - 2*p.PadH + p.DilH*(p.KH-1) + c.opH + 1,
		(w-1)*p.StrideW - 2*p.PadW + p.DilW*(p.KW-1) + c.opW + 1
}

// ScratchSize returns the scratch values Forward needs for n samples of h x
// w: the GEMM columns of as many samples as fit colBudget, at least one.
func (c *ConvTranspose2D) ScratchSize(n, h, w int) int {
	if n <= 0 || h <= 0 || w <= 0 {
		return 0
	}
	per := c.p.OutC * c.p.KH * c.p.KW * h * w
	return min(n, max(1, colBudget/per)) * per
}

// ConvTranspose2D computes dst [n, OutC, oh, ow] = act(convT(src [n, InC,
// h, w]) + bias) with scratch of c.ScratchSize(n, h, w) values.
func (d *Device) ConvTranspose2D(c *ConvTranspose2D, dst, src Buf, n, h, w int, scratch Buf) error {
	p := c.p
	oh, ow := c.OutSize(h, w)
	if n <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0 {
		return fmt.Errorf("gpu: ConvTranspose2D: %d samples of %dx%d give an empty output", n, h, w)
	}
	hw, khw := h*w, p.KH*p.KW
	if err := needAll("ConvTranspose2D", "src", src, n*p.InC*hw, "dst", dst, n*p.OutC*oh*ow); err != nil {
		return err
	}
	code, err := actCode(p.Act)
	if err != nil {
		return err
	}
	per := p.OutC * khw * hw
	chunk := min(n, scratch.N/per)
	if chunk < 1 {
		return fmt.Errorf("gpu: ConvTranspose2D: scratch of %d values, needs %d", scratch.N, per)
	}
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	for s0 := 0; s0 < n; s0 += chunk {
		ns := min(chunk, n-s0)
		for g := 0; g < p.Groups; g++ {
			// cols_g [og*KH*KW, hw] = W_g^T [og*KH*KW, ig] x_g [ig, hw].
			if err := d.GemmStrided(true, false, og*khw, hw, ig, 1, c.w.From(g*ig*og*khw), og*khw, 0,
				src.From((s0*p.InC+g*ig)*hw), hw, p.InC*hw, 0, scratch.From(g*og*khw*hw), hw, per, ns); err != nil {
				return err
			}
		}
		if err := d.launch("col2im", ns*p.OutC*oh*ow, dst.From(s0*p.OutC*oh*ow), scratch, c.bias, ns, p.OutC, oh, ow,
			p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, h, w, code); err != nil {
			return err
		}
	}
	return nil
}
