package ops

import "fmt"

// Winograd3x3 is a 3x3 stride-1 convolution computed with Winograd's minimal
// filtering algorithm F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): each 2x2 block of output positions
// (a tile) comes from the 4x4 input patch around it as
//
//	Y = A^T [ sum over input channels of (G g G^T) .* (B^T d B) ] A
//
// with g a channel's 3x3 filter and d the patch. The 16 element-wise
// products summed over the channels are 16 GEMMs, [OutC, InC] x [InC,
// tiles], on the package's GEMM kernels: 2.25 times fewer multiply-adds
// than the direct convolution (Conv2D), for two transforms that are
// additions only.
//
// The result is not bit-identical to Conv2D's: it is the same sum taken
// in another order, with B^T d B rounded to float32 and G g G^T (whose
// entries hold halves) computed in float64 at construction and rounded
// once. Its error against an exact convolution stays within a small
// multiple of Conv2D's (TestWinogradAccuracy measures both). It is
// deterministic: every tile's sums run in the same order for any number of
// workers.
//
// A Winograd3x3 is read-only after NewWinograd3x3 and safe for concurrent
// use, as long as each call has its own scratch.
type Winograd3x3 struct {
	p    Conv2DParams
	u    [16]*PackedA // G g G^T at position xi (row-major 4x4): [OutC, InC]
	bias []float32    // nil if none
}

// winoBufs is one worker's transformed input and products for a block of
// tiles: v [16][InC][nb], m [16][OutC][nb], each of the 16 planes
// winoSkew values past the previous one.
type winoBufs struct{ v, m []float32 }

// winoSkew separates the 16 planes of a block's buffers: without it, the
// transforms' 16 streams (InC*nb or OutC*nb values apart, often a multiple
// of 4 KB) would all fall in the same L1 cache set.
const winoSkew = 16

// WinogradApplies reports whether Winograd3x3 handles convolutions with p:
// 3x3 kernel, stride 1, no dilation, one group, the same padding on both
// axes.
func WinogradApplies(p Conv2DParams) bool {
	p = p.withDefaults()
	return p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilH == 1 && p.DilW == 1 &&
		p.Groups == 1 && p.PadH == p.PadW && p.PadH >= 0
}

// NewWinograd3x3 checks the parameters (see WinogradApplies), weight
// [OutC, InC, 3, 3] and bias ([OutC] or nil) and prepares the transformed
// filters. The slices are not kept.
func NewWinograd3x3(weight, bias []float32, p Conv2DParams) (*Winograd3x3, error) {
	return newWinograd3x3(weight, bias, p, PackA)
}

// newWinograd3x3 is NewWinograd3x3 with the transformed filters packed by
// pack (tests pass one per micro-kernel).
func newWinograd3x3(weight, bias []float32, p Conv2DParams, pack packFunc) (*Winograd3x3, error) {
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		return nil, err
	}
	if !WinogradApplies(p) {
		return nil, fmt.Errorf("ops.Winograd3x3: %dx%d kernel, stride %dx%d, dilation %dx%d, %d groups, padding %dx%d: want 3x3, stride 1, dilation 1, 1 group, equal padding",
			p.KH, p.KW, p.StrideH, p.StrideW, p.DilH, p.DilW, p.Groups, p.PadH, p.PadW)
	}
	if len(weight) != p.OutC*p.InC*9 {
		return nil, fmt.Errorf("ops.Winograd3x3: weight has %d values, want [%d, %d, 3, 3] = %d", len(weight), p.OutC, p.InC, p.OutC*p.InC*9)
	}
	if bias != nil && len(bias) != p.OutC {
		return nil, fmt.Errorf("ops.Winograd3x3: bias has %d values, want %d", len(bias), p.OutC)
	}
	c := &Winograd3x3{p: p}
	if bias != nil {
		c.bias = append([]float32(nil), bias...)
	}
	// u [OutC, InC, 16], written in order; position xi is the strided
	// matrix u[xi:] with row stride 16*InC and column stride 16.
	u := make([]float32, 16*p.OutC*p.InC)
	for f := 0; f < p.OutC*p.InC; f++ {
		winoFilter((*[16]float32)(u[16*f:16*f+16]), weight[9*f:9*f+9])
	}
	for xi := range c.u {
		c.u[xi] = pack(p.OutC, p.InC, Mat{Data: u[xi:], RS: 16 * p.InC, CS: 16})
	}
	return c, nil
}

