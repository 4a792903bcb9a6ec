package ops

// ConvGeom is the geometry of one 2-D convolution window over a c x h x w
// map: kernel, stride, zero padding and dilation (all at least 1 but the
// padding).
type ConvGeom struct {
	C, H, W          int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
}

// OutSize returns the output height and width.
func (g ConvGeom) OutSize() (oh, ow int) {
	oh = (g.H+2*g.PadH-g.DilH*(g.KH-1)-1)/g.StrideH + 1
	ow = (g.W+2*g.PadW-g.DilW*(g.KW-1)-1)/g.StrideW + 1
	return oh, ow
}

// Im2Col writes the convolution windows of one c x h x w map x into col,
// a [c*kh*kw, oh*ow] row-major matrix: row (ci*kh + ky)*kw + kx holds, for
// every output pixel, the input value under kernel tap (ky, kx) of channel
// ci (zero where the window leaves the map). Rows run in parallel.
func Im2Col(col, x []float32, g ConvGeom) {
	oh, ow := g.OutSize()
	rows := g.C * g.KH * g.KW
	_ = col[rows*oh*ow-1]
	_ = x[g.C*g.H*g.W-1]
	ParallelFor(rows, 4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ci, k := r/(g.KH*g.KW), r%(g.KH*g.KW)
			ky, kx := k/g.KW, k%g.KW
			plane := x[ci*g.H*g.W : (ci+1)*g.H*g.W]
			out := col[r*oh*ow : (r+1)*oh*ow]
			x0 := -g.PadW + kx*g.DilW
			ox0, ox1 := validSpan(x0, g.StrideW, g.W, ow)
			for oy := 0; oy < oh; oy++ {
				iy := oy*g.StrideH - g.PadH + ky*g.DilH
				orow := out[oy*ow : (oy+1)*ow]
				if iy < 0 || iy >= g.H || ox0 >= ox1 {
					clear(orow)
					continue
				}
				src := plane[iy*g.W : (iy+1)*g.W]
				clear(orow[:ox0])
				clear(orow[ox1:])
				if g.StrideW == 1 {
					copy(orow[ox0:ox1], src[x0+ox0:x0+ox1])
					continue
				}
				ix := x0 + ox0*g.StrideW
				for ox := ox0; ox < ox1; ox++ {
					orow[ox] = src[ix]
					ix += g.StrideW
				}
			}
		}
	})
}

// validSpan returns the output columns [lo, hi) whose input column
// x0 + ox*stride lies inside [0, w).
func validSpan(x0, stride, w, ow int) (lo, hi int) {
	if x0 < 0 {
		lo = (-x0 + stride - 1) / stride
	}
	// Largest ox with x0 + ox*stride <= w-1.
	if w-1-x0 < 0 {
		return 0, 0
	}
	hi = min((w-1-x0)/stride+1, ow)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// Col2Im is the adjoint of Im2Col: it adds every entry of col [c*kh*kw,
// oh*ow] to the input pixel it was read from, accumulating into dx
// (c x h x w). Channels run in parallel; within a channel the kernel taps
// are added in a fixed order, so the result does not depend on the number
// of workers.
func Col2Im(dx, col []float32, g ConvGeom) {
	oh, ow := g.OutSize()
	_ = col[g.C*g.KH*g.KW*oh*ow-1]
	_ = dx[g.C*g.H*g.W-1]
	ParallelFor(g.C, 1, func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			col2imChannel(dx[ci*g.H*g.W:(ci+1)*g.H*g.W], col[ci*g.KH*g.KW*oh*ow:(ci+1)*g.KH*g.KW*oh*ow], g, oh, ow)
		}
	})
}

// col2imChannel is Col2Im for one channel on the calling goroutine: it adds
// the channel's kh*kw rows of col ([kh*kw, oh*ow]) into its plane (h x w).
// Taps are added in a fixed order.
func col2imChannel(plane, col []float32, g ConvGeom, oh, ow int) {
	for k := 0; k < g.KH*g.KW; k++ {
		ky, kx := k/g.KW, k%g.KW
		in := col[k*oh*ow:]
		x0 := -g.PadW + kx*g.DilW
		ox0, ox1 := validSpan(x0, g.StrideW, g.W, ow)
		for oy := 0; oy < oh; oy++ {
			iy := oy*g.StrideH - g.PadH + ky*g.DilH
			if iy < 0 || iy >= g.H || ox0 >= ox1 {
				continue
			}
			dst := plane[iy*g.W : (iy+1)*g.W]
			irow := in[oy*ow : (oy+1)*ow]
			if g.StrideW == 1 {
				d := dst[x0+ox0 : x0+ox1]
				for i, v := range irow[ox0:ox1] {
					d[i] += v
				}
				continue
			}
			ix := x0 + ox0*g.StrideW
			for ox := ox0; ox < ox1; ox++ {
				dst[ix] += irow[ox]
				ix += g.StrideW
			}
		}
	}
}
