package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"

	"github.com/ladderpose/ladderpose/coco"
)

// Default image size and JPEG quality of a generated dataset.
const (
	DefaultWidth   = 384
	DefaultHeight  = 288
	DefaultQuality = 92
)

// Limits on Options.
const (
	MinSize   = 64
	MaxSize   = 4096
	MaxPeople = 32
)

// Options controls the generator. The zero value of a field means its
// default.
type Options struct {
	// Dir is the output folder of Generate: images go to Dir/images/,
	// annotations to Dir/train.json and Dir/val.json.
	Dir string
	// N is the number of images Generate writes.
	N int
	// Seed selects the dataset: image i is drawn from a generator seeded by
	// (Seed, i) alone, so the bytes do not depend on N, Workers or
	// GOMAXPROCS.
	Seed uint64
	// Width and Height of the images (default 384 x 288).
	Width, Height int
	// Interference is the level of degradation applied after rendering.
	Interference Level
	// Val is the fraction of images, taken from the end, that go to
	// val.json; 0 writes everything to train.json, 1 everything to val.json.
	Val float64
	// MinPeople and MaxPeople bound the number of figures per image; both
	// zero means 1 to 4.
	MinPeople, MaxPeople int
	// Quality is the JPEG quality of the written images (default 92).
	Quality int
	// Workers is the number of images rendered at once (default GOMAXPROCS).
	Workers int
	// MaxYaw bounds, in degrees, how far people turn away from the camera
	// (yaw 0 faces it): yaw is drawn uniformly in [-MaxYaw, MaxYaw]. Zero
	// means any direction (180). With a bound below 90 the people mostly
	// face the camera, so their left side is on the picture's right, as in
	// most footage of people at work; with any direction, left and right can
	// only be told apart by the clothing's one-sided marks (bands, pocket)
	// and the face. The number of random draws does not depend on MaxYaw,
	// so the rest of a scene stays the same.
	MaxYaw float64
}

// Validate reports the first invalid field of o (after defaults), if any.
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

// withDefaults returns o with zero fields set to their defaults, or an
// error naming the first bad field.
func (o Options) withDefaults() (Options, error) {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	if o.Width < MinSize || o.Width > MaxSize || o.Height < MinSize || o.Height > MaxSize {
		return o, fmt.Errorf("synth: image size %dx%d: width and height must be in [%d, %d]", o.Width, o.Height, MinSize, MaxSize)
	}
	if o.MinPeople == 0 && o.MaxPeople == 0 {
		o.MinPeople, o.MaxPeople = 1, 4
	}
	if o.MinPeople < 0 || o.MaxPeople < o.MinPeople || o.MaxPeople > MaxPeople {
		return o, fmt.Errorf("synth: people per image %d to %d: need 0 <= min <= max <= %d", o.MinPeople, o.MaxPeople, MaxPeople)
	}
	if o.Quality == 0 {
		o.Quality = DefaultQuality
	}
	if o.Quality < 1 || o.Quality > 100 {
		return o, fmt.Errorf("synth: JPEG quality %d: must be in [1, 100]", o.Quality)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("synth: workers %d: must be positive", o.Workers)
	}
	if !(o.Val >= 0 && o.Val <= 1) {
		return o, fmt.Errorf("synth: validation fraction %v: must be in [0, 1]", o.Val)
	}
	if o.MaxYaw == 0 {
		o.MaxYaw = 180
	}
	if !(o.MaxYaw > 0 && o.MaxYaw <= 180) {
		return o, fmt.Errorf("synth: maximum yaw %v degrees: must be in (0, 180]", o.MaxYaw)
	}
	if o.N < 0 {
		return o, fmt.Errorf("synth: image count %d: must not be negative", o.N)
	}
	if err := o.Interference.check(); err != nil {
		return o, err
	}
	return o, nil
}

// scene is everything drawn in one image, drawn from a generator once so
// that it can be rendered again (whole or one person at a time).
type scene struct {
	w, h     int
	light    vec3
	bg       *background
	people   []*person // far to near
	illum    *lattice  // uneven lighting over the whole picture
	illumAmp float64
}

func newScene(rng *rand.Rand, o Options) *scene {
	w, h := o.Width, o.Height
	fw, fh := float64(w), float64(h)
	sc := &scene{w: w, h: h}
	sc.light = v3(uni(rng, -0.6, 0.6), uni(rng, -0.9, -0.4), uni(rng, 0.4, 0.8)).unit()
	sc.bg = newBackground(rng, w, h, sc.light)
	sc.illum = newLattice(rng, w, h, float64(min(w, h))/1.5)
	sc.illumAmp = uni(rng, 0.05, 0.2)
	n := o.MinPeople + rng.IntN(o.MaxPeople-o.MinPeople+1)
	for i := 0; i < n; i++ {
		p := &person{look: randomLook(rng), pose: randomPose(rng, o.MaxYaw)}
		p.solve()
		rel := uni(rng, 0.38, 0.92) // standing height / picture height
		p.scale = rel * fh
		x0, _, x1, y1 := p.extent()
		// Nearer (bigger) people stand lower on the deck.
		ground := sc.bg.horizon + (fh-sc.bg.horizon)*rel/0.9*uni(rng, 0.9, 1.12)
		p.oy = ground - y1
		p.ox = uni(rng, 0.03, 0.97)*fw - (x0+x1)/2
		sc.people = append(sc.people, p)
	}
	sort.SliceStable(sc.people, func(i, j int) bool { return sc.people[i].scale < sc.people[j].scale })
	for i, p := range sc.people {
		p.oz = float64(i) * 1e4
	}
	return sc
}

