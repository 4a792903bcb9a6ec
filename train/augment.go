package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
)

// Augment selects the training-time augmentations of a sample. The
// geometric ones follow mmpose 0.x's top-down training pipeline as ViTPose
// configures it, in its order: TopDownRandomFlip, TopDownHalfBodyTransform,
// TopDownGetRandomScaleRotation, then TopDownAffine with UDP; the photometric
// ones (Color, then Interference) act on the crop afterwards.
type Augment struct {
	// Flip mirrors the image horizontally with probability 0.5 and swaps
	// the left/right keypoints (pipeline.FlipPairs), as mmpose's
	// fliplr_joints does with UDP: x' = imageWidth - 1 - x.
	Flip bool
	// Scale is the scale factor range: the crop size is multiplied by
	// clip(1 + N(0,1)*Scale, 1-Scale, 1+Scale). mmpose's default is 0.35,
	// ViTPose's COCO configs use 0.5. 0 leaves the size.
	Scale float64
	// Rotation is the rotation range in degrees: with probability 0.6 the
	// crop is rotated by clip(N(0,1)*Rotation, -2*Rotation, 2*Rotation)
	// about its centre. mmpose's default is 45, ViTPose's configs use 40.
	Rotation float64
	// HalfBody is the probability of the half-body transform for a person
	// with more than 8 labelled keypoints: the crop is refitted to the
	// upper-body keypoints (0-10) or the lower-body ones (11-16), enlarged
	// 1.5 times (mmpose: 0.3).
	HalfBody float64
	// Color jitters brightness, contrast and saturation of the crop, each
	// by a factor drawn uniformly from [0.8, 1.2] (torchvision's
	// ColorJitter(0.2, 0.2, 0.2) in a fixed order, values clamped to
	// [0, 1] after each step).
	Color bool
	// Interference degrades the crop with synth.InterfereFrame at this
	// level (synth.None, Mixed or Heavy), after the colour jitter.
	Interference synth.Level
}

// NoAugment returns the settings without any augmentation: the sample is
// the inference crop of its ground-truth box (SPEC.md section 9).
func NoAugment() Augment { return Augment{} }

// DefaultAugment returns mmpose's default top-down augmentation: flip,
// scale 0.35, rotation 45 degrees, half-body 0.3; no colour jitter and no
// interference.
func DefaultAugment() Augment {
	return Augment{Flip: true, Scale: 0.35, Rotation: 45, HalfBody: 0.3}
}

// Check reports settings out of range: Scale in [0, 1), Rotation in
// [0, 180], HalfBody in [0, 1], and a known interference level.
func (a Augment) Check() error {
	if !(a.Scale >= 0 && a.Scale < 1) {
		return fmt.Errorf("augment: scale factor %v must be in [0, 1)", a.Scale)
	}
	if !(a.Rotation >= 0 && a.Rotation <= 180) {
		return fmt.Errorf("augment: rotation %v degrees must be in [0, 180]", a.Rotation)
	}
	if !(a.HalfBody >= 0 && a.HalfBody <= 1) {
		return fmt.Errorf("augment: half-body probability %v must be in [0, 1]", a.HalfBody)
	}
	if a.Interference < synth.None || a.Interference > synth.Heavy {
		return fmt.Errorf("augment: unknown interference level %d", int(a.Interference))
	}
	return nil
}

// random reports whether the settings draw anything from the generator.
func (a Augment) random() bool {
	return a.Flip || a.Scale > 0 || a.Rotation > 0 || a.HalfBody > 0 || a.Color || a.Interference != synth.None
}

// String describes the settings in one line.
func (a Augment) String() string {
	return fmt.Sprintf("flip %v, scale %g, rotation %g, half-body %g, colour %v, interference %v",
		a.Flip, a.Scale, a.Rotation, a.HalfBody, a.Color, a.Interference)
}

// Probabilities and constants of mmpose's top-down training pipeline.
const (
	flipProb        = 0.5 // TopDownRandomFlip: flip when rand() <= 0.5
	rotProb         = 0.6 // TopDownGetRandomScaleRotation: rotate when rand() <= 0.6
	halfBodyJoints  = 8   // TopDownHalfBodyTransform: more than 8 labelled joints
	halfBodyScale   = 1.5 // the half-body box is enlarged 1.5 times
	upperBodyJoints = 11  // keypoints 0-10 are the upper body
	colorRange      = 0.2 // colour jitter factors in [1-0.2, 1+0.2]
)

