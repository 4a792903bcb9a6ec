package ops

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// Conv2DParams describes a 2-D convolution as torch.nn.Conv2d: NCHW input
// [n, InC, h, w], weight [OutC, InC/Groups, KH, KW], output [n, OutC, oh, ow]
// with oh = (h + 2*PadH - DilH*(KH-1) - 1)/StrideH + 1 (ow likewise).
type Conv2DParams struct {
	InC, OutC        int // channels
	KH, KW           int // kernel size
	StrideH, StrideW int // stride; 0 means 1
	PadH, PadW       int // zero padding on each side
	DilH, DilW       int // dilation; 0 means 1
	Groups           int // 0 means 1; InC and OutC must be multiples
	Act              Act // activation applied after the bias
}

// withDefaults returns p with zero strides, dilations and groups set to 1.
func (p Conv2DParams) withDefaults() Conv2DParams {
	one := func(v *int) {
		if *v == 0 {
			*v = 1
		}
	}
	one(&p.StrideH)
	one(&p.StrideW)
	one(&p.DilH)
	one(&p.DilW)
	one(&p.Groups)
	return p
}

func (p Conv2DParams) validate() error {
	q := p.withDefaults()
	switch {
	case p.InC <= 0 || p.OutC <= 0:
		return fmt.Errorf("channels %d -> %d: must be positive", p.InC, p.OutC)
	case p.KH <= 0 || p.KW <= 0:
		return fmt.Errorf("kernel %dx%d: must be positive", p.KH, p.KW)
	case p.StrideH < 0 || p.StrideW < 0 || p.DilH < 0 || p.DilW < 0 || p.Groups < 0:
		return fmt.Errorf("stride %dx%d, dilation %dx%d, groups %d: must not be negative", p.StrideH, p.StrideW, p.DilH, p.DilW, p.Groups)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("padding %dx%d: must not be negative", p.PadH, p.PadW)
	case p.InC%q.Groups != 0 || p.OutC%q.Groups != 0:
		return fmt.Errorf("channels %d -> %d do not split into %d groups", p.InC, p.OutC, q.Groups)
	case p.Act > ActSiLU:
		return fmt.Errorf("unknown activation %d", p.Act)
	}
	return nil
}

// OutSize returns the output height and width for an h x w input (zero or
// negative when the input is smaller than the dilated kernel).
func (p Conv2DParams) OutSize(h, w int) (oh, ow int) {
	p = p.withDefaults()
	oh = floorDiv(h+2*p.PadH-p.DilH*(p.KH-1)-1, p.StrideH) + 1
	ow = floorDiv(w+2*p.PadW-p.DilW*(p.KW-1)-1, p.StrideW) + 1
	return oh, ow
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// convKind is the algorithm a prepared convolution uses.
type convKind uint8

const (
	convIm2col    convKind = iota // im2col by column blocks + GEMM with the packed weight
	convPointwise                 // 1x1, stride 1, no padding: GEMM straight on the input
	convDepthwise                 // one input channel per group: direct loops
)

// Conv2D is a convolution prepared for repeated use: the weight is checked
// and packed (per group) for the GEMM once, and Forward allocates nothing.
// A Conv2D is read-only after NewConv2D and safe for concurrent use, as long
// as each call has its own scratch.
type Conv2D struct {
	p      Conv2DParams
	kind   convKind
	bias   []float32  // nil if none
	packed []*PackedA // per group: [OutC/Groups, InC/Groups*KH*KW] (tapMajor: KH*KW*InC/Groups)
	// tapMajor orders the patch rows of the im2col lowering tap by tap
	// (row tap*ig + ci instead of ci*KH*KW + tap), so that the taps a
	// panel of output positions never reaches (those in the padding) are
	// whole ranges of K, which the GEMM skips. Set for dilated
	// convolutions, whose padding is wide (ASPP's: 3 to 9 rows); the
	// others keep the channel-major order of PyTorch's weight layout.
	tapMajor bool
	weight   []float32 // depthwise: a copy of the weight
	// bases caches the patch-row offsets (patchBases) of the last padded
	// input layout, which a model's fixed input size keeps the same from
	// call to call; another layout replaces it (a cache: no result
	// depends on it).
	bases atomic.Pointer[baseTable]
}

// baseTable is the offset of every patch row's tap for one padded input
// layout.
type baseTable struct {
	layout paddedInput
	bases  []int
}

// patchTable returns the patch-row offsets (patchBases, all K rows of a
// group) for layout pp, from the cache when it holds them.
func (c *Conv2D) patchTable(pp *paddedInput) []int {
	if t := c.bases.Load(); t != nil && t.layout == *pp {
		return t.bases
	}
	k := c.p.InC / c.p.Groups * c.p.KH * c.p.KW
	t := &baseTable{layout: *pp, bases: make([]int, k)}
	c.patchBases(t.bases, 0, pp)
	c.bases.Store(t)
	return t.bases
}

// NewConv2D checks the parameters, weight [OutC, InC/Groups, KH, KW] and
// bias ([OutC] or nil) and prepares the convolution. The slices are copied:
// the caller may reuse them.
func NewConv2D(weight, bias []float32, p Conv2DParams) (*Conv2D, error) {
	return newConv2D(weight, bias, p, PackA)
}

// packFunc packs a GEMM left operand; tests pass one per micro-kernel.
type packFunc func(m, k int, a Mat) *PackedA

func newConv2D(weight, bias []float32, p Conv2DParams, pack packFunc) (*Conv2D, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("ops.NewConv2D: %w", err)
	}
	p = p.withDefaults()
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	k := ig * p.KH * p.KW
	if len(weight) != p.OutC*k {
		return nil, fmt.Errorf("ops.NewConv2D: weight has %d values, want %d = [%d, %d, %d, %d]", len(weight), p.OutC*k, p.OutC, ig, p.KH, p.KW)
	}
	if bias != nil && len(bias) != p.OutC {
		return nil, fmt.Errorf("ops.NewConv2D: bias has %d values, want %d", len(bias), p.OutC)
	}
	c := &Conv2D{p: p}
	if bias != nil {
		c.bias = append([]float32(nil), bias...)
	}
	switch {
	case ig == 1 && p.Groups > 1:
		c.kind = convDepthwise
		c.weight = append([]float32(nil), weight...)
		return c, nil
	case p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0:
		c.kind = convPointwise
	default:
		c.kind = convIm2col
	}
	c.packed = make([]*PackedA, p.Groups)
	c.tapMajor = c.kind == convIm2col && (p.DilH > 1 || p.DilW > 1)
	kk := p.KH * p.KW
	wt := make([]float32, og*k)
	for g := range c.packed {
		wg := weight[g*og*k : (g+1)*og*k]
		if !c.tapMajor {
			c.packed[g] = pack(og, k, RowMajor(wg, k))
			continue
		}
		for o := 0; o < og; o++ {
			for ci := 0; ci < ig; ci++ {
				for tap := 0; tap < kk; tap++ {
					wt[o*k+tap*ig+ci] = wg[o*k+ci*kk+tap]
				}
			}
		}
		c.packed[g] = pack(og, k, RowMajor(wt, k))
	}
	return c, nil
}

