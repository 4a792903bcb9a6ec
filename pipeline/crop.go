package pipeline

import (
	"fmt"
	"math"
)

// ImageNet normalisation of the crop (SPEC.md section 9): a channel value v
// in [0, 255] becomes (v/255 - mean) / std.
const (
	MeanR, MeanG, MeanB = 0.485, 0.456, 0.406
	StdR, StdG, StdB    = 0.229, 0.224, 0.225
)

// channelScale and channelBias turn a value in [0, 255] into its normalised
// form v*scale + bias.
func channelScale() [3]float32 {
	return [3]float32{float32(1 / (255 * StdR)), float32(1 / (255 * StdG)), float32(1 / (255 * StdB))}
}

func channelBias() [3]float32 {
	return [3]float32{float32(-MeanR / StdR), float32(-MeanG / StdG), float32(-MeanB / StdB)}
}

// CropPerson cuts the person in frame f out of img as the network input: a
// w x h UDP crop (f.CropMatrix), normalised, into dst ([3, h, w] float32,
// CHW, RGB). If flipped is not nil it also receives the horizontally
// mirrored crop for the flip test.
func CropPerson(dst, flipped []float32, img *RGB, f Frame, w, h int) error {
	if err := f.Check(); err != nil {
		return err
	}
	if flipped != nil && len(flipped) != 3*w*h {
		return fmt.Errorf("flipped crop buffer has %d values, want 3*%d*%d = %d", len(flipped), h, w, 3*w*h)
	}
	return cropCHW(dst, flipped, img, f.CropMatrix(w, h), w, h)
}

// CropCHW warps img with the affine map m (image pixels to crop pixels,
// OpenCV's warpAffine convention: pixel centres at integer coordinates) into
// dst, a normalised [3, h, w] float32 buffer. Sampling is exact bilinear
// interpolation in float32, with zeros outside the image (OpenCV's
// INTER_LINEAR with BORDER_CONSTANT 0, without its 1/32-pixel rounding).
func CropCHW(dst []float32, img *RGB, m Affine, w, h int) error {
	return cropCHW(dst, nil, img, m, w, h)
}

// cropCHW is CropCHW that also writes the mirrored crop into flipped if it
// is not nil (len(flipped) == len(dst) checked by the caller).
func cropCHW(dst, flipped []float32, img *RGB, m Affine, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("crop size %dx%d must be positive", w, h)
	}
	if len(dst) != 3*w*h {
		return fmt.Errorf("crop buffer has %d values, want 3*%d*%d = %d", len(dst), h, w, 3*w*h)
	}
	if err := img.check(); err != nil {
		return fmt.Errorf("crop: %w", err)
	}
	inv, err := m.Invert()
	if err != nil {
		return fmt.Errorf("crop: %w", err)
	}
	if inv[0][1] == 0 && inv[1][0] == 0 {
		warpAxisAligned(dst, flipped, img, inv, w, h)
		return nil
	}
	warpGeneral(dst, img, inv, w, h)
	if flipped != nil {
		return FlipCHW(flipped, dst, 3, h, w)
	}
	return nil
}

// tap is one axis of a bilinear sample: the two neighbouring source indices
// (already clamped into the image, as byte offsets) and their weights (zero
// for a neighbour outside the image).
type tap struct {
	i0, i1 int
	w0, w1 float32
}

// makeTap splits a source coordinate s on an axis of n pixels into its
// bilinear tap; stride is the byte distance between neighbours.
func makeTap(s float64, n, stride int) tap {
	// Positions far outside only need to stay outside; clamping keeps the
	// integer conversion defined (NaN cannot occur: the map is finite).
	s = min(max(s, -2), float64(n)+1)
	f := math.Floor(s)
	x0 := int(f)
	fr := float32(s - f)
	t := tap{w0: 1 - fr, w1: fr}
	if x0 >= 0 && x0 < n {
		t.i0 = x0 * stride
	} else {
		t.w0 = 0
	}
	if x0+1 >= 0 && x0+1 < n {
		t.i1 = (x0 + 1) * stride
	} else {
		t.w1 = 0
	}
	return t
}

