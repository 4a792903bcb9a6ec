package synth

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Level is an amount of image interference.
type Level int

// Interference levels.
const (
	// None leaves images untouched.
	None Level = iota
	// Mixed leaves about one image in five untouched and degrades the
	// others by one to a few effects at mild to moderate strength, like the
	// paper's drilling-platform footage, a mix of normal and affected
	// images.
	Mixed
	// Heavy degrades every image by at least two effects at moderate to
	// strong strength (still within the paper's inclusion rule that a
	// person can pick out the keypoints).
	Heavy
)

var levelNames = [...]string{"none", "mixed", "heavy"}

// String returns the level's name as ParseLevel reads it.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

func (l Level) check() error {
	if l < None || l > Heavy {
		return fmt.Errorf("synth: unknown interference level %d", int(l))
	}
	return nil
}

// ParseLevel reads "none", "mixed" or "heavy".
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if s == n {
			return Level(i), nil
		}
	}
	return None, fmt.Errorf("synth: unknown interference level %q (want none, mixed or heavy)", s)
}

// Interfere degrades img in place at the given level, drawing every random
// choice from rng: it runs InterfereFrame on a float copy and stores the
// result back, rounded to bytes. For a given rng state and image the result
// is always the same.
func Interfere(img *image.RGBA, rng *rand.Rand, level Level) error {
	if img == nil || img.Rect.Empty() {
		return fmt.Errorf("synth: interfere: empty image")
	}
	f := FrameFromRGBA(img)
	if err := InterfereFrame(f, rng, level); err != nil {
		return err
	}
	f.writeRGBA(img)
	return nil
}

// effect identifies one interference effect, in the order they are applied
// (the order light takes: scene, optics, sensor, codec).
type effect int

const (
	effHaze effect = iota
	effBloom
	effBlur
	effLowLight
	effJPEG
	numEffects
)

// levelRecipe is how a level picks effects and their strengths; ranges are
// [lo, hi] drawn uniformly, pixel sizes for a picture whose shorter side is
// 288 pixels (scaled with the frame).
type levelRecipe struct {
	clean      float64 // probability of leaving the frame untouched
	prob       [numEffects]float64
	minEffects int
	haze       [2]float64 // density
	blooms     [2]int     // count
	bloomR     [2]float64 // radius / shorter side
	bloomK     [2]float64 // strength
	gauss      [2]float64 // sigma, pixels
	motion     [2]float64 // length, pixels
	gain       [2]float64 // brightness factor
	noise      [2]float64 // sensor noise std at mid grey
	quality    [2]float64 // JPEG quality
}

var recipes = [...]levelRecipe{
	Mixed: {
		clean: 0.2, prob: [numEffects]float64{0.25, 0.3, 0.45, 0.3, 0.35}, minEffects: 1,
		haze: [2]float64{0.2, 0.5}, blooms: [2]int{1, 1}, bloomR: [2]float64{0.06, 0.18}, bloomK: [2]float64{0.5, 1.0},
		gauss: [2]float64{0.7, 1.8}, motion: [2]float64{3, 8}, gain: [2]float64{0.4, 0.7}, noise: [2]float64{0.015, 0.04},
		quality: [2]float64{20, 50},
	},
	Heavy: {
		clean: 0, prob: [numEffects]float64{0.35, 0.45, 0.75, 0.55, 0.55}, minEffects: 2,
		haze: [2]float64{0.5, 1.0}, blooms: [2]int{1, 2}, bloomR: [2]float64{0.08, 0.22}, bloomK: [2]float64{0.8, 1.5},
		gauss: [2]float64{1.4, 3.0}, motion: [2]float64{6, 14}, gain: [2]float64{0.2, 0.4}, noise: [2]float64{0.04, 0.09},
		quality: [2]float64{8, 25},
	},
}

func draw2(rng *rand.Rand, r [2]float64) float64 { return uni(rng, r[0], r[1]) }