// Params returns the convolution's parameters (zero defaults filled in).
func (c *Conv2D) Params() Conv2DParams { return c.p }

// maxColBlock bounds a block of output positions of the im2col lowering:
// one K block of its patch panels (KC x maxColBlock values, 256 KB for
// KC = 256) stays in the core's L2 from the moment it is written until the
// micro-kernels have used it.
const maxColBlock = 256

// blocking splits ohw output positions, as panels of nr (the last one
// ragged), into blocks for at most maxW workers: at most maxColBlock
// positions each, their number a multiple of the workers, the panels
// spread over them as evenly as whole panels allow (block b holds panels
// b*panels/blocks up to (b+1)*panels/blocks), so that each worker gets the
// same share within a panel. It returns the workers used, the number of
// blocks and of panels. No result depends on it.
func blocking(ohw, nr, maxW int) (nw, blocks, panels int) {
	panels = (ohw + nr - 1) / nr
	maxPanels := max(1, maxColBlock/nr)
	nw = max(1, min(maxW, panels))
	blocks = min(roundUp(max((panels+maxPanels-1)/maxPanels, nw), nw), panels)
	return min(nw, blocks), blocks, panels
}

// blockRange returns block b's first position and its number of positions
// (see blocking).
func blockRange(b, blocks, panels, nr, ohw int) (j0, cols int) {
	j0 = b * panels / blocks * nr
	return j0, min((b+1)*panels/blocks*nr, ohw) - j0
}

func roundUp(a, b int) int { return (a + b - 1) / b * b }

// ScratchSize returns the number of float32 values Forward needs as
// scratch: 0, since the patch panels of the im2col lowering are written
// inside the GEMM, into its own cached packing buffers. It is kept so that
// Conv2D and ConvTranspose2D (which does need scratch) share one calling
// convention.
func (c *Conv2D) ScratchSize(n, h, w int) int { return 0 }

var errEmptyOutput = errors.New("input smaller than the dilated kernel")

// Forward computes dst [n, OutC, oh, ow] = act(conv(src [n, InC, h, w]) +
// bias). scratch is not used (see ScratchSize; it may be nil). The work
// runs on Workers() goroutines split by output tiles, so the result is the
// same for any number of workers. It returns an error if a slice has the
// wrong length.
func (c *Conv2D) Forward(dst, src []float32, n, h, w int, scratch []float32) error {
	oh, ow, err := c.checkSizes(dst, src, "input", n, h, w, nil)
	if err != nil {
		return err
	}
	switch c.kind {
	case convDepthwise:
		c.depthwise(dst, src, n, h, w, oh, ow)
	case convPointwise:
		c.pointwise(dst, src, n, h*w)
	default:
		c.im2colGemm(dst, src, n, h, w, oh, ow, nil, true)
	}
	return nil
}

