package train

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
)

// synthDir writes a small synthetic dataset (n images, all in train.json)
// and returns its folder.
func synthDir(t testing.TB, n int, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Options{Dir: dir, N: n, Seed: seed, Workers: 2}, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openSynth(t testing.TB, dir string, o DataOptions) *Dataset {
	t.Helper()
	d, err := OpenDatasetOptions(filepath.Join(dir, "train.json"), filepath.Join(dir, "images"), o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSampleNoAugment checks that an un-augmented sample is bit for bit
// the inference crop of its ground-truth box (pipeline.CropPerson) and that
// its keypoints are the crop matrix applied to the annotation.
func TestSampleNoAugment(t *testing.T) {
	dir := synthDir(t, 3, 7)
	d := openSynth(t, dir, DataOptions{})
	if h, w := d.InputSize(); h != 256 || w != 192 {
		t.Fatalf("default input size %dx%d", w, h)
	}
	img := make([]float32, 3*256*192)
	want := make([]float32, 3*256*192)
	kpts := make([]float32, 51)
	for i := 0; i < d.Len(); i++ {
		if err := d.Sample(i, nil, NoAugment(), img, kpts); err != nil {
			t.Fatal(err)
		}
		im, err := pipeline.LoadImage(d.ImagePath(i))
		if err != nil {
			t.Fatal(err)
		}
		a := d.Annotation(i)
		f := pipeline.Box{X: a.BBox[0], Y: a.BBox[1], W: a.BBox[2], H: a.BBox[3]}.Frame(192, 256)
		if f != d.Frame(i) {
			t.Fatalf("sample %d: frame %+v, want %+v", i, d.Frame(i), f)
		}
		if err := pipeline.CropPerson(want, nil, im, f, 192, 256); err != nil {
			t.Fatal(err)
		}
		for k := range img {
			if img[k] != want[k] {
				t.Fatalf("sample %d: value %d = %v, inference crop %v", i, k, img[k], want[k])
			}
		}
		m := f.CropMatrix(192, 256)
		for k := 0; k < 17; k++ {
			x, y, v := a.Keypoints[3*k], a.Keypoints[3*k+1], a.Keypoints[3*k+2]
			if v == 0 {
				if kpts[3*k] != 0 || kpts[3*k+1] != 0 || kpts[3*k+2] != 0 {
					t.Errorf("sample %d: unlabelled joint %d is %v", i, k, kpts[3*k:3*k+3])
				}
				continue
			}
			u, w := m.Apply(x, y)
			if kpts[3*k] != float32(u) || kpts[3*k+1] != float32(w) || kpts[3*k+2] != float32(v) {
				t.Errorf("sample %d: joint %d is %v, want (%v, %v, %v)", i, k, kpts[3*k:3*k+3], u, w, v)
			}
		}
	}
}

// dotDataset writes images with one bright dot each, at keypoint dotJoint
// of the person annotated on it; the other keypoints are labelled where the
// picture is black.
func dotDataset(t *testing.T, dotJoints []int) (ann, dir string) {
	t.Helper()
	dir = t.TempDir()
	ds := &coco.Dataset{Images: []coco.Image{}, Annotations: []coco.Annotation{}, Categories: []coco.Category{coco.PersonCategory()}}
	rng := rand.New(rand.NewPCG(11, 12))
	const W, H = 200, 150
	for n, dj := range dotJoints {
		box := [4]float64{50 + rng.Float64()*30, 20 + rng.Float64()*20, 60 + rng.Float64()*20, 90 + rng.Float64()*20}
		kp := make([]float64, 51)
		for k := 0; k < 17; k++ {
			kp[3*k] = math.Round(box[0] + 0.1*box[2] + 0.8*box[2]*rng.Float64())
			kp[3*k+1] = math.Round(box[1] + 0.1*box[3] + 0.8*box[3]*rng.Float64())
			kp[3*k+2] = float64(1 + rng.IntN(2))
		}
		img := image.NewRGBA(image.Rect(0, 0, W, H))
		cx, cy := kp[3*dj], kp[3*dj+1]
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				r2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				v := uint8(math.Round(255 * math.Exp(-r2/(2*1.5*1.5))))
				img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		name := filepath.Join("dots", string(rune('a'+n))+".png")
		if err := os.MkdirAll(filepath.Join(dir, "dots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := pipeline.WritePNG(filepath.Join(dir, name), img); err != nil {
			t.Fatal(err)
		}
		ds.Images = append(ds.Images, coco.Image{ID: int64(n + 1), FileName: name, Width: W, Height: H})
		ds.Annotations = append(ds.Annotations, coco.Annotation{ID: int64(n + 1), ImageID: int64(n + 1), CategoryID: 1,
			Keypoints: kp, NumKeypoints: 17, BBox: box, Area: box[2] * box[3]})
	}
	ann = filepath.Join(dir, "dots.json")
	if err := coco.WriteDataset(ann, ds); err != nil {
		t.Fatal(err)
	}
	return ann, dir
}

// partner is keypoint k's left/right counterpart (k itself if unpaired).
func partner(k int) int {
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

// TestKeypointFollowsDot renders a bright dot at one keypoint and checks,
// over many augmented samples (flip, scale, rotation, half-body), that the
// dot's centroid in the crop is within 1 pixel of that keypoint's crop
// position (its partner's after a flip).
func TestKeypointFollowsDot(t *testing.T) {
	dots := []int{9, 0, 16}
	ann, dir := dotDataset(t, dots)
	d, err := OpenDataset(ann, dir, 256, 192)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 192, 256
	img := make([]float32, 3*w*h)
	kpts := make([]float32, 51)
	aug := DefaultAugment()
	aug.HalfBody = 0.5
	checked, flips, halves, rots := 0, 0, 0, 0
	for it := 0; it < 60; it++ {
		i := it % d.Len()
		tr, err := d.SampleTransform(i, SampleRNG(5, it, i), aug, img, kpts)
		if err != nil {
			t.Fatal(err)
		}
		k := dots[i]
		if tr.Flip {
			k = partner(k)
			flips++
		}
		if tr.HalfBody {
			halves++
		}
		if tr.Rotation != 0 {
			rots++
		}
		kx, ky := float64(kpts[3*k]), float64(kpts[3*k+1])
		if kx < 12 || ky < 12 || kx > w-13 || ky > h-13 {
			continue // the dot left the crop
		}
		// Centroid of the red channel above the background, in a window.
		var sx, sy, s float64
		for y := int(ky) - 12; y <= int(ky)+12; y++ {
			for x := int(kx) - 12; x <= int(kx)+12; x++ {
				v := float64(img[y*w+x])*float64(chanStd[0]) + float64(chanMean[0])
				if v > 0.05 {
					sx += v * float64(x)
					sy += v * float64(y)
					s += v
				}
			}
		}
		if s == 0 {
			t.Fatalf("sample %d (%+v): no dot near keypoint %d at (%.1f, %.1f)", it, tr, k, kx, ky)
		}
		cx, cy := sx/s, sy/s
		if math.Hypot(cx-kx, cy-ky) > 1 {
			t.Errorf("sample %d (%+v): dot at (%.2f, %.2f), keypoint %d at (%.2f, %.2f)", it, tr, cx, cy, k, kx, ky)
		}
		checked++
	}
	t.Logf("checked %d samples: %d flipped, %d half-body, %d rotated", checked, flips, halves, rots)
	if checked < 30 || flips == 0 || halves == 0 || rots == 0 {
		t.Fatalf("too few cases exercised: %d checked, %d flipped, %d half-body, %d rotated", checked, flips, halves, rots)
	}
}

// TestSampleDeterministic: the same generator state gives the same sample;
// colour jitter and interference leave the geometry (keypoints) as it is.
func TestSampleDeterministic(t *testing.T) {
	d := openSynth(t, synthDir(t, 2, 3), DataOptions{InputH: 64, InputW: 48})
	n := 3 * 64 * 48
	a, b := make([]float32, n), make([]float32, n)
	ka, kb := make([]float32, 51), make([]float32, 51)
	full := DefaultAugment()
	full.Color, full.Interference = true, synth.Heavy
	for i := 0; i < d.Len(); i++ {
		if err := d.Sample(i, SampleRNG(1, 0, i), full, a, ka); err != nil {
			t.Fatal(err)
		}
		if err := d.Sample(i, SampleRNG(1, 0, i), full, b, kb); err != nil {
			t.Fatal(err)
		}
		if !equalF32(a, b) || !equalF32(ka, kb) {
			t.Fatalf("sample %d differs between two runs with the same generator", i)
		}
		if err := d.Sample(i, SampleRNG(1, 0, i), DefaultAugment(), b, kb); err != nil {
			t.Fatal(err)
		}
		if !equalF32(ka, kb) {
			t.Fatalf("sample %d: photometric augmentation moved the keypoints: %v vs %v", i, ka, kb)
		}
		if equalF32(a, b) {
			t.Fatalf("sample %d: colour jitter and heavy interference changed nothing", i)
		}
		for j, v := range a {
			c := j / (64 * 48)
			lo, hi := -chanMean[c]/chanStd[c], (1-chanMean[c])/chanStd[c]
			if !(v >= lo-1e-5 && v <= hi+1e-5) {
				t.Fatalf("sample %d: channel %d value %v outside the normalised [0, 1] range [%v, %v]", i, c, v, lo, hi)
			}
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestColorJitter(t *testing.T) {
	// 2 pixels: factors 1 leave values; brightness scales; saturation 0
	// gives grey; contrast 0 gives the mean luma.
	base := []float32{0.2, 0.8, 0.5, 0.1, 0.3, 0.9}
	tests := []struct {
		name    string
		b, c, s float32
		want    []float32
	}{
		{"identity", 1, 1, 1, base},
		{"brightness", 1.2, 1, 1, []float32{0.24, 0.96, 0.6, 0.12, 0.36, 1}},
		{"contrast 0", 1, 0, 1, nil},
		{"saturation 0", 1, 1, 0, nil},
	}
	for _, tc := range tests {
		p := append([]float32(nil), base...)
		colorJitter(p, 2, tc.b, tc.c, tc.s)
		switch tc.name {
		case "contrast 0":
			var m float32
			for i := 0; i < 2; i++ {
				m += (0.299*base[i] + 0.587*base[2+i] + 0.114*base[4+i]) / 2
			}
			for i, v := range p {
				if math.Abs(float64(v-m)) > 1e-6 {
					t.Errorf("%s: value %d = %v, want the mean luma %v", tc.name, i, v, m)
				}
			}
		case "saturation 0":
			for i := 0; i < 2; i++ {
				g := 0.299*base[i] + 0.587*base[2+i] + 0.114*base[4+i]
				for c := 0; c < 3; c++ {
					if math.Abs(float64(p[c*2+i]-g)) > 1e-6 {
						t.Errorf("%s: pixel %d channel %d = %v, want grey %v", tc.name, i, c, p[c*2+i], g)
					}
				}
			}
		default:
			for i := range p {
				if math.Abs(float64(p[i]-tc.want[i])) > 1e-6 {
					t.Errorf("%s: value %d = %v, want %v", tc.name, i, p[i], tc.want[i])
				}
			}
		}
	}
}

// writeAnn writes a dataset file for error tests.
func writeAnn(t *testing.T, dir string, ds *coco.Dataset) string {
	t.Helper()
	p := filepath.Join(dir, "ann.json")
	if err := coco.WriteDataset(p, ds); err != nil {
		t.Fatal(err)
	}
	return p
}

func person(id, image int64, box [4]float64, nk int, crowd int) coco.Annotation {
	kp := make([]float64, 51)
	for k := 0; k < nk; k++ {
		kp[3*k], kp[3*k+1], kp[3*k+2] = box[0]+1, box[1]+1, 2
	}
	return coco.Annotation{ID: id, ImageID: image, CategoryID: 1, Keypoints: kp, NumKeypoints: nk, BBox: box, Area: box[2] * box[3], IsCrowd: crowd}
}

func TestDatasetSkips(t *testing.T) {
	dir := t.TempDir()
	if err := pipeline.WritePNG(filepath.Join(dir, "a.png"), image.NewRGBA(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	ds := &coco.Dataset{
		Images:     []coco.Image{{ID: 1, FileName: "a.png", Width: 64, Height: 48}, {ID: 2, FileName: "missing.png", Width: 64, Height: 48}},
		Categories: []coco.Category{coco.PersonCategory(), {ID: 2, Name: "dog"}},
		Annotations: []coco.Annotation{
			person(1, 1, [4]float64{10, 10, 20, 30}, 5, 0),  // kept
			person(2, 1, [4]float64{10, 10, 20, 30}, 5, 1),  // crowd
			person(3, 1, [4]float64{10, 10, 20, 30}, 0, 0),  // no keypoints
			person(4, 1, [4]float64{10, 10, 0, 30}, 5, 0),   // empty box
			person(5, 1, [4]float64{70, 10, 20, 30}, 5, 0),  // outside the image
			person(6, 2, [4]float64{10, 10, 20, 30}, 0, 0),  // on the missing image, but skipped
			person(7, 1, [4]float64{-5, -5, 20, 30}, 17, 0), // kept (partly outside)
		},
	}
	ds.Annotations = append(ds.Annotations, person(8, 1, [4]float64{10, 10, 20, 30}, 5, 0))
	ds.Annotations[7].CategoryID = 2 // a dog
	d, err := OpenDataset(writeAnn(t, dir, ds), dir, 32, 24)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 || d.Skipped() != 6 {
		t.Fatalf("%d samples and %d skipped, want 2 and 6", d.Len(), d.Skipped())
	}
	if d.Annotation(0).ID != 1 || d.Annotation(1).ID != 7 {
		t.Fatalf("samples are annotations %d and %d, want 1 and 7", d.Annotation(0).ID, d.Annotation(1).ID)
	}
	if d.Coco() == nil || len(d.Coco().Annotations) != 8 {
		t.Fatal("Coco() does not return the whole annotation file")
	}
}

func TestDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	if err := pipeline.WritePNG(filepath.Join(dir, "a.png"), image.NewRGBA(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := func() *coco.Dataset {
		return &coco.Dataset{
			Images:      []coco.Image{{ID: 1, FileName: "a.png", Width: 64, Height: 48}},
			Categories:  []coco.Category{coco.PersonCategory()},
			Annotations: []coco.Annotation{person(1, 1, [4]float64{10, 10, 20, 30}, 5, 0)},
		}
	}
	malformed := filepath.Join(dir, "malformed.json")
	if err := os.WriteFile(malformed, []byte(`{"images": [{"id": 1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, cocoErr := coco.ReadDataset(malformed)
	if cocoErr == nil {
		t.Fatal("the coco reader accepts a malformed file")
	}

	open := func(mod func(*coco.Dataset)) error {
		ds := good()
		mod(ds)
		sub := t.TempDir()
		p := writeAnn(t, sub, ds)
		_, err := OpenDataset(p, dir, 32, 24)
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"missing image", func() error {
			return open(func(ds *coco.Dataset) { ds.Images[0].FileName = "nope.jpg" })
		}, filepath.Join(dir, "nope.jpg")},
		{"malformed JSON", func() error {
			_, err := OpenDataset(malformed, dir, 32, 24)
			return err
		}, cocoErr.Error()},
		{"missing annotation file", func() error {
			_, err := OpenDataset(filepath.Join(dir, "none.json"), dir, 32, 24)
			return err
		}, "none.json"},
		{"no person category", func() error {
			return open(func(ds *coco.Dataset) {
				ds.Categories[0].Name = "cat"
			})
		}, `no category is named "person"`},
		{"no samples", func() error {
			return open(func(ds *coco.Dataset) { ds.Annotations[0].IsCrowd = 1 })
		}, "no person annotation with labelled keypoints"},
		{"input size", func() error {
			_, err := OpenDataset(filepath.Join(dir, "none.json"), dir, 1, 24)
			return err
		}, "input size"},
	}
	for _, tc := range tests {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}

	// Errors at sample time: an undecodable image names its path, a size
	// that disagrees with the annotations is reported, bad buffers and
	// indices are refused.
	ds := good()
	ds.Images = append(ds.Images, coco.Image{ID: 2, FileName: "bad.png", Width: 64, Height: 48}, coco.Image{ID: 3, FileName: "a.png", Width: 80, Height: 48})
	ds.Annotations = append(ds.Annotations, person(2, 2, [4]float64{10, 10, 20, 30}, 5, 0), person(3, 3, [4]float64{10, 10, 20, 30}, 5, 0))
	d, err := OpenDataset(writeAnn(t, t.TempDir(), ds), dir, 32, 24)
	if err != nil {
		t.Fatal(err)
	}
	img, kp := make([]float32, 3*32*24), make([]float32, 51)
	sampleTests := []struct {
		name string
		err  error
		want string
	}{
		{"good", d.Sample(0, nil, NoAugment(), img, kp), ""},
		{"undecodable", d.Sample(1, nil, NoAugment(), img, kp), filepath.Join(dir, "bad.png")},
		{"size mismatch", d.Sample(2, nil, NoAugment(), img, kp), "the annotations say 80x48"},
		{"index", d.Sample(3, nil, NoAugment(), img, kp), "out of range"},
		{"buffer", d.Sample(0, nil, NoAugment(), img[1:], kp), "buffers"},
		{"nil generator", d.Sample(0, nil, DefaultAugment(), img, kp), "random generator"},
		{"bad augment", d.Sample(0, SampleRNG(1, 0, 0), Augment{Scale: 2}, img, kp), "scale factor"},
	}
	for _, tc := range sampleTests {
		if tc.want == "" {
			if tc.err != nil {
				t.Errorf("%s: %v", tc.name, tc.err)
			}
			continue
		}
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestImageCache(t *testing.T) {
	const size = 10 * 10 * 3
	var loads sync.Map
	load := func(k int) func() (*pipeline.RGB, error) {
		return func() (*pipeline.RGB, error) {
			n, _ := loads.LoadOrStore(k, new(int))
			*n.(*int)++
			if k < 0 {
				return nil, errors.New("broken")
			}
			return pipeline.NewRGB(10, 10), nil
		}
	}
	c := newImageCache(3 * size) // room for three images
	for _, k := range []int{1, 2, 3, 1, 4, 2, 1} {
		if _, err := c.get(k, load(k)); err != nil {
			t.Fatal(err)
		}
	}
	// 1 2 3 (misses), 1 (hit), 4 evicts 2, 2 evicts 3, 1 hit.
	s := c.snapshot()
	if s.Hits != 2 || s.Misses != 5 || s.Evictions != 2 || s.Images != 3 || s.Bytes != 3*size {
		t.Fatalf("stats %+v", s)
	}
	for k, want := range map[int]int{1: 1, 2: 2, 3: 1, 4: 1} {
		n, _ := loads.Load(k)
		if *n.(*int) != want {
			t.Errorf("image %d loaded %d times, want %d", k, *n.(*int), want)
		}
	}
	// Errors are returned and not kept.
	for i := 0; i < 2; i++ {
		if _, err := c.get(-1, load(-1)); err == nil {
			t.Fatal("no error from a failing load")
		}
	}
	if n, _ := loads.Load(-1); *n.(*int) != 2 {
		t.Errorf("a failed load was kept")
	}
	// Concurrent requests for one image decode it once.
	c2 := newImageCache(100 * size)
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c2.get(7, func() (*pipeline.RGB, error) {
				mu.Lock()
				count++
				mu.Unlock()
				return pipeline.NewRGB(10, 10), nil
			})
		}()
	}
	wg.Wait()
	if count != 1 {
		t.Errorf("one image decoded %d times by concurrent requests", count)
	}
	// A zero bound keeps nothing.
	c3 := newImageCache(0)
	c3.get(1, load(100))
	c3.get(1, load(100))
	if s := c3.snapshot(); s.Images != 0 || s.Misses != 2 {
		t.Errorf("uncached stats %+v", s)
	}
}