// warpAxisAligned is the warp for a map without rotation or shear: source x
// depends on the crop column only and source y on the crop row only, so the
// taps are computed once per column and per row, and each source row's
// horizontal interpolation (the inner sums of the bilinear formula) once
// for all the crop rows that use it. If flipped is not nil it receives the
// mirrored crop.
func warpAxisAligned(dst, flipped []float32, img *RGB, inv Affine, w, h int) {
	cols := make([]tap, w)
	for u := range cols {
		cols[u] = makeTap(inv[0][0]*float64(u)+inv[0][2], img.W, 3)
	}
	scale, bias := channelScale(), channelBias()
	plane := w * h
	// Two cached horizontally interpolated source rows, keyed by their byte
	// offset in img.Pix (-1: empty).
	rowBuf := [2][]float32{make([]float32, 3*w), make([]float32, 3*w)}
	rowKey := [2]int{-1, -1}
	// row returns the interpolated source row at byte offset off, computing
	// it into the slot that does not hold the row at offset keep.
	row := func(off, keep int) []float32 {
		for i, k := range rowKey {
			if k == off {
				return rowBuf[i]
			}
		}
		i := 0
		if rowKey[0] == keep {
			i = 1
		}
		rowKey[i] = off
		out := rowBuf[i]
		r := img.Pix[off:]
		for u, ct := range cols {
			pa := r[ct.i0 : ct.i0+3 : ct.i0+3]
			pb := r[ct.i1 : ct.i1+3 : ct.i1+3]
			o := out[3*u : 3*u+3 : 3*u+3]
			o[0] = ct.w0*float32(pa[0]) + ct.w1*float32(pb[0])
			o[1] = ct.w0*float32(pa[1]) + ct.w1*float32(pb[1])
			o[2] = ct.w0*float32(pa[2]) + ct.w1*float32(pb[2])
		}
		return out
	}
	for v := 0; v < h; v++ {
		rt := makeTap(inv[1][1]*float64(v)+inv[1][2], img.H, 3*img.W)
		top := row(rt.i0, rt.i1)
		bot := row(rt.i1, rt.i0)
		oR := dst[v*w : v*w+w]
		oG := dst[plane+v*w : plane+v*w+w]
		oB := dst[2*plane+v*w : 2*plane+v*w+w]
		for u := range oR {
			t := top[3*u : 3*u+3 : 3*u+3]
			d := bot[3*u : 3*u+3 : 3*u+3]
			oR[u] = float32(rt.w0*t[0]+rt.w1*d[0])*scale[0] + bias[0]
			oG[u] = float32(rt.w0*t[1]+rt.w1*d[1])*scale[1] + bias[1]
			oB[u] = float32(rt.w0*t[2]+rt.w1*d[2])*scale[2] + bias[2]
		}
		if flipped != nil {
			for c := 0; c < 3; c++ {
				s := dst[c*plane+v*w : c*plane+v*w+w]
				d := flipped[c*plane+v*w : c*plane+v*w+w]
				for x := range d {
					d[x] = s[w-1-x]
				}
			}
		}
	}
}

// warpGeneral is the warp for any invertible affine map (rotation, shear):
// the taps are computed per pixel, with the same arithmetic as
// warpAxisAligned.
func warpGeneral(dst []float32, img *RGB, inv Affine, w, h int) {
	scale, bias := channelScale(), channelBias()
	plane := w * h
	pix := img.Pix
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			ct := makeTap(inv[0][0]*float64(u)+inv[0][1]*float64(v)+inv[0][2], img.W, 3)
			rt := makeTap(inv[1][0]*float64(u)+inv[1][1]*float64(v)+inv[1][2], img.H, 3*img.W)
			r0, r1 := pix[rt.i0:], pix[rt.i1:]
			a, b := ct.i0, ct.i1
			var out [3]float32
			for c := 0; c < 3; c++ {
				top := ct.w0*float32(r0[a+c]) + ct.w1*float32(r0[b+c])
				bot := ct.w0*float32(r1[a+c]) + ct.w1*float32(r1[b+c])
				out[c] = float32(rt.w0*top+rt.w1*bot)*scale[c] + bias[c]
			}
			i := v*w + u
			dst[i], dst[plane+i], dst[2*plane+i] = out[0], out[1], out[2]
		}
	}
}

// FlipCHW writes the horizontal mirror of src, a [c, h, w] buffer, into dst
// (the flip test's second input). dst and src must not overlap.
func FlipCHW(dst, src []float32, c, h, w int) error {
	if c <= 0 || h <= 0 || w <= 0 || len(src) != c*h*w || len(dst) != c*h*w {
		return fmt.Errorf("flip: buffers of %d and %d values for shape [%d, %d, %d]", len(dst), len(src), c, h, w)
	}
	for r := 0; r < c*h; r++ {
		s := src[r*w : r*w+w]
		d := dst[r*w : r*w+w]
		for x := range d {
			d[x] = s[w-1-x]
		}
	}
	return nil
}

// CropImage turns a normalised [3, h, w] crop back into 8-bit RGB (values
// rounded and clamped to [0, 255]), for pictures and checks.
func CropImage(chw []float32, w, h int) (*RGB, error) {
	if w <= 0 || h <= 0 || len(chw) != 3*w*h {
		return nil, fmt.Errorf("crop image: %d values for shape [3, %d, %d]", len(chw), h, w)
	}
	mean := [3]float64{MeanR, MeanG, MeanB}
	std := [3]float64{StdR, StdG, StdB}
	out := NewRGB(w, h)
	plane := w * h
	for i := 0; i < plane; i++ {
		for c := 0; c < 3; c++ {
			v := (float64(chw[c*plane+i])*std[c] + mean[c]) * 255
			out.Pix[3*i+c] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	return out, nil
}