// InterfereFrame degrades f in place at the given level: haze, local
// over-exposure blooms, Gaussian or motion blur, low light with sensor noise
// and JPEG compression artefacts, each picked at random with a strength
// drawn from the level's range. Mixed leaves about one frame in five
// untouched. Sizes scale with the frame's shorter side, so the same call
// suits full images and training crops (Frame{W: w, H: h, Pix: chw} for a
// CHW float32 crop with values in [0, 1], before normalisation). For a given
// rng state and frame the result is always the same.
func InterfereFrame(f *Frame, rng *rand.Rand, level Level) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("synth: interfere: %w", err)
	}
	if err := level.check(); err != nil {
		return err
	}
	if rng == nil {
		return fmt.Errorf("synth: interfere: nil random generator")
	}
	if level == None {
		return nil
	}
	rc := &recipes[level]
	if rng.Float64() < rc.clean {
		return nil
	}
	var on [numEffects]bool
	count := 0
	for e := range on {
		if rng.Float64() < rc.prob[e] {
			on[e] = true
			count++
		}
	}
	for count < rc.minEffects {
		if e := rng.IntN(int(numEffects)); !on[e] {
			on[e] = true
			count++
		}
	}
	ms := float64(min(f.W, f.H))
	k := ms / 288
	// The parameters below are valid by construction; the effects' errors
	// are passed on all the same.
	var err error
	if on[effHaze] {
		g := uni(rng, 0.7, 0.95)
		air := [3]float64{g * uni(rng, 0.95, 1.05), g, g * uni(rng, 0.95, 1.08)}
		err = errors.Join(err, Haze(f, rng, draw2(rng, rc.haze), air))
	}
	if on[effBloom] {
		n := rc.blooms[0] + rng.IntN(rc.blooms[1]-rc.blooms[0]+1)
		for i := 0; i < n; i++ {
			err = errors.Join(err, Bloom(f, uni(rng, 0, float64(f.W)), uni(rng, 0, float64(f.H)), draw2(rng, rc.bloomR)*ms, draw2(rng, rc.bloomK)))
		}
	}
	if on[effBlur] {
		if rng.IntN(2) == 0 {
			err = errors.Join(err, GaussianBlur(f, draw2(rng, rc.gauss)*k))
		} else {
			err = errors.Join(err, MotionBlur(f, draw2(rng, rc.motion)*k, uni(rng, 0, math.Pi)))
		}
	}
	if on[effLowLight] {
		err = errors.Join(err, LowLight(f, rng, draw2(rng, rc.gain), draw2(rng, rc.noise)))
	}
	if on[effJPEG] {
		err = errors.Join(err, JPEGArtefacts(f, int(math.Round(draw2(rng, rc.quality)))))
	}
	return err
}

// checkEffect validates an effect's frame and parameters.
func checkEffect(name string, f *Frame, params ...float64) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("synth: %s: %w", name, err)
	}
	for _, p := range params {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return fmt.Errorf("synth: %s: parameter %v is not finite", name, p)
		}
	}
	return nil
}

// GaussianBlur blurs f with a Gaussian of standard deviation sigma pixels
// (defocus), truncated at 3 sigma, repeating the edge pixels beyond the
// border. sigma <= 0 does nothing. It fails on a malformed frame or a
// non-finite sigma.
func GaussianBlur(f *Frame, sigma float64) error {
	if err := checkEffect("GaussianBlur", f, sigma); err != nil || sigma <= 0 {
		return err
	}
	r := int(math.Ceil(3 * sigma))
	kern := make([]float32, 2*r+1)
	sum := 0.0
	for i := -r; i <= r; i++ {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		kern[i+r] = float32(v)
		sum += v
	}
	for i := range kern {
		kern[i] = float32(float64(kern[i]) / sum)
	}
	w, h := f.W, f.H
	tmp := make([]float32, w*h)
	line := make([]float32, max(w, h)+2*r)
	for c := 0; c < 3; c++ {
		p := f.plane(c)
		for y := 0; y < h; y++ { // rows into tmp
			row := p[y*w : (y+1)*w]
			for i := range line[:w+2*r] {
				line[i] = row[min(max(i-r, 0), w-1)]
			}
			out := tmp[y*w : (y+1)*w]
			for x := range out {
				s := float32(0)
				for j, kv := range kern {
					s += kv * line[x+j]
				}
				out[x] = s
			}
		}
		for y := 0; y < h; y++ { // columns back into p, a row at a time
			out := p[y*w : (y+1)*w]
			clear(out)
			for j, kv := range kern {
				sy := min(max(y+j-r, 0), h-1)
				src := tmp[sy*w : (sy+1)*w]
				for x, v := range src {
					out[x] += kv * v
				}
			}
		}
	}
	return nil
}

