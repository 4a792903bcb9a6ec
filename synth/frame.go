package synth

import (
	"fmt"
	"image"
	"math"
)

// Frame is an RGB image held as float32 planes in CHW order: Pix[c*W*H +
// y*W + x] for channel c (0 red, 1 green, 2 blue), with values nominally in
// [0, 1] (0 black, 1 full intensity; sRGB-encoded like the bytes of a JPEG).
// It is the working format of the interference effects, and it is the layout
// of a training crop before mean/std normalisation, so a crop buffer can be
// wrapped as Frame{W: w, H: h, Pix: buf} and degraded in place.
type Frame struct {
	W, H int
	Pix  []float32
}

// NewFrame returns a black w x h frame.
func NewFrame(w, h int) *Frame {
	return &Frame{W: w, H: h, Pix: make([]float32, 3*w*h)}
}

// check reports whether f's size and buffer agree.
func (f *Frame) check() error {
	if f == nil {
		return fmt.Errorf("nil frame")
	}
	if f.W <= 0 || f.H <= 0 {
		return fmt.Errorf("frame size %dx%d: width and height must be positive", f.W, f.H)
	}
	if len(f.Pix) != 3*f.W*f.H {
		return fmt.Errorf("frame %dx%d: Pix has %d values, want 3*W*H = %d", f.W, f.H, len(f.Pix), 3*f.W*f.H)
	}
	return nil
}

// plane returns channel c's samples.
func (f *Frame) plane(c int) []float32 {
	n := f.W * f.H
	return f.Pix[c*n : (c+1)*n]
}

// Clone returns a deep copy of f.
func (f *Frame) Clone() *Frame {
	return &Frame{W: f.W, H: f.H, Pix: append([]float32(nil), f.Pix...)}
}

// FrameFromRGBA converts img (any bounds) to a frame; alpha is ignored.
func FrameFromRGBA(img *image.RGBA) *Frame {
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	f := NewFrame(w, h)
	n := w * h
	r, g, bl := f.Pix[:n], f.Pix[n:2*n], f.Pix[2*n:]
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			i := y*w + x
			r[i] = float32(row[4*x]) / 255
			g[i] = float32(row[4*x+1]) / 255
			bl[i] = float32(row[4*x+2]) / 255
		}
	}
	return f
}

// toByte rounds v*255 to the nearest byte, clamping to [0, 255].
func toByte(v float32) uint8 {
	x := v*255 + 0.5
	if !(x > 0) { // also catches NaN
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// RGBA converts f to an opaque RGBA image with bounds (0, 0, W, H), clamping
// samples to [0, 1] and rounding to the nearest byte.
func (f *Frame) RGBA() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, f.W, f.H))
	f.writeRGBA(img)
	return img
}

// writeRGBA stores f into img, whose bounds must have f's size.
func (f *Frame) writeRGBA(img *image.RGBA) {
	w, h := f.W, f.H
	n := w * h
	r, g, b := f.Pix[:n], f.Pix[n:2*n], f.Pix[2*n:]
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			i := y*w + x
			row[4*x] = toByte(r[i])
			row[4*x+1] = toByte(g[i])
			row[4*x+2] = toByte(b[i])
			row[4*x+3] = 255
		}
	}
}

// PSNR returns the peak signal-to-noise ratio in dB between two images of the
// same size, with a peak of 255 over the R, G and B bytes (alpha ignored). It
// is +Inf for identical images.
func PSNR(a, b *image.RGBA) (float64, error) {
	if a.Rect.Dx() != b.Rect.Dx() || a.Rect.Dy() != b.Rect.Dy() {
		return 0, fmt.Errorf("synth: PSNR of images of different sizes %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	if w == 0 || h == 0 {
		return 0, fmt.Errorf("synth: PSNR of empty images")
	}
	var se float64
	for y := 0; y < h; y++ {
		ra := a.Pix[y*a.Stride : y*a.Stride+4*w]
		rb := b.Pix[y*b.Stride : y*b.Stride+4*w]
		for x := 0; x < 4*w; x++ {
			if x&3 == 3 {
				continue
			}
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
		}
	}
	mse := se / float64(3*w*h)
	if mse == 0 {
		return math.Inf(1), nil
	}
	return 10 * math.Log10(255*255/mse), nil
}
