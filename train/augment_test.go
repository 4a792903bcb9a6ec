package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
	"github.com/ladderpose/ladderpose/weights"
)

// goldenDir holds the cases of tools/gen_train_goldens.py (a NumPy
// transcription of mmpose's training transforms, and OpenCV).
var goldenDir = filepath.Join("..", "testdata", "train")

type augmentCase struct {
	Box            [4]float64      `json:"box"`
	Joints         [17][3]float64  `json:"joints"`
	Flip           bool            `json:"flip"`
	HalfBody       bool            `json:"half_body"`
	HalfZ          float64         `json:"half_z"`
	ScaleFactor    float64         `json:"scale_factor"`
	RotFactor      float64         `json:"rot_factor"`
	ScaleZ         float64         `json:"scale_z"`
	RotZ           float64         `json:"rot_z"`
	RotU           float64         `json:"rot_u"`
	Center         [2]float64      `json:"center"`
	Scale          [2]float64      `json:"scale"`
	Rotation       float64         `json:"rotation"`
	Matrix         pipeline.Affine `json:"matrix"`
	MatrixOriginal pipeline.Affine `json:"matrix_original"`
	JointsOut      [17][3]float64  `json:"joints_out"`
}

type augmentGolden struct {
	ImageW int           `json:"image_w"`
	ImageH int           `json:"image_h"`
	CropW  int           `json:"crop_w"`
	CropH  int           `json:"crop_h"`
	Cases  []augmentCase `json:"cases"`
}

func loadAugmentGolden(t *testing.T) (augmentGolden, *pipeline.RGB, []float32, []float32) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, "augment.json"))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var g augmentGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("golden: %v", err)
	}
	f, err := weights.Open(filepath.Join(goldenDir, "augment.safetensors"))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	defer f.Close()
	get := func(name string, shape ...int) []float32 {
		v, s, err := f.Float32(name)
		if err != nil {
			t.Fatalf("golden: %v", err)
		}
		if !slices.Equal(s, shape) {
			t.Fatalf("golden %s has shape %v, want %v", name, s, shape)
		}
		return slices.Clone(v)
	}
	n := len(g.Cases)
	pix := get("image", g.ImageH, g.ImageW, 3)
	img := pipeline.NewRGB(g.ImageW, g.ImageH)
	for i, v := range pix {
		img.Pix[i] = uint8(v)
	}
	return g, img, get("crops_exact", n, g.CropH, g.CropW, 3), get("crops_cv", n, g.CropH, g.CropW, 3)
}