// winoFilter writes G g G^T for the 3x3 filter g (row-major) into u
// (row-major 4x4), computed in float64 and rounded once, with
//
//	G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
func winoFilter(u *[16]float32, g []float32) {
	var gg [4][3]float64 // G g
	for c := 0; c < 3; c++ {
		g0, g1, g2 := float64(g[c]), float64(g[3+c]), float64(g[6+c])
		gg[0][c] = g0
		gg[1][c] = (g0 + g1 + g2) / 2
		gg[2][c] = (g0 - g1 + g2) / 2
		gg[3][c] = g2
	}
	for r := 0; r < 4; r++ {
		g0, g1, g2 := gg[r][0], gg[r][1], gg[r][2]
		u[r*4+0] = float32(g0)
		u[r*4+1] = float32((g0 + g1 + g2) / 2)
		u[r*4+2] = float32((g0 - g1 + g2) / 2)
		u[r*4+3] = float32(g2)
	}
}

// Params returns the convolution's parameters.
func (c *Winograd3x3) Params() Conv2DParams { return c.p }

// winoLayout is the padded, column-deinterleaved input of one call: per
// image and channel, rows of 2*pw values (the even columns of the padded
// row, then the odd ones), enough rows and columns for every tile's 4x4
// patch.
type winoLayout struct {
	oh, ow   int // output size
	th, tw   int // tiles: ceil(oh/2) x ceil(ow/2)
	rows, pw int // padded rows 2*th+2, half row tw+1
}

func (c *Winograd3x3) layout(h, w int) winoLayout {
	oh, ow := c.p.OutSize(h, w)
	th, tw := (oh+1)/2, (ow+1)/2
	return winoLayout{oh: oh, ow: ow, th: th, tw: tw, rows: 2*th + 2, pw: tw + 1}
}

// ScratchSize returns the number of float32 values Forward needs as
// scratch for n images of h x w: the padded, deinterleaved copy of the
// input.
func (c *Winograd3x3) ScratchSize(n, h, w int) int {
	l := c.layout(h, w)
	if l.oh <= 0 || l.ow <= 0 {
		return 0
	}
	return n * c.p.InC * l.rows * 2 * l.pw
}

// Forward computes dst [n, OutC, oh, ow] = act(conv(src [n, InC, h, w]) +
// bias), with scratch at least ScratchSize(n, h, w) values. The work runs
// on Workers() goroutines split by blocks of tiles. It returns an error if
// a slice has the wrong length.
func (c *Winograd3x3) Forward(dst, src []float32, n, h, w int, scratch []float32) error {
	p := &c.p
	if n < 0 || h <= 0 || w <= 0 {
		return fmt.Errorf("ops.Winograd3x3: input [%d, %d, %d, %d]: want positive sizes", n, p.InC, h, w)
	}
	l := c.layout(h, w)
	if l.oh <= 0 || l.ow <= 0 {
		return fmt.Errorf("ops.Winograd3x3: input %dx%d: %w", h, w, errEmptyOutput)
	}
	if len(src) != n*p.InC*h*w {
		return fmt.Errorf("ops.Winograd3x3: input has %d values, want [%d, %d, %d, %d] = %d", len(src), n, p.InC, h, w, n*p.InC*h*w)
	}
	if len(dst) != n*p.OutC*l.oh*l.ow {
		return fmt.Errorf("ops.Winograd3x3: output has %d values, want [%d, %d, %d, %d] = %d", len(dst), n, p.OutC, l.oh, l.ow, n*p.OutC*l.oh*l.ow)
	}
	if need := c.ScratchSize(n, h, w); len(scratch) < need {
		return fmt.Errorf("ops.Winograd3x3: scratch has %d values, want at least %d", len(scratch), need)
	}
	if n == 0 {
		return nil
	}
	xs := scratch[:c.ScratchSize(n, h, w)]
	winoPad(xs, src, n*p.InC, h, w, p.PadH, l)

	kn := c.u[0].kern
	nb := c.blockTiles(kn.nr)
	tiles := l.th * l.tw
	blocks := (tiles + nb - 1) / nb
	total := n * blocks
	// Each worker takes its own span of blocks (its share of the output
	// rows, as winoPad's), then helps with the others' (see spans).
	nw := min(Workers(), total)
	sp := newSpans(nw, total)
	fork(nw, func(t int) {
		sc := getScratch()
		defer putScratch(sc)
		bufs := c.getBufs(&sc.wino, nb)
		for b := sp.take(t); b >= 0; b = sp.take(t) {
			s, j0 := b/blocks, b%blocks*nb
			c.block(bufs, dst[s*p.OutC*l.oh*l.ow:(s+1)*p.OutC*l.oh*l.ow], xs[s*p.InC*l.rows*2*l.pw:(s+1)*p.InC*l.rows*2*l.pw], &l, j0, min(nb, tiles-j0), nb)
		}
	})
	return nil
}