// Transform is the geometric part of one sample's augmentation, with
// mmpose's meaning: the image is flipped first (if Flip), then cropped
// around Frame (in the flipped image's pixels) rotated by Rotation degrees
// (counter-clockwise on the screen) with the UDP affine map.
type Transform struct {
	Flip     bool
	HalfBody bool           // the frame came from the half-body transform
	Frame    pipeline.Frame // centre and size, image pixels (after the flip)
	Rotation float64        // degrees
	ImageW   int            // width of the image, for the flip
}

// Matrix is the affine map from pixels of the original (unflipped) image
// to pixels of the w x h crop: RotatedCropMatrix of the frame, composed
// with the mirror x -> ImageW-1-x when Flip is set.
func (t Transform) Matrix(w, h int) pipeline.Affine {
	m := RotatedCropMatrix(t.Frame, t.Rotation, w, h)
	if !t.Flip {
		return m
	}
	// m o F with F(x, y) = (W-1-x, y).
	wm := float64(t.ImageW - 1)
	return pipeline.Affine{
		{-m[0][0], m[0][1], m[0][0]*wm + m[0][2]},
		{-m[1][0], m[1][1], m[1][0]*wm + m[1][2]},
	}
}

// RotatedCropMatrix is mmpose's get_warp_matrix(theta, 2*centre,
// (w-1, h-1), (SW, SH)) in float64: the UDP crop map of f followed by a
// rotation of theta degrees about the crop centre. For theta = 0 it is
// bit for bit f.CropMatrix(w, h).
func RotatedCropMatrix(f pipeline.Frame, theta float64, w, h int) pipeline.Affine {
	t := theta * (math.Pi / 180) // np.deg2rad
	c, s := math.Cos(t), math.Sin(t)
	sx := float64(w-1) / f.SW
	sy := float64(h-1) / f.SH
	ix, iy := 2*f.CX, 2*f.CY
	return pipeline.Affine{
		{c * sx, -s * sx, sx * (-0.5*ix*c + 0.5*iy*s + 0.5*f.SW)},
		{s * sy, c * sy, sy * (-0.5*ix*s - 0.5*iy*c + 0.5*f.SH)},
	}
}

// Joints are one person's 17 keypoints: image pixels (x, y) and COCO
// visibility v (0 unlabelled, 1 occluded, 2 visible).
type Joints [coco.NumKeypoints][3]float64

// FlipJoints is mmpose's fliplr_joints for an image of width imageW: the
// left/right pairs swap, x becomes imageW-1-x, and unlabelled joints become
// (0, 0, 0). Applied twice it gives back the labelled joints.
func FlipJoints(j Joints, imageW int) Joints {
	out := j
	for _, p := range pipeline.FlipPairs {
		out[p[0]], out[p[1]] = j[p[1]], j[p[0]]
	}
	for k := range out {
		if out[k][2] <= 0 {
			out[k] = [3]float64{}
			continue
		}
		out[k][0] = float64(imageW-1) - out[k][0]
	}
	return out
}

// Labelled is the number of keypoints with v > 0.
func (j *Joints) Labelled() int {
	n := 0
	for _, p := range j {
		if p[2] > 0 {
			n++
		}
	}
	return n
}

