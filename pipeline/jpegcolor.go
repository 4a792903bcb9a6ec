package pipeline

import "image"

// This file converts the YCbCr images of Go's JPEG decoder the way libjpeg
// (as OpenCV's imread uses it) finishes decoding: chroma upsampling with its
// "fancy" triangle filters (jdsample.c) and its fixed-point colour
// conversion (jdcolor.c), so that pixels match OpenCV's up to the
// differences between the two IDCTs.

// libjpeg's colour conversion constants: FIX(x) = round(x * 2^16).
const (
	fixCrR = 91881  // FIX(1.40200)
	fixCbB = 116130 // FIX(1.77200)
	fixCrG = 46802  // FIX(0.71414)
	fixCbG = 22554  // FIX(0.34414)
	half16 = 1 << 15
)

// yccToRGB is libjpeg's ycc_rgb_convert for one pixel.
func yccToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y)
	b1, r1 := int32(cb)-128, int32(cr)-128
	r := yy + (fixCrR*r1+half16)>>16
	g := yy + (-fixCbG*b1+half16-fixCrG*r1)>>16
	b := yy + (fixCbB*b1+half16)>>16
	return clamp8(r), clamp8(g), clamp8(b)
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGB converts m into out (same size).
func ycbcrToRGB(out *RGB, m *image.YCbCr) {
	w, h := out.W, out.H
	r := m.Rect
	cw, ch := chromaSize(m.SubsampleRatio, w, h)
	fancy := r.Min == (image.Point{}) && cw > 0 && ch > 0 && len(m.Cb) >= (ch-1)*m.CStride+cw
	var cb, cr []uint8
	if fancy {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440:
			cb, cr = make([]uint8, 2*cw+2), make([]uint8, 2*cw+2)
		default:
			fancy = false
		}
	}
	p := out.Pix
	for y := 0; y < h; y++ {
		yrow := m.Y[(y)*m.YStride:]
		if fancy {
			upsampleRow(cb, m.Cb, m.CStride, cw, ch, y, m.SubsampleRatio)
			upsampleRow(cr, m.Cr, m.CStride, cw, ch, y, m.SubsampleRatio)
			for x := 0; x < w; x++ {
				p[0], p[1], p[2] = yccToRGB(yrow[x], cb[x], cr[x])
				p = p[3:]
			}
			continue
		}
		for x := 0; x < w; x++ {
			yi := m.YOffset(r.Min.X+x, r.Min.Y+y)
			ci := m.COffset(r.Min.X+x, r.Min.Y+y)
			p[0], p[1], p[2] = yccToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			p = p[3:]
		}
	}
}

// chromaSize is the size of the chroma planes of a w x h image (libjpeg's
// downsampled_width and height: rounded up).
func chromaSize(s image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch s {
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	}
	return 0, 0
}

// upsampleRow writes row y of the full-resolution chroma plane into dst
// (at least 2*cw values), from the cw x ch plane c with the given stride.
func upsampleRow(dst, c []uint8, stride, cw, ch, y int, s image.YCbCrSubsampleRatio) {
	row := func(i int) []uint8 {
		i = min(max(i, 0), ch-1) // libjpeg's context rows replicate the edges
		return c[i*stride : i*stride+cw]
	}
	switch s {
	case image.YCbCrSubsampleRatio422:
		h2v1Fancy(dst, row(y), cw)
	case image.YCbCrSubsampleRatio440:
		near, far, bias := verticalPair(row, y)
		for x := 0; x < cw; x++ {
			dst[x] = uint8((3*int(near[x]) + int(far[x]) + bias) >> 2)
		}
	case image.YCbCrSubsampleRatio420:
		near, far, _ := verticalPair(row, y)
		h2v2Fancy(dst, near, far, cw)
	}
}

// verticalPair returns, for output row y of a vertically halved plane, the
// nearest input row, the next nearest, and libjpeg's rounding bias for
// h1v2 (1 for the upper output row of a pair, 2 for the lower).
func verticalPair(row func(int) []uint8, y int) (near, far []uint8, bias int) {
	i := y / 2
	if y%2 == 0 {
		return row(i), row(i - 1), 1
	}
	return row(i), row(i + 1), 2
}

// h2v1Fancy is libjpeg's h2v1_fancy_upsample for one row: each output pixel
// is 3/4 of its input pixel and 1/4 of the other neighbour, with alternating
// rounding biases; widths of at most 2 are replicated.
func h2v1Fancy(dst, in []uint8, n int) {
	if n <= 2 {
		for i := 0; i < n; i++ {
			dst[2*i], dst[2*i+1] = in[i], in[i]
		}
		return
	}
	dst[0] = in[0]
	dst[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int(in[i])
		dst[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
		dst[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
	}
	dst[2*n-2] = uint8((3*int(in[n-1]) + int(in[n-2]) + 1) >> 2)
	dst[2*n-1] = in[n-1]
}

// h2v2Fancy is libjpeg's h2v2_fancy_upsample for one output row: column sums
// 3*near + far, then 3/4 and 1/4 horizontally, with biases 8 and 7; widths of
// at most 2 are replicated (libjpeg's plain h2v2_upsample).
func h2v2Fancy(dst, near, far []uint8, n int) {
	if n <= 2 {
		for i := 0; i < n; i++ {
			dst[2*i], dst[2*i+1] = near[i], near[i]
		}
		return
	}
	col := func(i int) int { return 3*int(near[i]) + int(far[i]) }
	this, next := col(0), col(1)
	dst[0] = uint8((this*4 + 8) >> 4)
	dst[1] = uint8((this*3 + next + 7) >> 4)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = col(i + 1)
		dst[2*i] = uint8((this*3 + last + 8) >> 4)
		dst[2*i+1] = uint8((this*3 + next + 7) >> 4)
		last, this = this, next
	}
	dst[2*n-2] = uint8((this*3 + last + 8) >> 4)
	dst[2*n-1] = uint8((this*4 + 7) >> 4)
}