// render draws the scene; only >= 0 draws that person alone (for tests).
func (sc *scene) render(only int) *canvas {
	c := newCanvas(sc.w, sc.h)
	sc.bg.paint(c)
	for i, p := range sc.people {
		if only >= 0 && i != only {
			continue
		}
		for _, it := range p.items(sc.light) {
			c.draw(it.s, it.m, uint8(i+1))
		}
	}
	for _, it := range sc.bg.front {
		c.draw(it.s, it.m, 0)
	}
	n := sc.w * sc.h
	illum := newCoarseField(sc.w, sc.h, 4, func(x, y float64) float64 { return 1 + sc.illumAmp*sc.illum.at(x, y) })
	row := make([]float32, sc.w)
	for y := 0; y < sc.h; y++ {
		illum.row(y, row)
		for x, k := range row {
			i := y*sc.w + x
			c.f.Pix[i] *= k
			c.f.Pix[n+i] *= k
			c.f.Pix[2*n+i] *= k
		}
	}
	return c
}

// jointVisibility is COCO's v for joint k of person idx (0-based, far to
// near) in canvas c, with the joint's picture position.
func (sc *scene) jointVisibility(c *canvas, idx, k int) (x, y float64, v int) {
	p := sc.people[idx]
	j := p.cam(p.joints[k])
	ix, iy := int(math.Floor(j.x+0.5)), int(math.Floor(j.y+0.5))
	if ix < 0 || iy < 0 || ix >= c.w || iy >= c.h {
		return 0, 0, 0
	}
	// Visible where this person owns the pixel and its surface there is no
	// nearer than the front of the joint's own limb (the joint lies on the
	// limb's axis, jointR under the surface).
	r := p.jointR[k] * p.scale
	i := iy*c.w + ix
	if p.drawn[k] && c.owner[i] == uint8(idx+1) && float64(c.z[i]) <= j.z+1.3*r+0.5 {
		return j.x, j.y, 2
	}
	return j.x, j.y, 1
}

// annotate returns the COCO annotation of every person with at least one
// visible pixel and a mask in which pixel value a+1 marks annotation a.
// IDs are left zero.
func (sc *scene) annotate(c *canvas) ([]coco.Annotation, []uint8) {
	mask := make([]uint8, len(c.owner))
	var anns []coco.Annotation
	remap := make([]uint8, len(sc.people)+1)
	for idx := range sc.people {
		id := uint8(idx + 1)
		x0, y0, x1, y1, area := c.w, c.h, -1, -1, 0
		for y := 0; y < c.h; y++ {
			row := c.owner[y*c.w : (y+1)*c.w]
			for x, o := range row {
				if o == id {
					area++
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
				}
			}
		}
		if area == 0 {
			continue
		}
		a := coco.Annotation{
			CategoryID: 1,
			Keypoints:  make([]float64, 3*coco.NumKeypoints),
			// The box of the visible pixels' areas: pixel i spans
			// [i - 0.5, i + 0.5] with keypoints at pixel centres.
			BBox: [4]float64{float64(x0) - 0.5, float64(y0) - 0.5, float64(x1 - x0 + 1), float64(y1 - y0 + 1)},
			Area: float64(area),
		}
		for k := 0; k < numJoints; k++ {
			x, y, v := sc.jointVisibility(c, idx, k)
			a.Keypoints[3*k] = math.Round(x*100) / 100
			a.Keypoints[3*k+1] = math.Round(y*100) / 100
			a.Keypoints[3*k+2] = float64(v)
			if v > 0 {
				a.NumKeypoints++
			}
		}
		anns = append(anns, a)
		remap[id] = uint8(len(anns))
	}
	for i, o := range c.owner {
		mask[i] = remap[o]
	}
	return anns, mask
}

// Sample is one rendered image with its annotations.
type Sample struct {
	// Image is the picture after interference; Clean is the same picture
	// before it.
	Image, Clean *image.RGBA
	// Mask has one byte per pixel (row-major, Width x Height): a > 0 where
	// the pixel shows the person of Annotations[a-1], 0 elsewhere.
	Mask []uint8
	// Annotations has one entry per person with at least one visible pixel,
	// far to near, with ID and ImageID zero. Keypoint coordinates put pixel
	// centres on integers (pixel (i, j) is the point (i, j)); visibility is
	// 0 outside the picture (coordinates then 0, 0), 1 when hidden (by
	// another person, a foreground structure or the person's own body, or a
	// face feature turned away) and 2 when the keypoint's own body part is
	// the nearest surface at its pixel. BBox is the tight box of the
	// visible pixels (each pixel the unit square around its centre) and Area
	// their count.
	Annotations []coco.Annotation
}

// splitSeed draws two seeds for a new, independent PCG stream.
func splitSeed(rng *rand.Rand) *rand.Rand {
	return rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
}

// RenderSample draws one random scene from rng, renders it at opts' size
// with opts.MinPeople to opts.MaxPeople people, and applies
// opts.Interference. The scene and the interference use separate streams
// split off rng, so the same rng state gives the same clean picture at
// every interference level. It is deterministic given rng's state.
func RenderSample(rng *rand.Rand, opts Options) (*Sample, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	srng := splitSeed(rng)
	irng := splitSeed(rng)
	sc := newScene(srng, o)
	c := sc.render(-1)
	anns, mask := sc.annotate(c)
	s := &Sample{Clean: c.f.RGBA(), Mask: mask, Annotations: anns}
	if err := InterfereFrame(c.f, irng, o.Interference); err != nil {
		return nil, err
	}
	s.Image = c.f.RGBA()
	return s, nil
}