// checkSizes checks a call's sizes: n x InC x h x w input, laid out in src
// as pp says (nil: plain planes), dst holding the output; it returns the
// output size.
func (c *Conv2D) checkSizes(dst, src []float32, what string, n, h, w int, pp *paddedInput) (oh, ow int, err error) {
	p := c.p
	oh, ow = p.OutSize(h, w)
	plane, shape := h*w, func() string { return fmt.Sprintf("%d, %d", h, w) }
	if pp != nil {
		plane = pp.plane()
		shape = func() string { return fmt.Sprintf("%d, %d", pp.hp, pp.wp) }
		if pp.sh > 1 || pp.sw > 1 {
			shape = func() string { return fmt.Sprintf("%d x %d x %d x %d", pp.sh, pp.sw, pp.ph, pp.pw) }
		}
	}
	switch {
	case n < 0 || h <= 0 || w <= 0:
		return 0, 0, fmt.Errorf("ops.Conv2D: bad input size %dx%dx%d", n, h, w)
	case oh <= 0 || ow <= 0:
		return 0, 0, fmt.Errorf("ops.Conv2D: %dx%d input, %dx%d kernel with dilation %dx%d and padding %dx%d: %w", h, w, p.KH, p.KW, p.DilH, p.DilW, p.PadH, p.PadW, errEmptyOutput)
	case len(src) != n*p.InC*plane:
		return 0, 0, fmt.Errorf("ops.Conv2D: %s has %d values, want %d = [%d, %d, %s]", what, len(src), n*p.InC*plane, n, p.InC, shape())
	case len(dst) != n*p.OutC*oh*ow:
		return 0, 0, fmt.Errorf("ops.Conv2D: output has %d values, want %d = [%d, %d, %d, %d]", len(dst), n*p.OutC*oh*ow, n, p.OutC, oh, ow)
	}
	return oh, ow, nil
}

// PadPlanes writes the planes h x w of src (planes of them, NCHW) into dst
// with pad zeros on every side: dst holds planes x (h+2*pad) x (w+2*pad)
// values. Ranges of rows run in parallel, every plane of them (the rows a
// convolution's worker then reads, see spans).
func PadPlanes(dst, src []float32, planes, h, w, pad int) {
	hp, wp := h+2*pad, w+2*pad
	_, _ = dst[planes*hp*wp-1], src[planes*h*w-1]
	ParallelFor(hp, max(1, 4096/(planes*wp)), func(r0, r1 int) {
		for q := 0; q < planes; q++ {
			d := dst[q*hp*wp : (q+1)*hp*wp]
			x := src[q*h*w : (q+1)*h*w]
			for r := r0; r < r1; r++ {
				row := d[r*wp : (r+1)*wp]
				y := r - pad
				if y < 0 || y >= h {
					clear(row)
					continue
				}
				clear(row[:pad])
				copy(row[pad:pad+w], x[y*w:(y+1)*w])
				clear(row[pad+w:])
			}
		}
	})
}

// ForwardPadded is Forward on an input that is already zero-padded: xp holds
// n x InC planes of (h+2*pad) x (w+2*pad) values, as PadPlanes writes them,
// with pad at least the convolution's PadH and PadW; h and w are the sizes
// before padding. Several convolutions of one input (ASPP's dilated
// branches) can share one padded copy. The result is bit-identical to
// Forward's on the unpadded input, but the patch panels are copied from xp
// without Forward's per-tap clipping and its intermediate patch row: for a
// stride-1 convolution, a panel of output positions within one output row
// reads one contiguous run of xp per tap. Convolutions that Forward runs
// without im2col (1x1 without padding, depthwise) return an error.
func (c *Conv2D) ForwardPadded(dst, xp []float32, n, h, w, pad int) error {
	return c.forwardLaidOut("ForwardPadded", "padded input", dst, xp, n, h, w, paddedLayout(h, w, pad))
}

// forwardLaidOut checks and runs ForwardPadded and ForwardPhased on an
// input laid out as pp says.
func (c *Conv2D) forwardLaidOut(op, what string, dst, src []float32, n, h, w int, pp *paddedInput) error {
	p := c.p
	switch {
	case c.kind != convIm2col:
		return fmt.Errorf("ops.Conv2D: %s needs a convolution lowered to im2col (not 1x1 unpadded or depthwise)", op)
	case pp.pad < p.PadH || pp.pad < p.PadW:
		return fmt.Errorf("ops.Conv2D: input padded by %d, the convolution needs %dx%d", pp.pad, p.PadH, p.PadW)
	}
	oh, ow, err := c.checkSizes(dst, src, what, n, h, w, pp)
	if err != nil {
		return err
	}
	c.im2colGemm(dst, src, n, h, w, oh, ow, pp, true)
	return nil
}