// caseDraws turns a golden case into the settings and draws that make
// the Go code take mmpose's path.
func caseDraws(c augmentCase) (Augment, draws) {
	a := Augment{Flip: true, Scale: c.ScaleFactor, Rotation: c.RotFactor}
	d := draws{flip: 1, half: 1, halfZ: c.HalfZ, scaleZ: c.ScaleZ, rotZ: c.RotZ, rotU: c.RotU}
	if c.Flip {
		d.flip = 0
	}
	if c.HalfBody {
		a.HalfBody, d.half = 1, 0
	}
	return a, d
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestAugmentGoldens checks the frame, rotation, crop matrix, keypoints and
// crop of each augmentation against mmpose's transforms (NumPy) and
// OpenCV's warpAffine: geometry to 1e-9 (relative, or absolute below 1),
// crops to 1e-3 grey level of the exact bilinear warp of the flipped image
// and within OpenCV's 1/32-pixel fixed-point error of cv2.warpAffine.
func TestAugmentGoldens(t *testing.T) {
	g, img, exact, cv := loadAugmentGolden(t)
	if len(g.Cases) < 8 {
		t.Fatalf("golden has %d cases", len(g.Cases))
	}
	cw, ch := g.CropW, g.CropH
	crop := make([]float32, 3*cw*ch)
	kpts := make([]float32, 51)
	for ci, c := range g.Cases {
		aug, d := caseDraws(c)
		var j Joints
		for k := range j {
			j[k] = c.Joints[k]
		}
		f := pipeline.Box{X: c.Box[0], Y: c.Box[1], W: c.Box[2], H: c.Box[3]}.Frame(cw, ch)
		tr, jt := aug.transform(f, j, g.ImageW, float64(cw)/float64(ch), d)
		if tr.Flip != c.Flip || tr.HalfBody != c.HalfBody {
			t.Errorf("case %d: flip %v half-body %v, want %v %v", ci, tr.Flip, tr.HalfBody, c.Flip, c.HalfBody)
		}
		got := [4]float64{tr.Frame.CX, tr.Frame.CY, tr.Frame.SW, tr.Frame.SH}
		want := [4]float64{c.Center[0], c.Center[1], c.Scale[0], c.Scale[1]}
		for k := range got {
			if !near(got[k], want[k], 1e-9) {
				t.Errorf("case %d: frame %v, want centre and scale %v", ci, got, want)
				break
			}
		}
		if !near(tr.Rotation, c.Rotation, 1e-12) {
			t.Errorf("case %d: rotation %v, want %v", ci, tr.Rotation, c.Rotation)
		}
		m := RotatedCropMatrix(tr.Frame, tr.Rotation, cw, ch)
		mo := tr.Matrix(cw, ch)
		for r := 0; r < 2; r++ {
			for k := 0; k < 3; k++ {
				if !near(m[r][k], c.Matrix[r][k], 1e-9) {
					t.Errorf("case %d: matrix[%d][%d] = %v, want %v", ci, r, k, m[r][k], c.Matrix[r][k])
				}
				if !near(mo[r][k], c.MatrixOriginal[r][k], 1e-9) {
					t.Errorf("case %d: matrix from the original image [%d][%d] = %v, want %v", ci, r, k, mo[r][k], c.MatrixOriginal[r][k])
				}
			}
		}
		cropJoints(kpts, tr, jt, cw, ch)
		for k := 0; k < 17; k++ {
			w := c.JointsOut[k]
			if float64(kpts[3*k+2]) != w[2] {
				t.Errorf("case %d: joint %d visibility %v, want %v", ci, k, kpts[3*k+2], w[2])
			}
			if w[2] == 0 {
				continue
			}
			for a := 0; a < 2; a++ { // float32 output: 1e-6 relative
				if !near(float64(kpts[3*k+a]), w[a], 1e-6) {
					t.Errorf("case %d: joint %d = (%v, %v), want (%v, %v)", ci, k, kpts[3*k], kpts[3*k+1], w[0], w[1])
					break
				}
			}
		}
		// The crop, from the original image through the composed matrix.
		if err := pipeline.CropCHW(crop, img, mo, cw, ch); err != nil {
			t.Fatal(err)
		}
		inv, err := mo.Invert()
		if err != nil {
			t.Fatal(err)
		}
		per := cw * ch * 3
		ex, ocv := exact[ci*per:(ci+1)*per], cv[ci*per:(ci+1)*per]
		worstExact, worstCV := 0.0, 0.0
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				sx, sy := inv.Apply(float64(x), float64(y))
				for k := 0; k < 3; k++ {
					v := (float64(crop[k*cw*ch+y*cw+x])*float64(chanStd[k]) + float64(chanMean[k])) * 255
					hwc := (y*cw+x)*3 + k
					worstExact = math.Max(worstExact, math.Abs(v-float64(ex[hwc])))
					d := math.Abs(v - float64(ocv[hwc]))
					// OpenCV rounds the source position to 1/32 pixel
					// (through the mirrored image: sx' = W-1-sx).
					bound := 2*(1.0/32+1.0/1024)*localRange(img, sx, sy, k) + 1e-2
					worstCV = math.Max(worstCV, d/bound)
					if d > bound {
						t.Errorf("case %d: crop (%d, %d, %d) = %.3f, OpenCV %.3f (bound %.3f)", ci, x, y, k, v, ocv[hwc], bound)
					}
				}
			}
		}
		if worstExact > 1e-3 {
			t.Errorf("case %d: crop differs from the exact bilinear warp by %.3g grey levels (limit 1e-3)", ci, worstExact)
		}
		t.Logf("case %d: flip %v half-body %v rotation %.1f: crop within %.2g of exact, %.0f%% of OpenCV's bound",
			ci, c.Flip, c.HalfBody, c.Rotation, worstExact, 100*worstCV)
	}
}