// blockTiles returns the tiles per block: a multiple of the kernel's panel
// width nr such that the block's transformed input and products (16 x
// (InC + OutC) values per tile) stay within about 768 KB, from one to four
// panels.
func (c *Winograd3x3) blockTiles(nr int) int {
	per := 16 * (c.p.InC + c.p.OutC) * 4
	nb := (768 << 10) / per / nr * nr
	return min(max(nb, nr), 4*nr)
}

// getBufs sizes a worker's buffers (kept with its GEMM scratch, so that
// warm calls allocate nothing) for blocks of nb tiles.
func (c *Winograd3x3) getBufs(b *winoBufs, nb int) *winoBufs {
	nv, nm := 16*(c.p.InC*nb+winoSkew), 16*(c.p.OutC*nb+winoSkew)
	if cap(b.v) < nv {
		b.v = make([]float32, nv)
	}
	if cap(b.m) < nm {
		b.m = make([]float32, nm)
	}
	b.v, b.m = b.v[:nv], b.m[:nm]
	return b
}

// block computes tiles j0..j0+cols-1 (row-major over th x tw) of one
// image: input transform into bufs.v, the 16 GEMMs into bufs.m, output
// transform into y.
func (c *Winograd3x3) block(bufs *winoBufs, y, xs []float32, l *winoLayout, j0, cols, nb int) {
	p := &c.p
	inC, outC := p.InC, p.OutC
	v, m := bufs.v, bufs.m
	vs, ms := inC*nb+winoSkew, outC*nb+winoSkew // plane strides
	plane := l.rows * 2 * l.pw
	// Input transform, one tile row segment at a time.
	for j := j0; j < j0+cols; {
		ty, tx := j/l.tw, j%l.tw
		seg := min(l.tw-tx, j0+cols-j)
		for ic := 0; ic < inC; ic++ {
			src := xs[ic*plane+2*ty*2*l.pw+tx:]
			winoIn(v[ic*nb+j-j0:], vs, src, 2*l.pw, l.pw, seg)
		}
		j += seg
	}
	// The 16 products: m_xi [OutC, cols] = u_xi [OutC, InC] v_xi [InC, cols].
	kn := c.u[0].kern
	mp := (outC + kn.mr - 1) / kn.mr
	np := (cols + kn.nr - 1) / kn.nr
	for xi := 0; xi < 16; xi++ {
		vx := Mat{Data: v[xi*vs : xi*vs+inC*nb], RS: nb, CS: 1}
		mx := Mat{Data: m[xi*ms : xi*ms+outC*nb], RS: nb, CS: 1}
		gemmTile(kn, gemmTask{0, mp, 0, np}, outC, cols, inC, 1, Mat{}, c.u[xi], vx, nil, 0, mx, Epilogue{}, nil, nil)
	}
	// Output transform, bias and activation.
	ohw := l.oh * l.ow
	for j := j0; j < j0+cols; {
		ty, tx := j/l.tw, j%l.tw
		seg := min(l.tw-tx, j0+cols-j)
		y0 := 2 * ty
		rows := min(2, l.oh-y0)
		x0 := 2 * tx
		width := min(2*seg, l.ow-x0)
		for oc := 0; oc < outC; oc++ {
			var bias float32
			if c.bias != nil {
				bias = c.bias[oc]
			}
			out := y[oc*ohw+y0*l.ow+x0:]
			winoOut(out, l.ow, rows, width, m[oc*nb+j-j0:], ms, seg, bias)
			if p.Act != ActNone {
				applyAct(out[:width], p.Act)
				if rows == 2 {
					applyAct(out[l.ow:l.ow+width], p.Act)
				}
			}
		}
		j += seg
	}
}

// winoPad writes the planes [planes, h, w] of src into dst as winoLayout
// l: per plane, l.rows rows of the input padded by pad (zeros above, to
// the left and past the end), each as its even columns then its odd
// columns (l.pw values each). Ranges of rows run in parallel, every plane
// of them, so that a worker pads the rows its Forward blocks then read.
func winoPad(dst, src []float32, planes, h, w, pad int, l winoLayout) {
	pw := l.pw
	size := l.rows * 2 * pw
	_, _ = dst[planes*size-1], src[planes*h*w-1]
	ParallelFor(l.rows, max(1, 4096/(planes*2*pw)), func(r0, r1 int) {
		var stack [1024]float32
		row := stack[:]
		if need := 2*pw + 1; need > len(row) {
			row = make([]float32, need)
		}
		row = row[:2*pw+1]
		// Only the columns pad..pad+w-1 change from row to row; the
		// others stay zero.
		clear(row)
		cols := min(w, 2*pw-pad)
		for q := 0; q < planes; q++ {
			d := dst[q*size : (q+1)*size]
			x := src[q*h*w : (q+1)*h*w]
			for r := r0; r < r1; r++ {
				out := d[r*2*pw : (r+1)*2*pw]
				yy := r - pad
				if yy < 0 || yy >= h {
					clear(out)
					continue
				}
				copy(row[pad:pad+cols], x[yy*w:yy*w+cols])
				gatherEven(out[:pw], row)
				gatherEven(out[pw:], row[1:])
			}
		}
	})
}