// MotionBlur smears f along a line of the given length in pixels at angle
// radians (0 = horizontal), averaging evenly spaced bilinear samples along
// the line centred on each pixel; the border is extended by its edge
// pixels. length < 1 does nothing. It fails on a malformed frame or
// non-finite parameters.
func MotionBlur(f *Frame, length, angle float64) error {
	if err := checkEffect("MotionBlur", f, length, angle); err != nil || length < 1 {
		return err
	}
	n := int(math.Ceil(length)) + 1
	dx, dy := math.Cos(angle), math.Sin(angle)
	type tap struct {
		ox, oy             int
		w00, w10, w01, w11 float32
	}
	taps := make([]tap, n)
	for i := range taps {
		t := (float64(i)/float64(n-1) - 0.5) * length
		sx, sy := t*dx, t*dy
		fx, fy := math.Floor(sx), math.Floor(sy)
		ax, ay := sx-fx, sy-fy
		wn := 1 / float64(n)
		taps[i] = tap{int(fx), int(fy),
			float32((1 - ax) * (1 - ay) * wn), float32(ax * (1 - ay) * wn),
			float32((1 - ax) * ay * wn), float32(ax * ay * wn)}
	}
	w, h := f.W, f.H
	src := make([]float32, w*h)
	for c := 0; c < 3; c++ {
		p := f.plane(c)
		copy(src, p)
		clear(p)
		for _, tp := range taps {
			// Columns x with both x+ox and x+ox+1 inside the frame read
			// straight from the rows; the rest clamp.
			lo, hi := max(0, -tp.ox), min(w, w-1-tp.ox)
			for y := 0; y < h; y++ {
				y0 := min(max(y+tp.oy, 0), h-1)
				y1 := min(max(y+tp.oy+1, 0), h-1)
				r0, r1 := src[y0*w:(y0+1)*w], src[y1*w:(y1+1)*w]
				out := p[y*w : (y+1)*w]
				at := func(x int) {
					x0 := min(max(x+tp.ox, 0), w-1)
					x1 := min(max(x+tp.ox+1, 0), w-1)
					out[x] += tp.w00*r0[x0] + tp.w10*r0[x1] + tp.w01*r1[x0] + tp.w11*r1[x1]
				}
				if lo >= hi {
					for x := range out {
						at(x)
					}
					continue
				}
				for x := 0; x < lo; x++ {
					at(x)
				}
				a0, a1 := r0[lo+tp.ox:hi+tp.ox], r0[lo+tp.ox+1:hi+tp.ox+1]
				b0, b1 := r1[lo+tp.ox:hi+tp.ox], r1[lo+tp.ox+1:hi+tp.ox+1]
				o := out[lo:hi]
				for x := range o {
					o[x] += tp.w00*a0[x] + tp.w10*a1[x] + tp.w01*b0[x] + tp.w11*b1[x]
				}
				for x := hi; x < w; x++ {
					at(x)
				}
			}
		}
	}
	return nil
}