// localRange is the range of channel c over the 4x4 pixels around the
// source position (sx, sy), pixels outside the image counting as 0.
func localRange(img *pipeline.RGB, sx, sy float64, c int) float64 {
	x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := y0 - 1; y <= y0+2; y++ {
		for x := x0 - 1; x <= x0+2; x++ {
			v := 0.0
			if x >= 0 && y >= 0 && x < img.W && y < img.H {
				v = float64(img.Pix[3*(y*img.W+x)+c])
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return hi - lo
}

// TestRotatedCropMatrixZero checks that the rotation-free matrix is bit
// for bit the inference crop matrix (so an un-augmented sample is the
// inference crop).
func TestRotatedCropMatrixZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		f := pipeline.Frame{CX: rng.Float64()*800 - 100, CY: rng.Float64()*600 - 50, SW: 1 + rng.Float64()*500, SH: 1 + rng.Float64()*700}
		if got, want := RotatedCropMatrix(f, 0, 192, 256), f.CropMatrix(192, 256); got != want {
			t.Fatalf("frame %+v: %v, want %v", f, got, want)
		}
	}
}

// TestFlipJointsTwice: flipping twice gives the labelled joints back (x to
// 1e-13: W-1-(W-1-x) rounds).
func TestFlipJointsTwice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		var j Joints
		for k := range j {
			j[k] = [3]float64{rng.Float64() * 300, rng.Float64() * 200, float64(rng.IntN(3))}
			if j[k][2] == 0 {
				j[k][0], j[k][1] = 0, 0
			}
		}
		w := 100 + rng.IntN(400)
		f := FlipJoints(j, w)
		for _, p := range pipeline.FlipPairs {
			if f[p[0]][2] != j[p[1]][2] || (j[p[1]][2] > 0 && f[p[0]][0] != float64(w-1)-j[p[1]][0]) {
				t.Fatalf("pair %v not swapped and mirrored: %v from %v", p, f[p[0]], j[p[1]])
			}
		}
		ff := FlipJoints(f, w)
		for k := range ff {
			if !near(ff[k][0], j[k][0], 1e-13) || ff[k][1] != j[k][1] || ff[k][2] != j[k][2] {
				t.Fatalf("flip twice: joint %d %v, want %v", k, ff[k], j[k])
			}
		}
	}
}

// TestFlipMirrorsCrop checks that a flipped sample is the mirror image of
// the unflipped one rotated the other way (UDP makes the flip exact): the
// crops agree to 1e-4 (float rounding of the source positions) and the
// keypoints swap pairs with x -> w-1-x to 1e-4 pixel.
func TestFlipMirrorsCrop(t *testing.T) {
	img := pipeline.NewRGB(90, 70)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	const cw, ch = 24, 32
	a, b := make([]float32, 3*cw*ch), make([]float32, 3*cw*ch)
	ka, kb := make([]float32, 51), make([]float32, 51)
	var j Joints
	for k := range j {
		j[k] = [3]float64{20 + rng.Float64()*40, 10 + rng.Float64()*50, float64(1 + k%2)}
	}
	for _, rot := range []float64{0, 17, -33.5} {
		f := pipeline.Frame{CX: 41.3, CY: 33.8, SW: 45, SH: 60}
		plain := Transform{Frame: f, Rotation: -rot, ImageW: img.W}
		flipped := Transform{Flip: true, Frame: f, Rotation: rot, ImageW: img.W}
		flipped.Frame.CX = float64(img.W) - 1 - f.CX
		if err := pipeline.CropCHW(a, img, plain.Matrix(cw, ch), cw, ch); err != nil {
			t.Fatal(err)
		}
		if err := pipeline.CropCHW(b, img, flipped.Matrix(cw, ch), cw, ch); err != nil {
			t.Fatal(err)
		}
		for c := 0; c < 3; c++ {
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					va, vb := a[(c*ch+y)*cw+x], b[(c*ch+y)*cw+cw-1-x]
					if math.Abs(float64(va-vb)) > 1e-4 {
						t.Fatalf("rotation %v: crop (%d, %d, %d) %v, flipped crop mirrored %v", rot, c, y, x, va, vb)
					}
				}
			}
		}
		cropJoints(ka, plain, j, cw, ch)
		cropJoints(kb, flipped, FlipJoints(j, img.W), cw, ch)
		swap := func(k int) int {
			for _, p := range pipeline.FlipPairs {
				if p[0] == k {
					return p[1]
				}
				if p[1] == k {
					return p[0]
				}
			}
			return k
		}
		for k := 0; k < 17; k++ {
			s := swap(k)
			if math.Abs(float64(kb[3*s]-(cw-1-ka[3*k]))) > 1e-4 || math.Abs(float64(kb[3*s+1]-ka[3*k+1])) > 1e-4 || kb[3*s+2] != ka[3*k+2] {
				t.Fatalf("rotation %v: joint %d (%v) and flipped joint %d (%v) are not mirrored", rot, k, ka[3*k:3*k+3], s, kb[3*s:3*s+3])
			}
		}
	}
}