// paddedInput describes the layout of ForwardPadded's input (sh = sw = 1:
// planes of hp x wp) and ForwardPhased's (each plane split into sh x sw
// phase planes of ph x pw, see PadPhases).
type paddedInput struct {
	pad, hp, wp int
	sh, sw      int // phases per axis (the convolution's strides; 1: not split)
	ph, pw      int // size of a phase plane (hp x wp when not split)
}

// paddedLayout returns the layout of an h x w input padded by pad (not
// split into phases).
func paddedLayout(h, w, pad int) *paddedInput {
	hp, wp := h+2*pad, w+2*pad
	return &paddedInput{pad: pad, hp: hp, wp: wp, sh: 1, sw: 1, ph: hp, pw: wp}
}

// plane returns the number of values per input channel.
func (pp *paddedInput) plane() int { return pp.sh * pp.sw * pp.ph * pp.pw }

// tapOffset returns the offset within a channel's values of tap (ky, kx)
// for output position (0, 0): with the position's offset (posOffset) added,
// the input value the tap reads.
func (pp *paddedInput) tapOffset(p *Conv2DParams, ky, kx int) int {
	dy, dx := ky*p.DilH+pp.pad-p.PadH, kx*p.DilW+pp.pad-p.PadW
	if pp.sh == 1 && pp.sw == 1 {
		return ky*p.DilH*pp.wp + kx*p.DilW // posOffset holds the padding terms
	}
	return ((dy%pp.sh)*pp.sw+dx%pp.sw)*pp.ph*pp.pw + dy/pp.sh*pp.pw + dx/pp.sw
}

// posOffset returns the offset of output position (oy, ox) within a
// channel's values (see tapOffset).
func (pp *paddedInput) posOffset(p *Conv2DParams, oy, ox int) int {
	if pp.sh == 1 && pp.sw == 1 {
		return (oy*p.StrideH-p.PadH+pp.pad)*pp.wp + ox*p.StrideW - p.PadW + pp.pad
	}
	return oy*pp.pw + ox
}

// PhasedSize returns the size ph x pw of the phase planes PadPhases writes
// for an h x w plane padded by pad and split by strides sh x sw: each plane
// becomes sh*sw*ph*pw values.
func PhasedSize(h, w, pad, sh, sw int) (ph, pw int) {
	return (h + 2*pad + sh - 1) / sh, (w + 2*pad + sw - 1) / sw
}

// PadPhases writes the planes h x w of src (planes of them, NCHW), padded
// by pad zeros on every side, into dst split into sh x sw phases: phase
// (a, b) of a plane, a ph x pw plane (PhasedSize), holds the padded
// plane's values at rows a, a+sh, ... and columns b, b+sw, ..., zeros past
// its end; the phases of a plane follow each other, a-major. A convolution
// with strides sh x sw then reads, for a run of output positions along a
// row, a contiguous run of one phase plane per tap (ForwardPhased). Ranges
// of padded rows run in parallel, every plane of them.
func PadPhases(dst, src []float32, planes, h, w, pad, sh, sw int) {
	ph, pw := PhasedSize(h, w, pad, sh, sw)
	size := sh * sw * ph * pw
	_, _ = dst[planes*size-1], src[planes*h*w-1]
	// Padded row py (of ph*sh, some past the padding) is row py/sh of the
	// phases (py%sh, b) for every b.
	ParallelFor(ph*sh, max(1, 4096/(planes*sw*pw)), func(r0, r1 int) {
		for q := 0; q < planes; q++ {
			d := dst[q*size : (q+1)*size]
			x := src[q*h*w : (q+1)*h*w]
			for py := r0; py < r1; py++ {
				y := py - pad
				for b := 0; b < sw; b++ {
					out := d[((py%sh)*sw+b)*ph*pw+py/sh*pw:][:pw]
					clear(out)
					// Columns x with (x+pad) % sw == b go to phase (py%sh, b).
					x0 := ((b-pad)%sw + sw) % sw
					if y < 0 || y >= h || x0 >= w {
						continue
					}
					row := x[y*w : (y+1)*w]
					j := (x0 + pad) / sw
					if sw == 2 {
						cnt := (w - x0 + 1) / 2
						gatherEven(out[j:j+cnt], row[x0:])
						continue
					}
					for xx := x0; xx < w; xx += sw {
						out[j] = row[xx]
						j++
					}
				}
			}
		}
	})
}

