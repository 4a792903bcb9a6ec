package pipeline

import (
	"errors"
	"fmt"
	"math"
)

// Model input and heatmap sizes of the standard configuration (SPEC.md
// section 0). The functions of this package take the sizes as arguments, so
// other input sizes work too.
const (
	InputW = 192 // crop width in pixels
	InputH = 256 // crop height in pixels
	HeatW  = 48  // heatmap width (InputW / 4)
	HeatH  = 64  // heatmap height (InputH / 4)
)

// Padding is the factor by which the box rule enlarges a person box.
const Padding = 1.25

// Box is a person box in image pixels: top-left corner (X, Y), width W and
// height H, as COCO detections give it.
type Box struct {
	X, Y, W, H float64
}

// Frame is where one person's crop sits in the image: the centre (CX, CY)
// and the padded box size (SW, SH), all in image pixels (mmpose's center and
// scale*200).
type Frame struct {
	CX, CY float64
	SW, SH float64
}

// Errors that CheckBox wraps. ErrBoxNotFinite marks bad input; the other two
// mark boxes that a caller may skip with a warning (see Skippable).
var (
	ErrBoxNotFinite = errors.New("box has a NaN or infinite value")
	ErrBoxEmpty     = errors.New("box has no area (width or height <= 0)")
	ErrBoxOutside   = errors.New("box lies entirely outside the image")
)

// CheckBox says whether b can be cropped from an image of imgW x imgH pixels.
// It returns nil for a usable box, and otherwise an error that wraps
// ErrBoxNotFinite (a NaN or infinite value: the input is broken), ErrBoxEmpty
// (width or height <= 0) or ErrBoxOutside (no overlap with the image
// rectangle [0, imgW] x [0, imgH]). Use Skippable to tell the last two, which
// a caller may skip with a warning, from the first.
func CheckBox(b Box, imgW, imgH int) error {
	for _, v := range [4]float64{b.X, b.Y, b.W, b.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("box (%g, %g, %g, %g): %w", b.X, b.Y, b.W, b.H, ErrBoxNotFinite)
		}
	}
	if !(b.W > 0) || !(b.H > 0) {
		return fmt.Errorf("box (%g, %g, %g, %g): %w", b.X, b.Y, b.W, b.H, ErrBoxEmpty)
	}
	if b.X+b.W <= 0 || b.Y+b.H <= 0 || b.X >= float64(imgW) || b.Y >= float64(imgH) {
		return fmt.Errorf("box (%g, %g, %g, %g) in a %dx%d image: %w", b.X, b.Y, b.W, b.H, imgW, imgH, ErrBoxOutside)
	}
	return nil
}

// Skippable reports whether err, from CheckBox, describes a box that is
// merely degenerate (empty or outside the image) and can be skipped with a
// warning, rather than broken input.
func Skippable(err error) bool {
	return errors.Is(err, ErrBoxEmpty) || errors.Is(err, ErrBoxOutside)
}

// Frame applies the box rule of SPEC.md section 9 for a model input of
// inputW x inputH pixels: the centre is the box centre, the box is widened
// in width or height to the aspect inputW/inputH, and both sides are
// multiplied by Padding (mmpose's _xywh2cs at test time).
func (b Box) Frame(inputW, inputH int) Frame {
	aspect := float64(inputW) / float64(inputH)
	w, h := b.W, b.H
	if w > aspect*h {
		h = w * 1.0 / aspect
	} else if w < aspect*h {
		w = h * aspect
	}
	return Frame{CX: b.X + b.W*0.5, CY: b.Y + b.H*0.5, SW: w * Padding, SH: h * Padding}
}

// Area is the padded box area SW*SH in square pixels, the person area that
// OKS non-maximum suppression uses.
func (f Frame) Area() float64 { return f.SW * f.SH }

// Check reports a frame that cannot be warped: a non-finite value or a size
// that is not positive.
func (f Frame) Check() error {
	for _, v := range [4]float64{f.CX, f.CY, f.SW, f.SH} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("frame %+v: a value is not finite", f)
		}
	}
	if !(f.SW > 0) || !(f.SH > 0) {
		return fmt.Errorf("frame %+v: size must be positive", f)
	}
	return nil
}

// CropMatrix is the UDP crop's affine map from image pixels to the pixels
// of a w x h crop (mmpose's get_warp_matrix with rotation 0, size_input
// 2*centre, size_dst (w-1, h-1), size_target (SW, SH)):
//
//	u = (x - (CX - SW/2)) * (w-1)/SW,  v = (y - (CY - SH/2)) * (h-1)/SH.
func (f Frame) CropMatrix(w, h int) Affine {
	sx := float64(w-1) / f.SW
	sy := float64(h-1) / f.SH
	return Affine{
		{sx, 0, sx * (-0.5*(2*f.CX) + 0.5*f.SW)},
		{0, sy, sy * (-0.5*(2*f.CY) + 0.5*f.SH)},
	}
}

// FromHeatmap maps a location (px, py) on a hw x hh heatmap back to image
// pixels (mmpose's transform_preds). With udp (the "dark-udp" decoder) the
// heatmap's corner pixels sit on the frame's edges:
// x = px*SW/(hw-1) + CX - SW/2; without it (the "default" decoder)
// x = px*SW/hw + CX - SW/2; y likewise with hh and SH.
func (f Frame) FromHeatmap(px, py float64, hw, hh int, udp bool) (x, y float64) {
	dw, dh := float64(hw), float64(hh)
	if udp {
		dw, dh = dw-1, dh-1
	}
	x = px*(f.SW/dw) + f.CX - f.SW*0.5
	y = py*(f.SH/dh) + f.CY - f.SH*0.5
	return x, y
}

// Affine is a 2x3 affine map (x, y) -> (A[0][0]x + A[0][1]y + A[0][2],
// A[1][0]x + A[1][1]y + A[1][2]), OpenCV's layout.
type Affine [2][3]float64

// Apply maps the point (x, y).
func (a Affine) Apply(x, y float64) (float64, float64) {
	return a[0][0]*x + a[0][1]*y + a[0][2], a[1][0]*x + a[1][1]*y + a[1][2]
}

// Invert returns the inverse map, as OpenCV's invertAffineTransform
// computes it, or an error if a is singular or not finite.
func (a Affine) Invert() (Affine, error) {
	d := a[0][0]*a[1][1] - a[0][1]*a[1][0]
	if d == 0 || math.IsNaN(d) || math.IsInf(d, 0) {
		return Affine{}, fmt.Errorf("affine map %v is not invertible", a)
	}
	d = 1 / d
	a11, a22 := a[1][1]*d, a[0][0]*d
	a12, a21 := -a[0][1]*d, -a[1][0]*d
	b1 := -a11*a[0][2] - a12*a[1][2]
	b2 := -a21*a[0][2] - a22*a[1][2]
	inv := Affine{{a11, a12, b1}, {a21, a22, b2}}
	for _, row := range inv {
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Affine{}, fmt.Errorf("affine map %v is not invertible", a)
			}
		}
	}
	return inv, nil
}