// Bloom adds a local over-exposure centred at (cx, cy): a warm-white glow
// with a Gaussian profile of the given radius (its standard deviation, in
// pixels), screen-blended with the given strength, so that the centre burns
// out to white once strength reaches 1. A radius or strength <= 0 does
// nothing. It fails on a malformed frame or non-finite parameters.
func Bloom(f *Frame, cx, cy, radius, strength float64) error {
	if err := checkEffect("Bloom", f, cx, cy, radius, strength); err != nil || radius <= 0 || strength <= 0 {
		return err
	}
	tint := [3]float64{1, 0.97, 0.88}
	w, h := f.W, f.H
	x0, x1 := max(int(cx-3*radius), 0), min(int(cx+3*radius)+1, w-1)
	y0, y1 := max(int(cy-3*radius), 0), min(int(cy+3*radius)+1, h-1)
	inv := 1 / (2 * radius * radius)
	n := w * h
	for y := y0; y <= y1; y++ {
		ddy := float64(y) - cy
		for x := x0; x <= x1; x++ {
			ddx := float64(x) - cx
			g := strength * math.Exp(-(ddx*ddx+ddy*ddy)*inv)
			if g < 1e-3 {
				continue
			}
			i := y*w + x
			for c := 0; c < 3; c++ {
				a := float32(min(g*tint[c], 1))
				v := f.Pix[c*n+i]
				f.Pix[c*n+i] = 1 - (1-v)*(1-a)
			}
		}
	}
	return nil
}

// LowLight darkens f by gain (0 < gain <= 1) and adds sensor noise drawn
// from rng: Gaussian, with a variance that grows with the signal (shot
// noise) on a floor (read noise), std noise at mid grey, half shared by the
// three channels and half per channel (colour speckle). It fails on a
// malformed frame, a nil rng or non-finite parameters.
func LowLight(f *Frame, rng *rand.Rand, gain, noise float64) error {
	if err := checkEffect("LowLight", f, gain, noise); err != nil {
		return err
	}
	if rng == nil {
		return fmt.Errorf("synth: LowLight: nil random generator")
	}
	n := f.W * f.H
	g := float32(gain)
	for i := 0; i < n; i++ {
		luma := float32(rng.NormFloat64())
		for c := 0; c < 3; c++ {
			v := f.Pix[c*n+i] * g
			sd := float32(noise) * float32(math.Sqrt(float64(0.25+1.5*max(v, 0))))
			f.Pix[c*n+i] = v + sd*(0.7*luma+0.7*float32(rng.NormFloat64()))
		}
	}
	return nil
}

// Haze veils f with fog of the given colour: each pixel is mixed with air
// by the transmission exp(-density * d), where the apparent distance d
// grows towards the top of the frame and varies in patches drawn from rng.
// A density <= 0 does nothing. It fails on a malformed frame, a nil rng or
// non-finite parameters.
func Haze(f *Frame, rng *rand.Rand, density float64, air [3]float64) error {
	if err := checkEffect("Haze", f, density, air[0], air[1], air[2]); err != nil {
		return err
	}
	if rng == nil {
		return fmt.Errorf("synth: Haze: nil random generator")
	}
	if density <= 0 {
		return nil
	}
	w, h := f.W, f.H
	patch := newLattice(rng, w, h, float64(min(w, h))/2.5)
	trans := newCoarseField(w, h, 4, func(x, y float64) float64 {
		far := 0.5 + 0.8*(1-y/float64(h))
		return math.Exp(-density * far * (1 + 0.35*patch.at(x, y)))
	})
	row := make([]float32, w)
	n := w * h
	for y := 0; y < h; y++ {
		trans.row(y, row)
		for x, t := range row {
			i := y*w + x
			for c := 0; c < 3; c++ {
				f.Pix[c*n+i] = f.Pix[c*n+i]*t + float32(air[c])*(1-t)
			}
		}
	}
	return nil
}

// clampUnit returns f with every sample clamped to [0, 1].
func (f *Frame) clampUnit() {
	for i, v := range f.Pix {
		if !(v > 0) {
			f.Pix[i] = 0
		} else if v > 1 {
			f.Pix[i] = 1
		}
	}
}