func TestHalfBodyFrame(t *testing.T) {
	set := func(ks ...int) *Joints {
		var j Joints
		for _, k := range ks {
			j[k] = [3]float64{float64(10 + 3*k), float64(5 + 7*k), 2}
		}
		return &j
	}
	tests := []struct {
		name      string
		j         *Joints
		upper     bool
		ok        bool
		center    [2]float64
		wantWidth float64
	}{
		// Upper 0, 5, 9: x 10..37 mean 24.67, y 5..68 mean 36.33; h 63 -> w 47.25.
		{"upper", set(0, 5, 9, 11, 13, 15), true, true, [2]float64{(10 + 25 + 37) / 3.0, (5 + 40 + 68) / 3.0}, 47.25 * 1.5},
		// Lower 11, 13, 15: x 43..55, y 82..110: h 28 -> w 21.
		{"lower", set(0, 5, 9, 11, 13, 15), false, true, [2]float64{49, 96}, 21 * 1.5},
		// Two upper joints only: the lower body even when the upper is drawn.
		{"upper too few", set(0, 5, 11, 13, 15), true, true, [2]float64{49, 96}, 21 * 1.5},
		// Two lower joints: the upper body even when the lower is drawn.
		{"lower too few", set(0, 5, 9, 11, 13), false, true, [2]float64{(10 + 25 + 37) / 3.0, (5 + 40 + 68) / 3.0}, 47.25 * 1.5},
		{"one joint", set(3), false, false, [2]float64{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := HalfBodyFrame(tc.j, 0.75, tc.upper)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if !near(f.CX, tc.center[0], 1e-12) || !near(f.CY, tc.center[1], 1e-12) || !near(f.SW, tc.wantWidth, 1e-12) || !near(f.SH, f.SW/0.75, 1e-12) {
				t.Errorf("frame %+v, want centre %v width %v", f, tc.center, tc.wantWidth)
			}
		})
	}
}

func TestAugmentCheck(t *testing.T) {
	tests := []struct {
		name string
		a    Augment
		ok   bool
	}{
		{"none", NoAugment(), true},
		{"default", DefaultAugment(), true},
		{"heavy", Augment{Flip: true, Scale: 0.5, Rotation: 40, HalfBody: 0.3, Color: true, Interference: synth.Heavy}, true},
		{"scale 1", Augment{Scale: 1}, false},
		{"negative scale", Augment{Scale: -0.1}, false},
		{"NaN rotation", Augment{Rotation: math.NaN()}, false},
		{"rotation 200", Augment{Rotation: 200}, false},
		{"half-body 2", Augment{HalfBody: 2}, false},
		{"level 7", Augment{Interference: 7}, false},
	}
	for _, tc := range tests {
		if err := tc.a.Check(); (err == nil) != tc.ok {
			t.Errorf("%s: Check() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestTransformDraws checks the frequencies and ranges of DefaultAugment's
// random choices: flip 0.5, half-body 0.3 (the person has 17 labelled
// keypoints), rotation 0.6 within 2*45 degrees, scale within 1 +- 0.35.
func TestTransformDraws(t *testing.T) {
	f := pipeline.Frame{CX: 100, CY: 80, SW: 90, SH: 120}
	var j Joints
	for k := range j {
		j[k] = [3]float64{60 + float64(k*5), 30 + float64(k*7), 2}
	}
	flips, halves, rots := 0, 0, 0
	const n = 4000
	for i := 0; i < n; i++ {
		d := drawGeometry(rand.New(rand.NewPCG(uint64(i), 9)))
		tr, _ := DefaultAugment().transform(f, j, 300, 0.75, d)
		if tr.Flip {
			flips++
		}
		if tr.HalfBody {
			halves++
		}
		if tr.Rotation != 0 {
			rots++
			if math.Abs(tr.Rotation) > 90 {
				t.Fatalf("rotation %v beyond 2*45", tr.Rotation)
			}
		}
		if s := tr.Frame.SW / 90; !tr.HalfBody && (s < 0.65-1e-12 || s > 1.35+1e-12) {
			t.Fatalf("scale %v outside [0.65, 1.35]", s)
		}
	}
	// Binomial proportions within 5 standard deviations.
	for _, c := range []struct {
		name string
		got  int
		p    float64
	}{{"flip", flips, 0.5}, {"half-body", halves, 0.3}, {"rotation", rots, 0.6}} {
		sd := math.Sqrt(n * c.p * (1 - c.p))
		if math.Abs(float64(c.got)-n*c.p) > 5*sd {
			t.Errorf("%s in %d of %d samples, want about %.0f", c.name, c.got, n, n*c.p)
		}
	}
}
