package ops

import "fmt"

// ConvTranspose2DParams describes a 2-D transposed convolution as
// torch.nn.ConvTranspose2d: NCHW input [n, InC, h, w], weight
// [InC, OutC/Groups, KH, KW], output [n, OutC, oh, ow] with
// oh = (h-1)*StrideH - 2*PadH + DilH*(KH-1) + OutPadH + 1 (ow likewise).
type ConvTranspose2DParams struct {
	InC, OutC        int // channels
	KH, KW           int // kernel size
	StrideH, StrideW int // stride; 0 means 1
	PadH, PadW       int // implicit padding removed from each side of the output
	OutPadH, OutPadW int // extra rows/columns at the bottom/right
	DilH, DilW       int // dilation; 0 means 1
	Groups           int // 0 means 1
	Act              Act // activation applied after the bias
}

// conv returns the parameters as a Conv2DParams (for the shared checks and
// defaults).
func (p ConvTranspose2DParams) conv() Conv2DParams {
	return Conv2DParams{InC: p.InC, OutC: p.OutC, KH: p.KH, KW: p.KW, StrideH: p.StrideH, StrideW: p.StrideW,
		PadH: p.PadH, PadW: p.PadW, DilH: p.DilH, DilW: p.DilW, Groups: p.Groups, Act: p.Act}
}

// OutSize returns the output height and width for an h x w input.
func (p ConvTranspose2DParams) OutSize(h, w int) (oh, ow int) {
	q := p.conv().withDefaults()
	oh = (h-1)*q.StrideH - 2*q.PadH + q.DilH*(q.KH-1) + p.OutPadH + 1
	ow = (w-1)*q.StrideW - 2*q.PadW + q.DilW*(q.KW-1) + p.OutPadW + 1
	return oh, ow
}

// ConvTranspose2D is a transposed convolution prepared for repeated use. It
// runs as a GEMM, cols [og*KH*KW, h*w] = W_g^T [og*KH*KW, ig] * x_g [ig, h*w]
// per sample and group, with the weight packed once, followed by col2im: each
// column scatters its KH*KW taps into the output, summed in a fixed order
// (kernel row, kernel column, input row, input column), one output channel
// per unit of parallel work. Read-only after NewConvTranspose2D and safe for
// concurrent use with separate scratch.
type ConvTranspose2D struct {
	p      Conv2DParams // strides, padding, dilation, groups, act
	opH    int          // output padding
	opW    int
	bias   []float32
	packed []*PackedA // per group: W_g^T, [og*KH*KW, ig]
}

// NewConvTranspose2D checks the parameters, weight [InC, OutC/Groups, KH, KW]
// and bias ([OutC] or nil) and prepares the transposed convolution. The
// slices are copied.
func NewConvTranspose2D(weight, bias []float32, p ConvTranspose2DParams) (*ConvTranspose2D, error) {
	return newConvTranspose2D(weight, bias, p, PackA)
}

func newConvTranspose2D(weight, bias []float32, p ConvTranspose2DParams, pack packFunc) (*ConvTranspose2D, error) {
	q := p.conv()
	if err := q.validate(); err != nil {
		return nil, fmt.Errorf("ops.NewConvTranspose2D: %w", err)
	}
	q = q.withDefaults()
	if p.OutPadH < 0 || p.OutPadW < 0 || p.OutPadH >= max(q.StrideH, q.DilH) || p.OutPadW >= max(q.StrideW, q.DilW) {
		return nil, fmt.Errorf("ops.NewConvTranspose2D: output padding %dx%d must be smaller than the stride or the dilation", p.OutPadH, p.OutPadW)
	}
	ig, og := q.InC/q.Groups, q.OutC/q.Groups
	m := og * q.KH * q.KW
	if len(weight) != q.InC*m {
		return nil, fmt.Errorf("ops.NewConvTranspose2D: weight has %d values, want %d = [%d, %d, %d, %d]", len(weight), q.InC*m, q.InC, og, q.KH, q.KW)
	}
	if bias != nil && len(bias) != q.OutC {
		return nil, fmt.Errorf("ops.NewConvTranspose2D: bias has %d values, want %d", len(bias), q.OutC)
	}
	c := &ConvTranspose2D{p: q, opH: p.OutPadH, opW: p.OutPadW, packed: make([]*PackedA, q.Groups)}
	if bias != nil {
		c.bias = append([]float32(nil), bias...)
	}
	for g := range c.packed {
		// Group g's weight is [ig, m] row-major; its transpose is column-major.
		c.packed[g] = pack(m, ig, ColMajor(weight[g*ig*m:(g+1)*ig*m], m))
	}
	return c, nil
}