// winoInGeneric writes B^T d B for n consecutive tiles of one tile row of
// one channel, with
//
//	B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]:
//
// row i of the patch (i < 4) is at src[i*rs:], its even columns first
// (E[t], E[t+1] are tile t's columns 0 and 2) and its odd ones pw values
// later (O[t], O[t+1] its columns 1 and 3). Value xi = 4*r+c of tile t goes
// to dst[xi*ds+t]. The columns are transformed first, then the rows, in
// this order (winoInAVX2 computes the same values).
func winoInGeneric(dst []float32, ds int, src []float32, rs, pw, n int) {
	for t := 0; t < n; t++ {
		var e [4][4]float32
		for i := 0; i < 4; i++ {
			ev, od := src[i*rs:], src[i*rs+pw:]
			e[i][0] = ev[t] - ev[t+1]
			e[i][1] = od[t] + ev[t+1]
			e[i][2] = ev[t+1] - od[t]
			e[i][3] = od[t] - od[t+1]
		}
		for j := 0; j < 4; j++ {
			dst[(0+j)*ds+t] = e[0][j] - e[2][j]
			dst[(4+j)*ds+t] = e[1][j] + e[2][j]
			dst[(8+j)*ds+t] = e[2][j] - e[1][j]
			dst[(12+j)*ds+t] = e[1][j] - e[3][j]
		}
	}
}

// winoOutTile returns A^T M A for tile t of src (value xi at src[xi*ss+t])
// plus bias, with A^T = [1 1 1 0; 0 1 -1 -1]: the rows first, then the
// columns, in this order (winoOutAVX2 computes the same values).
func winoOutTile(src []float32, ss, t int, bias float32) (y00, y01, y10, y11 float32) {
	var s0, s1 [4]float32
	for j := 0; j < 4; j++ {
		m0, m1, m2, m3 := src[j*ss+t], src[(4+j)*ss+t], src[(8+j)*ss+t], src[(12+j)*ss+t]
		s0[j] = m0 + m1 + m2
		s1[j] = m1 - m2 - m3
	}
	y00 = s0[0] + s0[1] + s0[2] + bias
	y01 = s0[1] - s0[2] - s0[3] + bias
	y10 = s1[0] + s1[1] + s1[2] + bias
	y11 = s1[1] - s1[2] - s1[3] + bias
	return
}

// winoOutGeneric writes the output transform of n consecutive tiles of one
// tile row into dst (row stride ldd): rows (1 or 2) output rows of width
// output columns (at most 2n; a tile's columns past it are dropped).
func winoOutGeneric(dst []float32, ldd, rows, width int, src []float32, ss, n int, bias float32) {
	for t := 0; t < n; t++ {
		y00, y01, y10, y11 := winoOutTile(src, ss, t, bias)
		x := 2 * t
		if x < width {
			dst[x] = y00
			if rows == 2 {
				dst[ldd+x] = y10
			}
		}
		if x+1 < width {
			dst[x+1] = y01
			if rows == 2 {
				dst[ldd+x+1] = y11
			}
		}
	}
}

// winoIn is winoInGeneric, with the assembly (where there is one) on the
// tiles in blocks of 8. The patch rows must hold src[3*rs+pw+n] and dst
// dst[15*ds+n-1].
func winoIn(dst []float32, ds int, src []float32, rs, pw, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[15*ds+n-1], src[3*rs+pw+n]
	body := winoInBody(dst, ds, src, rs, pw, n)
	if body < n {
		winoInGeneric(dst[body:], ds, src[body:], rs, pw, n-body)
	}
}

// winoOut is winoOutGeneric, with the assembly (where there is one) on the
// tiles whose four outputs all lie inside, in blocks of 8.
func winoOut(dst []float32, ldd, rows, width int, src []float32, ss, n int, bias float32) {
	if n <= 0 || width <= 0 {
		return
	}
	_, _ = dst[(rows-1)*ldd+width-1], src[15*ss+n-1]
	body := 0
	if rows == 2 {
		body = winoOutBody(dst, ldd, src, ss, min(n, width/2), bias)
	}
	if body < n {
		winoOutGeneric(dst[2*body:], ldd, rows, width-2*body, src[body:], ss, n-body, bias)
	}
}