// ForwardPhased is Forward on an input padded by pad (at least the
// convolution's padding) and split into phases by the convolution's strides
// (PadPhases with sh, sw = StrideH, StrideW): xs holds n x InC x sh*sw*ph*pw
// values; h and w are the sizes before padding. For a strided convolution
// it is what ForwardPadded is for a stride-1 one: a panel of output
// positions within one output row reads one contiguous run of a phase plane
// per patch row (or in place, see im2colGemm). The result is bit-identical
// to Forward's. Convolutions that Forward runs without im2col return an
// error.
func (c *Conv2D) ForwardPhased(dst, xs []float32, n, h, w, pad int) error {
	p := c.p
	ph, pw := PhasedSize(h, w, pad, p.StrideH, p.StrideW)
	pp := &paddedInput{pad: pad, hp: h + 2*pad, wp: w + 2*pad, sh: p.StrideH, sw: p.StrideW, ph: ph, pw: pw}
	return c.forwardLaidOut("ForwardPhased", "phase-split input", dst, xs, n, h, w, pp)
}

// im2colGemm lowers the convolution to GEMMs over blocks of output
// positions, without building the patch matrix: each of the nw workers
// takes every nw-th block and runs it as one GEMM tile (packed weight times
// the block's patch matrix) whose B panels are written K block by K block
// inside the GEMM's loops (a bFiller), just before the micro-kernels use
// them. With pp nil, src is the plain input and each patch row is clipped
// to the map (im2colPanels); with pp, src is zero-padded as pp says and the
// panels are copied from it (packPaddedPanels). Every output value is
// computed the same way whatever the blocks, the workers and the input
// form. With pp, a kernel that can read B in place (microInd: AVX-512 and
// the generic kernel) reads the panels whose positions lie within one
// output row straight from the padded input, writing no patch panel for
// them. With skip, the micro-kernels skip the patch rows that are zero for
// a whole panel (tapRows), which leaves the result unchanged (tests run
// both).
func (c *Conv2D) im2colGemm(dst, src []float32, n, h, w, oh, ow int, pp *paddedInput, skip bool) {
	p := c.p
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	k := ig * p.KH * p.KW
	ohw := oh * ow
	kn := c.packed[0].kern
	nr := kn.nr
	nw, blocks, panels := blocking(ohw, nr, Workers())
	mp := (og + kn.mr - 1) / kn.mr
	plane := h * w
	var table []int // padded input: the patch rows' tap offsets
	if pp != nil {
		plane = pp.plane()
		table = c.patchTable(pp)
	}
	for s := 0; s < n; s++ {
		for g := 0; g < p.Groups; g++ {
			x := src[(s*p.InC+g*ig)*plane : (s*p.InC+(g+1)*ig)*plane]
			y := dst[(s*p.OutC+g*og)*ohw : (s*p.OutC+(g+1)*og)*ohw]
			pa := c.packed[g]
			ep := c.epilogue(g)
			// Each worker takes its own span of blocks (its share of the
			// output rows, which the next layer's worker reads again),
			// then helps with the others' (see spans); a block's values
			// do not depend on who runs it.
			sp := newSpans(nw, blocks)
			fork(nw, func(t int) {
				var off [maxColBlock]int // padded input: offsets of the positions
				var kr [maxColBlock / 4]kRange
				for b := sp.take(t); b >= 0; b = sp.take(t) {
					j0, cols := blockRange(b, blocks, panels, nr, ohw)
					np := (cols + nr - 1) / nr
					for jp := 0; jp < np; jp++ {
						kr[jp] = kRange{0, k}
						if skip && c.tapMajor {
							kr[jp] = c.tapRows(j0+jp*nr, j0+min(jp*nr+nr, cols)-1, h, w, ow)
						}
					}
					var fill bFiller
					if pp != nil {
						for i := 0; i < cols; i++ {
							oy, ox := (j0+i)/ow, (j0+i)%ow
							off[i] = pp.posOffset(&p, oy, ox)
						}
						fill = func(dst []float32, pc, kcb, jp0, jp1 int, dir *directB) {
							packPaddedPanels(dst, x, c, *pp, table[pc:pc+kcb], off[:cols], jp0, jp1, nr, dir)
						}
					} else {
						fill = func(dst []float32, pc, kcb, jp0, jp1 int, _ *directB) {
							for i := 0; i < kcb; i++ {
								ci, tap := c.patchRow(pc + i)
								im2colPanels(dst, x, &p, ci*p.KH*p.KW+tap, h, w, ow, j0, cols, i, kcb, jp0, jp1, nr)
							}
						}
					}
					gemmTile(kn, gemmTask{0, mp, 0, np}, og, cols, k, 1, Mat{}, pa, Mat{}, nil, 0, Mat{y[j0:], ohw, 1}, ep, fill, kr[:np])
				}
			})
		}
	}
}

// epilogue returns the GEMM epilogue for group g: its output channels' bias
// (one per row of C) and the activation.
func (c *Conv2D) epilogue(g int) Epilogue {
	ep := Epilogue{BiasPerRow: true, Act: c.p.Act}
	if c.bias != nil {
		og := c.p.OutC / c.p.Groups
		ep.Bias = c.bias[g*og : (g+1)*og]
	}
	return ep
}