// HalfBodyFrame is mmpose's half_body_transform for a crop of aspect
// (width / height): the labelled keypoints of the upper body (0-10) when
// pickUpper is set and there are more than 2 of them, else those of the
// lower body (11-16) if there are more than 2, else the upper body's; the
// frame's centre is their mean, its size their bounding box widened to the
// aspect and enlarged 1.5 times. ok is false when fewer than 2 keypoints
// are selected (the frame is then unchanged). mmpose draws pickUpper as
// randn() < 0.5.
func HalfBodyFrame(j *Joints, aspect float64, pickUpper bool) (f pipeline.Frame, ok bool) {
	var upper, lower []int
	for k, p := range j {
		if p[2] <= 0 {
			continue
		}
		if k < upperBodyJoints {
			upper = append(upper, k)
		} else {
			lower = append(lower, k)
		}
	}
	sel := upper
	if !(pickUpper && len(upper) > 2) && len(lower) > 2 {
		sel = lower
	}
	if len(sel) < 2 {
		return f, false
	}
	var sx, sy float64
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, k := range sel {
		x, y := j[k][0], j[k][1]
		sx += x
		sy += y
		x0, x1 = min(x0, x), max(x1, x)
		y0, y1 = min(y0, y), max(y1, y)
	}
	w, h := x1-x0, y1-y0
	if w > aspect*h {
		h = w * 1.0 / aspect
	} else if w < aspect*h {
		w = h * aspect
	}
	n := float64(len(sel))
	return pipeline.Frame{CX: sx / n, CY: sy / n, SW: w * halfBodyScale, SH: h * halfBodyScale}, true
}

// draws are the random values of one sample's geometric augmentation,
// taken from the generator in this order whatever the settings (so that
// switching one augmentation off does not change the others' values).
type draws struct {
	flip   float64 // uniform [0, 1): flip when <= 0.5
	half   float64 // uniform: half-body when < HalfBody
	halfZ  float64 // normal: upper body when < 0.5 (mmpose's randn() < 0.5)
	scaleZ float64 // normal
	rotZ   float64 // normal
	rotU   float64 // uniform: rotate when <= 0.6
}

func drawGeometry(rng *rand.Rand) draws {
	return draws{
		flip: rng.Float64(), half: rng.Float64(), halfZ: rng.NormFloat64(),
		scaleZ: rng.NormFloat64(), rotZ: rng.NormFloat64(), rotU: rng.Float64(),
	}
}

// transform applies the settings to a person with frame f and joints j in
// an image of width imageW, for a crop of aspect w/h, with the given
// draws. It returns the transform and the joints in the (possibly flipped)
// image, unlabelled ones zeroed.
func (a Augment) transform(f pipeline.Frame, j Joints, imageW int, aspect float64, d draws) (Transform, Joints) {
	t := Transform{Frame: f, ImageW: imageW}
	if a.Flip && d.flip <= flipProb {
		t.Flip = true
		j = FlipJoints(j, imageW)
		t.Frame.CX = float64(imageW) - t.Frame.CX - 1
	}
	if a.HalfBody > 0 && j.Labelled() > halfBodyJoints && d.half < a.HalfBody {
		if hf, ok := HalfBodyFrame(&j, aspect, d.halfZ < 0.5); ok {
			t.Frame, t.HalfBody = hf, true
		}
	}
	if a.Scale > 0 {
		s := min(max(d.scaleZ*a.Scale+1, 1-a.Scale), 1+a.Scale)
		t.Frame.SW *= s
		t.Frame.SH *= s
	}
	if a.Rotation > 0 && d.rotU <= rotProb {
		t.Rotation = min(max(d.rotZ*a.Rotation, -2*a.Rotation), 2*a.Rotation)
	}
	return t, j
}

// colorJitter applies the brightness, contrast and saturation factors
// (b, c, s) to a [0, 1] CHW crop of n pixels per plane, clamping after each
// step. Grey is ITU-R 601 luma (0.299, 0.587, 0.114), as torchvision uses.
func colorJitter(pix []float32, n int, b, c, s float32) {
	clamp := func(v float32) float32 { return min(max(v, 0), 1) }
	for i := range pix {
		pix[i] = clamp(pix[i] * b)
	}
	r, g, bl := pix[:n], pix[n:2*n], pix[2*n:3*n]
	var sum float64
	for i := 0; i < n; i++ {
		sum += float64(0.299*r[i] + 0.587*g[i] + 0.114*bl[i])
	}
	mean := float32(sum / float64(n))
	for i := range pix {
		pix[i] = clamp((pix[i]-mean)*c + mean)
	}
	for i := 0; i < n; i++ {
		grey := 0.299*r[i] + 0.587*g[i] + 0.114*bl[i]
		r[i] = clamp((r[i]-grey)*s + grey)
		g[i] = clamp((g[i]-grey)*s + grey)
		bl[i] = clamp((bl[i]-grey)*s + grey)
	}
}
