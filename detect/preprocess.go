package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"os"

	"github.com/ladderpose/ladderpose/ops"
)

// Preprocess is Hugging Face's RTDetrImageProcessor as configured by a
// checkpoint's preprocessor_config.json: resize to Height x Width with PIL's
// resampling, rescale by RescaleFactor, optionally normalise.
type Preprocess struct {
	Height, Width int     // size {"height", "width"}
	DoResize      bool    // do_resize
	Resample      int     // resample: PIL's filter number; only 2 (BILINEAR) is implemented
	DoRescale     bool    // do_rescale
	RescaleFactor float64 // rescale_factor
	DoNormalize   bool    // do_normalize
	Mean, Std     [3]float64
}

// DefaultPreprocess is RTDetrImageProcessor's default: 640x640 bilinear,
// x/255, no normalisation.
var DefaultPreprocess = Preprocess{Height: 640, Width: 640, DoResize: true, Resample: 2,
	DoRescale: true, RescaleFactor: 1.0 / 255, Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}}

// LoadPreprocess reads a preprocessor_config.json; fields it does not hold
// keep DefaultPreprocess's values. A missing file gives DefaultPreprocess.
func LoadPreprocess(path string) (Preprocess, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultPreprocess, nil
	}
	if err != nil {
		return Preprocess{}, fmt.Errorf("detect: %w", err)
	}
	p, err := ParsePreprocess(data)
	if err != nil {
		return Preprocess{}, fmt.Errorf("detect: %s: %w", path, err)
	}
	return p, nil
}