// pointwise runs a 1x1 convolution as one GEMM per sample and group:
// dst_g [og, hw] = W_g [og, ig] * src_g [ig, hw].
func (c *Conv2D) pointwise(dst, src []float32, n, hw int) {
	p := c.p
	ig, og := p.InC/p.Groups, p.OutC/p.Groups
	for s := 0; s < n; s++ {
		for g := 0; g < p.Groups; g++ {
			x := src[(s*p.InC+g*ig)*hw : (s*p.InC+(g+1)*ig)*hw]
			y := dst[(s*p.OutC+g*og)*hw : (s*p.OutC+(g+1)*og)*hw]
			GemmPackedA(hw, 1, c.packed[g], RowMajor(x, hw), 0, RowMajor(y, hw), c.epilogue(g))
		}
	}
}

// patchRow returns the input channel (within the group) and the tap (ky*KW
// + kx) of row r of the im2col patch matrix, in the convolution's order.
func (c *Conv2D) patchRow(r int) (ci, tap int) {
	if c.tapMajor {
		ig := c.p.InC / c.p.Groups
		return r % ig, r / ig
	}
	kk := c.p.KH * c.p.KW
	return r / kk, r % kk
}

// tapRows returns, for a tapMajor convolution, the range of patch rows (in the taps-outer order, row
// tap*ig + ci) that may be non-zero for the output positions j0..j1 (j1
// included): rows before the first and after the last tap that reaches the
// input for any of them are zero. Kernel rows ky and columns kx are kept
// when they reach the input for some output row and column the positions
// span (a conservative test: a position range that spans several output
// rows keeps every column).
func (c *Conv2D) tapRows(j0, j1, h, w, ow int) kRange {
	p := &c.p
	ig := p.InC / p.Groups
	oyA, oyB := j0/ow, j1/ow
	oxA, oxB := j0%ow, j1%ow
	if oyA != oyB {
		oxA, oxB = 0, ow-1
	}
	span := func(k, a, b, stride, pad, dil, size int) (lo, hi int) {
		lo, hi = k, -1
		for t := 0; t < k; t++ {
			if a*stride-pad+t*dil < size && b*stride-pad+t*dil >= 0 {
				lo, hi = min(lo, t), t
			}
		}
		return lo, hi + 1
	}
	kyLo, kyHi := span(p.KH, oyA, oyB, p.StrideH, p.PadH, p.DilH, h)
	kxLo, kxHi := span(p.KW, oxA, oxB, p.StrideW, p.PadW, p.DilW, w)
	if kyLo >= kyHi || kxLo >= kxHi {
		return kRange{}
	}
	return kRange{(kyLo*p.KW + kxLo) * ig, ((kyHi-1)*p.KW + kxHi) * ig}
}