// OutSize returns the output height and width for an h x w input.
func (c *ConvTranspose2D) OutSize(h, w int) (oh, ow int) {
	p := c.p
	return (h-1)*p.StrideH - 2*p.PadH + p.DilH*(p.KH-1) + c.opH + 1,
		(w-1)*p.StrideW - 2*p.PadW + p.DilW*(p.KW-1) + c.opW + 1
}

// ScratchSize returns the number of float32 values Forward needs as scratch
// for an n x InC x h x w input.
func (c *ConvTranspose2D) ScratchSize(n, h, w int) int {
	return c.p.OutC / c.p.Groups * c.p.KH * c.p.KW * h * w
}

// Forward computes dst [n, OutC, oh, ow] = act(convT(src [n, InC, h, w]) +
// bias). scratch must hold ScratchSize(n, h, w) values. The result does not
// depend on the number of workers. It returns an error if a slice has the
// wrong length.
func (c *ConvTranspose2D) Forward(dst, src []float32, n, h, w int, scratch []float32) error {
	p := c.p
	oh, ow := c.OutSize(h, w)
	switch {
	case n < 0 || h <= 0 || w <= 0:
		return fmt.Errorf("ops.ConvTranspose2D: bad input size %dx%dx%d", n, h, w)
	case oh <= 0 || ow <= 0:
		return fmt.Errorf("ops.ConvTranspose2D: %dx%d input gives an empty %dx%d output", h, w, oh, ow)
	case len(src) != n*p.InC*h*w:
		return fmt.Errorf("ops.ConvTranspose2D: input has %d values, want %d = [%d, %d, %d, %d]", len(src), n*p.InC*h*w, n, p.InC, h, w)
	case len(dst) != n*p.OutC*oh*ow:
		return fmt.Errorf("ops.ConvTranspose2D: output has %d values, want %d = [%d, %d, %d, %d]", len(dst), n*p.OutC*oh*ow, n, p.OutC, oh, ow)
	case len(scratch) < c.ScratchSize(n, h, w):
		return fmt.Errorf("ops.ConvTranspose2D: scratch has %d values, want %d", len(scratch), c.ScratchSize(n, h, w))
	}
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	hw, ohw := h*w, oh*ow
	kk := p.KH * p.KW
	cols := scratch[:og*kk*hw]
	for s := 0; s < n; s++ {
		for g := 0; g < p.Groups; g++ {
			x := src[(s*p.InC+g*ig)*hw : (s*p.InC+(g+1)*ig)*hw]
			GemmPackedA(hw, 1, c.packed[g], RowMajor(x, hw), 0, RowMajor(cols, hw), Epilogue{})
			ParallelFor(og, max(1, 8192/(kk*hw)), func(lo, hi int) {
				for j := lo; j < hi; j++ {
					o := g*og + j
					y := dst[(s*p.OutC+o)*ohw : (s*p.OutC+o+1)*ohw]
					var b float32
					if c.bias != nil {
						b = c.bias[o]
					}
					for i := range y {
						y[i] = b
					}
					// One output plane seen as the input of the adjoint
					// convolution: its kk taps are scattered into it.
					col2imChannel(y, cols[j*kk*hw:(j+1)*kk*hw], ConvGeom{C: 1, H: oh, W: ow, KH: p.KH, KW: p.KW,
						StrideH: p.StrideH, StrideW: p.StrideW, PadH: p.PadH, PadW: p.PadW, DilH: p.DilH, DilW: p.DilW}, h, w)
					applyAct(y, p.Act)
				}
			})
		}
	}
	return nil
}