// ParsePreprocess parses a preprocessor_config.json (see LoadPreprocess).
func ParsePreprocess(data []byte) (Preprocess, error) {
	var raw struct {
		Size          map[string]float64 `json:"size"`
		DoResize      *bool              `json:"do_resize"`
		Resample      *int               `json:"resample"`
		DoRescale     *bool              `json:"do_rescale"`
		RescaleFactor *float64           `json:"rescale_factor"`
		DoNormalize   *bool              `json:"do_normalize"`
		DoPad         *bool              `json:"do_pad"`
		ImageMean     []float64          `json:"image_mean"`
		ImageStd      []float64          `json:"image_std"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Preprocess{}, fmt.Errorf("preprocessor config: %v", err)
	}
	p := DefaultPreprocess
	if raw.DoResize != nil {
		p.DoResize = *raw.DoResize
	}
	if !p.DoResize {
		return Preprocess{}, fmt.Errorf("preprocessor config field \"do_resize\" = false is not implemented")
	}
	if raw.Size != nil {
		h, okh := raw.Size["height"]
		w, okw := raw.Size["width"]
		if !okh || !okw || len(raw.Size) != 2 {
			return Preprocess{}, fmt.Errorf("preprocessor config field \"size\" = %v: only {\"height\", \"width\"} is implemented", raw.Size)
		}
		if h != math.Trunc(h) || w != math.Trunc(w) || h < 1 || w < 1 || h > 1<<14 || w > 1<<14 {
			return Preprocess{}, fmt.Errorf("preprocessor config field \"size\" = %v: want positive integers up to %d", raw.Size, 1<<14)
		}
		p.Height, p.Width = int(h), int(w)
	}
	if raw.Resample != nil {
		p.Resample = *raw.Resample
	}
	if p.Resample != 2 {
		return Preprocess{}, fmt.Errorf("preprocessor config field \"resample\" = %d: only 2 (PIL BILINEAR) is implemented", p.Resample)
	}
	if raw.DoRescale != nil {
		p.DoRescale = *raw.DoRescale
	}
	if raw.RescaleFactor != nil {
		p.RescaleFactor = *raw.RescaleFactor
	}
	if p.DoRescale && (!(p.RescaleFactor > 0) || math.IsInf(p.RescaleFactor, 0)) {
		return Preprocess{}, fmt.Errorf("preprocessor config field \"rescale_factor\" = %v: want a positive number", p.RescaleFactor)
	}
	if raw.DoNormalize != nil {
		p.DoNormalize = *raw.DoNormalize
	}
	for _, f := range []struct {
		name string
		src  []float64
		dst  *[3]float64
	}{{"image_mean", raw.ImageMean, &p.Mean}, {"image_std", raw.ImageStd, &p.Std}} {
		if f.src == nil {
			continue
		}
		if len(f.src) != 3 {
			return Preprocess{}, fmt.Errorf("preprocessor config field %q has %d values: want 3", f.name, len(f.src))
		}
		copy(f.dst[:], f.src)
	}
	if p.DoNormalize {
		for i, s := range p.Std {
			if !(s > 0) || math.IsInf(s, 0) {
				return Preprocess{}, fmt.Errorf("preprocessor config field \"image_std\"[%d] = %v: want a positive number", i, s)
			}
		}
	}
	// do_pad pads a batch to its largest image: a no-op after resizing every
	// image to one size.
	return p, nil
}

// RGB is an 8-bit RGB image: Pix holds W*H pixels row by row, R, G, B
// interleaved. It implements image.Image.
type RGB struct {
	W, H int
	Pix  []uint8
}

// ColorModel implements image.Image.
func (m *RGB) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (m *RGB) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At implements image.Image.
func (m *RGB) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return color.RGBA{}
	}
	i := 3 * (y*m.W + x)
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255}
}

// toRGB copies img into dst (grown as needed) as interleaved 8-bit RGB,
// dropping alpha, and returns it with the image's size. *RGB, *image.RGBA,
// *image.NRGBA, *image.YCbCr and *image.Gray are read without allocating.
func toRGB(dst []uint8, img image.Image) ([]uint8, int, int, error) {
	if img == nil {
		return nil, 0, 0, fmt.Errorf("detect: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0, fmt.Errorf("detect: image is empty (%dx%d)", w, h)
	}
	if w > 1<<16 || h > 1<<16 {
		return nil, 0, 0, fmt.Errorf("detect: image is %dx%d: at most %d on a side", w, h, 1<<16)
	}
	if cap(dst) < 3*w*h {
		dst = make([]uint8, 3*w*h)
	}
	dst = dst[:3*w*h]
	switch m := img.(type) {
	case *RGB:
		if len(m.Pix) != 3*m.W*m.H {
			return nil, 0, 0, fmt.Errorf("detect: RGB image %dx%d has %d bytes, want %d", m.W, m.H, len(m.Pix), 3*m.W*m.H)
		}
		copy(dst, m.Pix)
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				copy(dst[3*(y*w+x):3*(y*w+x)+3], row[4*x:4*x+3])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				copy(dst[3*(y*w+x):3*(y*w+x)+3], row[4*x:4*x+3])
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				v := row[x]
				dst[3*(y*w+x)], dst[3*(y*w+x)+1], dst[3*(y*w+x)+2] = v, v, v
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := m.YCbCrAt(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				dst[3*(y*w+x)], dst[3*(y*w+x)+1], dst[3*(y*w+x)+2] = r, g, bb
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bb, _ := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).RGBA()
				dst[3*(y*w+x)], dst[3*(y*w+x)+1], dst[3*(y*w+x)+2] = uint8(r>>8), uint8(g>>8), uint8(bb>>8)
			}
		}
	}
	return dst, w, h, nil
}

// pilPrecision is Pillow's PRECISION_BITS for 8-bit resampling: the filter
// coefficients are fixed-point with 22 fractional bits.
const pilPrecision = 32 - 8 - 2

// pilCoeffs is the output of Pillow's precompute_coeffs followed by
// normalize_coeffs_8bpc for one axis: output i reads input samples
// bounds[2i] .. bounds[2i]+bounds[2i+1]-1 with weights k[i*ksize:].
type pilCoeffs struct {
	ksize  int
	bounds []int
	k      []int32
	kk     []float64 // scratch
}

// pilScratch is pilResizeBilinear's reusable memory.
type pilScratch struct {
	h, v pilCoeffs
	tmp  []uint8 // the horizontal pass's output
}

// pilBilinearCoeffs reproduces Pillow's precompute_coeffs (Resample.c) for
// the BILINEAR (triangle, support 1) filter from inSize samples to outSize,
// box [0, inSize]: when downscaling the filter widens by inSize/outSize
// (antialiasing). The weights are normalised to sum 1 in float64 and then
// rounded to 22-bit fixed point as normalize_coeffs_8bpc does.
// c's slices are reused when large enough.
func pilBilinearCoeffs(c *pilCoeffs, inSize, outSize int) {
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := max(scale, 1.0)
	support := 1.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c.ksize = ksize
	c.bounds = growInts(c.bounds, 2*outSize)
	c.k = growInt32s(c.k, outSize*ksize)
	c.kk = growFloat64s(c.kk, ksize)
	kk := c.kk
	for xx := 0; xx < outSize; xx++ {
		center := (float64(xx) + 0.5) * scale
		ww := 0.0
		ss := 1.0 / filterscale
		xmin := int(center - support + 0.5) // C's (int) truncates toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		for x := 0; x < xmax; x++ {
			t := math.Abs((float64(x+xmin) - center + 0.5) * ss)
			w := 0.0
			if t < 1 {
				w = 1 - t
			}
			kk[x] = w
			ww += w
		}
		for x := 0; x < xmax; x++ {
			if ww != 0 {
				kk[x] /= ww
			}
		}
		for x := 0; x < ksize; x++ {
			v := 0.0
			if x < xmax {
				v = kk[x]
			}
			if v < 0 {
				c.k[xx*ksize+x] = int32(-0.5 + v*(1<<pilPrecision))
			} else {
				c.k[xx*ksize+x] = int32(0.5 + v*(1<<pilPrecision))
			}
		}
		c.bounds[2*xx], c.bounds[2*xx+1] = xmin, xmax
	}
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

func growInt32s(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growFloat64s(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// pilClip8 is Pillow's clip8: the fixed-point sum shifted down and clamped
// to 0..255.
func pilClip8(ss int32) uint8 {
	v := ss >> pilPrecision
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// pilResizeBilinear resizes src (interleaved RGB, sw x sh) to dst (dw x dh)
// exactly as Pillow's Image.resize((dw, dh), Image.BILINEAR) on an "RGB"
// image: a horizontal pass (when the width changes) over the rows the
// vertical pass needs, into 8-bit, then a vertical pass (when the height
// changes), each with 22-bit fixed-point weights and rounding.
// sc (may be nil) holds reusable scratch memory.
func pilResizeBilinear(dst, src []uint8, sw, sh, dw, dh int, sc *pilScratch) {
	if sw == dw && sh == dh {
		copy(dst, src[:3*sw*sh])
		return
	}
	if sc == nil {
		sc = &pilScratch{}
	}
	needH, needV := sw != dw, sh != dh
	ch, cv := &sc.h, &sc.v
	if needH {
		pilBilinearCoeffs(ch, sw, dw)
	}
	pilBilinearCoeffs(cv, sh, dh)
	// Rows of the source the vertical pass reads.
	yFirst := cv.bounds[0]
	yLast := cv.bounds[2*dh-2] + cv.bounds[2*dh-1]
	img, iw := src, sw
	rowOff := 0 // vertical bounds are relative to this row of img
	if needH {
		rows := yLast - yFirst
		if !needV {
			yFirst, rows = 0, sh
		}
		if cap(sc.tmp) < 3*dw*rows {
			sc.tmp = make([]uint8, 3*dw*rows)
		}
		t := sc.tmp[:3*dw*rows]
		ops.ParallelFor(rows, 8, func(lo, hi int) {
			for y := lo; y < hi; y++ {
				in := src[3*(y+yFirst)*sw : 3*(y+yFirst+1)*sw]
				out := t[3*y*dw : 3*(y+1)*dw]
				for xx := 0; xx < dw; xx++ {
					xmin, xmax := ch.bounds[2*xx], ch.bounds[2*xx+1]
					k := ch.k[xx*ch.ksize : xx*ch.ksize+xmax]
					ss0, ss1, ss2 := int32(1<<(pilPrecision-1)), int32(1<<(pilPrecision-1)), int32(1<<(pilPrecision-1))
					for x, kv := range k {
						p := in[3*(x+xmin):]
						ss0 += int32(p[0]) * kv
						ss1 += int32(p[1]) * kv
						ss2 += int32(p[2]) * kv
					}
					out[3*xx], out[3*xx+1], out[3*xx+2] = pilClip8(ss0), pilClip8(ss1), pilClip8(ss2)
				}
			}
		})
		img, iw, rowOff = t, dw, yFirst
		if !needV {
			copy(dst, t)
			return
		}
	}
	ops.ParallelFor(dh, 8, func(lo, hi int) {
		for yy := lo; yy < hi; yy++ {
			ymin, ymax := cv.bounds[2*yy]-rowOff, cv.bounds[2*yy+1]
			k := cv.k[yy*cv.ksize : yy*cv.ksize+ymax]
			out := dst[3*yy*iw : 3*(yy+1)*iw]
			for xx := 0; xx < 3*iw; xx++ {
				ss := int32(1 << (pilPrecision - 1))
				for y, kv := range k {
					ss += int32(img[3*(y+ymin)*iw+xx]) * kv
				}
				out[xx] = pilClip8(ss)
			}
		}
	})
}

// toPixels writes pixel values [3, H, W] (channels first) from an
// interleaved RGB image of the model's size, as RTDetrImageProcessor's
// rescale (float64 multiply, rounded to float32) and normalize.
func (p *Preprocess) toPixels(dst []float32, rgb []uint8, w, h int) {
	plane := w * h
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			x := float64(v)
			if p.DoRescale {
				x = float64(float32(x * p.RescaleFactor))
			}
			if p.DoNormalize {
				x = (x - p.Mean[c]) / p.Std[c]
			}
			lut[c][v] = float32(x)
		}
	}
	for i := 0; i < plane; i++ {
		dst[i] = lut[0][rgb[3*i]]
		dst[plane+i] = lut[1][rgb[3*i+1]]
		dst[2*plane+i] = lut[2][rgb[3*i+2]]
	}
}