// packPaddedPanels writes the kcb = len(bases) rows of one K block of
// column panels jp0..jp1-1 of a block's patch matrix into dst, as
// consecutive kcb x nr panels (a bFiller). Entry (i, t) is
// x[bases[i] + off[t]], x being the zero-padded input (planes, or phase
// planes), bases[i] the offset of row i's channel and tap (patchBases) and
// off[t] that of the block's output position t (posOffset). A full panel whose offsets are consecutive
// (stride 1, within one output row) reads one contiguous run per row r; a
// panel that spans two output rows reads one run per row part.
//
// With dir non-nil (the kernel can read B in place), a full panel with
// consecutive offsets is not written: its row r is x[bases(r)+off[t0]:],
// which the kernel reads directly (dir.src, dir.bases).
func packPaddedPanels(dst, x []float32, c *Conv2D, pp paddedInput, bases, off []int, jp0, jp1, nr int, dir *directB) {
	kcb := len(bases)
	p := &c.p
	plane := pp.plane()
	// Runs of consecutive full panels whose sources follow each other in x
	// (the panels of one output row, at stride 1): one call copies a patch
	// row into all of them. The other panels (ragged, across output rows,
	// strided) are split into pieces: maximal runs of consecutive sources
	// within the panel, and the zero columns past the block's last position.
	type run struct{ jp, n, src int }
	type piece struct{ d, n, src int } // d: offset in dst of row 0; src < 0: zeros
	type split struct{ jp, a, b, t1 int }
	var runs [maxColBlock / 4]run
	var pieces [maxColBlock + maxColBlock/4]piece
	var splits [maxColBlock / 4]split
	nrun, npiece, nsplit := 0, 0, 0
	fast := nr == 16 || nr == 32
	direct := false
	for jp := jp0; jp < jp1; jp++ {
		t0 := jp * nr
		o := off[t0:min(t0+nr, len(off))]
		if dir != nil && len(o) == nr && o[nr-1]-o[0] == nr-1 {
			dir.src[jp-jp0] = o[0]
			direct = true
			continue
		}
		if fast && len(o) == nr && o[nr-1]-o[0] == nr-1 {
			src := o[0]
			if nrun > 0 {
				if l := &runs[nrun-1]; src == l.src+nr*l.n && l.jp+l.n == jp {
					l.n++ // continues the previous run
					continue
				}
			}
			runs[nrun] = run{jp, 1, src}
			nrun++
			continue
		}
		if nr == 32 && len(o) == nr {
			// Two runs (a panel across two output rows): one blend of two
			// 32-value reads per row, if both reads stay inside x.
			t1 := 1
			for t1 < nr && o[t1] == o[t1-1]+1 {
				t1++
			}
			u := t1 + 1
			for u < nr && o[u] == o[u-1]+1 {
				u++
			}
			reach := 0 // the farthest tap
			for ky := 0; ky < p.KH; ky++ {
				for kx := 0; kx < p.KW; kx++ {
					reach = max(reach, pp.tapOffset(p, ky, kx))
				}
			}
			if u == nr && o[t1]-t1 >= 0 && max(o[0], o[t1]-t1)+31+reach < plane {
				splits[nsplit] = split{jp, o[0], o[t1] - t1, t1}
				nsplit++
				continue
			}
		}
		d := (jp - jp0) * kcb * nr
		for t := 0; t < len(o); {
			u := t + 1
			for u < len(o) && o[u] == o[u-1]+1 {
				u++
			}
			pieces[npiece] = piece{d + t, u - t, o[t]}
			npiece++
			t = u
		}
		if len(o) < nr {
			pieces[npiece] = piece{d + len(o), nr - len(o), -1}
			npiece++
		}
	}
	// base(r) of the block's rows.
	if direct {
		dir.x = x
		dir.bases = bases
	}
	if nr == 32 {
		// A run at a time, all of its rows in one call.
		for _, r := range runs[:nrun] {
			copyPanelRows32(dst[(r.jp-jp0)*kcb*nr:], x, bases, r.src, r.n, kcb)
		}
		nrun = 0
		for _, q := range splits[:nsplit] {
			copyPanelRowsSplit32(dst[(q.jp-jp0)*kcb*nr:], x, bases, q.a, q.b, q.t1)
		}
	}
	// Row by row (one tap of one channel): the reads walk along the rows
	// of one input plane, the writes go one line to each panel (all of
	// them in L2).
	for i, base := range bases {
		for _, r := range runs[:nrun] {
			copyRuns16(dst[((r.jp-jp0)*kcb+i)*nr:], kcb*nr, x[base+r.src:], r.n)
		}
		for _, q := range pieces[:npiece] {
			di := dst[q.d+i*nr : q.d+i*nr+q.n]
			switch {
			case q.src < 0:
				clear(di)
			case q.n == 1:
				di[0] = x[base+q.src]
			default:
				copy(di, x[base+q.src:base+q.src+q.n])
			}
		}
	}
}

// patchBases sets bases[i] = ci*plane + pp.tapOffset(ky, kx) for patch
// row pc+i = (ci, ky*KW + kx) (c.patchRow), the offset of its tap in the
// padded input, stepping (ci, tap) along the rows instead of dividing for
// each.
func (c *Conv2D) patchBases(bases []int, pc int, pp *paddedInput) {
	p := &c.p
	ig := p.InC / p.Groups
	plane := pp.plane()
	ci, tap := c.patchRow(pc)
	ky, kx := tap/p.KW, tap%p.KW
	var offs [64]int // tap offsets, for kernels of up to 64 taps
	small := p.KH*p.KW <= len(offs)
	if small {
		for t := 0; t < p.KH*p.KW; t++ {
			offs[t] = pp.tapOffset(p, t/p.KW, t%p.KW)
		}
	}
	for i := range bases {
		if small {
			bases[i] = ci*plane + offs[ky*p.KW+kx]
		} else {
			bases[i] = ci*plane + pp.tapOffset(p, ky, kx)
		}
		if c.tapMajor { // channels inner
			if ci++; ci == ig {
				ci = 0
				if kx++; kx == p.KW {
					kx, ky = 0, ky+1
				}
			}
		} else if kx++; kx == p.KW { // taps inner
			if kx, ky = 0, ky+1; ky == p.KH {
				ky, ci = 0, ci+1
			}
		}
	}
}

// copy16 copies 16 values with four 4-value moves (a 64-byte array
// assignment between slices compiles to a memmove call).
func copy16(d, s []float32) {
	d, s = d[:16:16], s[:16:16]
	*(*[4]float32)(d[0:]) = *(*[4]float32)(s[0:])
	*(*[4]float32)(d[4:]) = *(*[4]float32)(s[4:])
	*(*[4]float32)(d[8:]) = *(*[4]float32)(s[8:])
	*(*[4]float32)(d[12:]) = *(*[4]float32)(s[12:])
}

// im2colPanels writes row r = (ci*KH + ky)*KW + kx of an im2col block
// straight into the B panels: the block's output positions t in
// [jp0*nr, min(jp1*nr, cols)) (absolute position j0+t, row-major over the
// oh x ow output) go to row i of the consecutive kcb x nr panels
// jp0..jp1-1 of dst, zeros where the tap falls in the padding and in the
// last panel's columns past cols. Its test checks it against writing the
// patch row first and copying it into the panels (im2colRow, panelRow).
func im2colPanels(dst, x []float32, p *Conv2DParams, r, h, w, ow, j0, cols, i, kcb, jp0, jp1, nr int) {
	kx := r % p.KW
	ky := r / p.KW % p.KH
	ci := r / (p.KW * p.KH)
	plane := x[ci*h*w : (ci+1)*h*w]
	sw := p.StrideW
	offX := kx*p.DilW - p.PadW // ix = ox*sw + offX
	oxLo := 0
	if offX < 0 {
		oxLo = (-offX + sw - 1) / sw
	}
	oxHi := 0
	if w-offX > 0 {
		oxHi = (w - offX + sw - 1) / sw
	}
	oxHi = min(oxHi, ow)
	oxLo = min(oxLo, oxHi)
	// Position t is at dst[pos(t)]; a run of positions crosses into the next
	// panel every nr positions, whose row i starts step values after this
	// panel's.
	step := kcb * nr
	pos := func(t int) int { return ((t/nr-jp0)*kcb+i)*nr + t%nr }
	zero := func(t, n int) {
		if n <= 0 {
			return
		}
		b, q := pos(t), t%nr
		for n > 0 {
			m := min(n, nr-q)
			clear(dst[b : b+m])
			n -= m
			b, q = b-q+step, 0 // row i of the next panel
		}
	}
	t1 := min(jp1*nr, cols)
	for t := jp0 * nr; t < t1; {
		j := j0 + t
		oy, ox0 := j/ow, j%ow
		ox1 := min(ow, ox0+t1-t)
		iy := oy*p.StrideH - p.PadH + ky*p.DilH
		a, b := max(oxLo, ox0), min(oxHi, ox1) // valid part, in output columns
		if iy < 0 || iy >= h || a >= b {
			zero(t, ox1-ox0)
			t += ox1 - ox0
			continue
		}
		zero(t, a-ox0)
		row := plane[iy*w : (iy+1)*w]
		ix := a*sw + offX
		u, n := t+a-ox0, b-a
		for db, q := pos(u), u%nr; n > 0; db, q = db-q+step, 0 {
			m := min(n, nr-q)
			d := dst[db : db+m]
			if sw == 1 {
				src := row[ix : ix+m]
				if m == 32 {
					copy16(d, src[:16])
					copy16(d[16:], src[16:32])
				} else {
					copy(d, src)
				}
			} else if sw == 2 {
				gatherEven(d, row[ix:])
			} else {
				for k := range d {
					d[k] = row[ix+k*sw]
				}
			}
			n, ix = n-m, ix+m*sw
		}
		zero(t+b-ox0, ox1-b)
		t += ox1 - ox0
	}
	if t1 < jp1*nr {
		zero(t1, jp1*nr-t1)
	}
}

// depthwise runs a convolution with one input channel per group directly:
// output channel o = g*mult + m filters input channel g. Each (sample,
// output channel) plane is one unit of parallel work.
func (c *Conv2D) depthwise(dst, src []float32, n, h, w, oh, ow int) {
	p := c.p
	mult := p.OutC / p.Groups
	kk := p.KH * p.KW
	ParallelFor(n*p.OutC, max(1, 4096/(oh*ow*kk)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			s, o := u/p.OutC, u%p.OutC
			ci := o / mult
			x := src[(s*p.InC+ci)*h*w : (s*p.InC+ci+1)*h*w]
			y := dst[u*oh*ow : (u+1)*oh*ow]
			wt := c.weight[o*kk : (o+1)*kk]
			var b float32
			if c.bias != nil {
				b = c.bias[o]
			}
			for oy := 0; oy < oh; oy++ {
				out := y[oy*ow : (oy+1)*ow]
				for i := range out {
					out[i] = b
				}
				for ky := 0; ky < p.KH; ky++ {
					iy := oy*p.StrideH - p.PadH + ky*p.DilH
					if iy < 0 || iy >= h {
						continue
					}
					row := x[iy*w : (iy+1)*w]
					for kx := 0; kx < p.KW; kx++ {
						wv := wt[ky*p.KW+kx]
						offX := kx*p.DilW - p.PadW
						lo := 0
						if offX < 0 {
							lo = (-offX + p.StrideW - 1) / p.StrideW
						}
						hi := 0
						if w-offX > 0 {
							hi = min(ow, (w-offX+p.StrideW-1)/p.StrideW)
						}
						if lo >= hi {
							continue
						}
						seg := out[lo:hi]
						ix := lo*p.StrideW + offX
						if p.StrideW == 1 {
							in := row[ix : ix+len(seg)]
							for i := range seg {
								seg[i] += float32(wv * in[i])
							}
							continue
						}
						for i := range seg {
							seg[i] += float32(wv * row[ix+i*p.StrideW])
						}
					}
				}
				applyAct(out, p.Act)
			}
		}
	})
}
