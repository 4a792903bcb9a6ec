package synth

import (
	"bytes"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
)

// readTree returns every file under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGenerateDeterministic writes the same dataset with one worker under
// GOMAXPROCS=1 and with three workers under GOMAXPROCS=2 and checks the
// files are identical byte for byte, that another seed differs, and that
// the images are RenderSample's for SampleRNG(seed, i).
func TestGenerateDeterministic(t *testing.T) {
	gen := func(seed uint64, workers, procs int) (map[string][]byte, *coco.Dataset) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		dir := t.TempDir()
		ds, err := Generate(Options{Dir: dir, N: 7, Seed: seed, Interference: Mixed, Val: 0.3, Workers: workers}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return readTree(t, dir), ds
	}
	a, ds := gen(11, 1, 1)
	b, _ := gen(11, 3, 2)
	c, _ := gen(12, 2, 2)
	var names []string
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"images/000001.jpg", "images/000002.jpg", "images/000003.jpg", "images/000004.jpg",
		"images/000005.jpg", "images/000006.jpg", "images/000007.jpg", "train.json", "val.json"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("files %v, want %v", names, want)
	}
	for _, n := range names {
		if !bytes.Equal(a[n], b[n]) {
			t.Errorf("%s differs between 1 worker / GOMAXPROCS 1 and 3 workers / GOMAXPROCS 2", n)
		}
		if strings.HasSuffix(n, ".jpg") && bytes.Equal(a[n], c[n]) {
			t.Errorf("%s is the same for seeds 11 and 12", n)
		}
	}
	// Image 4 decodes to RenderSample's picture, up to the JPEG encoding.
	s, err := RenderSample(SampleRNG(11, 3), Options{Interference: Mixed})
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(a["images/000004.jpg"]))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, s.Image, &jpeg.Options{Quality: DefaultQuality}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), a["images/000004.jpg"]) {
		t.Error("images/000004.jpg is not RenderSample(SampleRNG(11, 3)) encoded")
	}
	if img.Bounds().Dx() != DefaultWidth || img.Bounds().Dy() != DefaultHeight {
		t.Errorf("image size %v", img.Bounds())
	}
	// The split: 0.3 * 7 rounds to 2 validation images, the last two.
	var train, val coco.Dataset
	for _, f := range []struct {
		name string
		d    *coco.Dataset
	}{{"train.json", &train}, {"val.json", &val}} {
		d, err := coco.ReadDatasetFrom(bytes.NewReader(a[f.name]))
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		*f.d = *d
	}
	if len(train.Images) != 5 || len(val.Images) != 2 || val.Images[0].ID != 6 || val.Images[1].FileName != "000007.jpg" {
		t.Errorf("split: train %v, val %v", train.Images, val.Images)
	}
	if len(train.Annotations)+len(val.Annotations) != len(ds.Annotations) {
		t.Errorf("%d + %d annotations in the files, %d returned", len(train.Annotations), len(val.Annotations), len(ds.Annotations))
	}
	for i, a := range ds.Annotations {
		if a.ID != int64(i+1) {
			t.Fatalf("annotation %d has id %d", i, a.ID)
		}
	}
	for _, a := range val.Annotations {
		if a.ImageID < 6 {
			t.Errorf("val annotation %d on train image %d", a.ID, a.ImageID)
		}
	}
	if len(s.Annotations) == 0 {
		t.Fatal("image 4 has no people")
	}
	var on4 []coco.Annotation
	for _, a := range ds.Annotations {
		if a.ImageID == 4 {
			a.ID, a.ImageID = 0, 0
			on4 = append(on4, a)
		}
	}
	if len(on4) != len(s.Annotations) {
		t.Fatalf("image 4: %d annotations in the dataset, %d from RenderSample", len(on4), len(s.Annotations))
	}
	if err := ds.Validate(); err != nil {
		t.Errorf("returned dataset: %v", err)
	}
}

// TestGenerateSplits checks which files the validation fraction writes.
func TestGenerateSplits(t *testing.T) {
	for _, tc := range []struct {
		val         float64
		n           int
		train, vals int // images in each file, -1 for no file
	}{{0, 3, 3, -1}, {1, 3, -1, 3}, {0.5, 3, 1, 2}, {0.2, 4, 3, 1}, {0.1, 4, 4, -1}} {
		dir := t.TempDir()
		if _, err := Generate(Options{Dir: dir, N: tc.n, Val: tc.val, Width: 96, Height: 64}, nil); err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			name string
			want int
		}{{"train.json", tc.train}, {"val.json", tc.vals}} {
			path := filepath.Join(dir, f.name)
			if f.want < 0 {
				if _, err := os.Stat(path); err == nil {
					t.Errorf("val %v: %s written", tc.val, f.name)
				}
				continue
			}
			d, err := coco.ReadDataset(path)
			if err != nil {
				t.Fatalf("val %v: %v", tc.val, err)
			}
			if len(d.Images) != f.want {
				t.Errorf("val %v: %s has %d images, want %d", tc.val, f.name, len(d.Images), f.want)
			}
		}
	}
}

// TestOptionsErrors checks that bad options are refused with an error
// naming the field.
func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Width: 32, Height: 100}, "image size 32x100"},
		{Options{Width: 100}, "image size 100x0"},
		{Options{MinPeople: 3, MaxPeople: 2}, "people per image 3 to 2"},
		{Options{MaxPeople: 40}, "people per image 0 to 40"},
		{Options{Quality: 101}, "JPEG quality 101"},
		{Options{Val: 1.5}, "validation fraction 1.5"},
		{Options{N: -1}, "image count -1"},
		{Options{Workers: -2}, "workers -2"},
		{Options{Interference: Level(5)}, "unknown interference level 5"},
		{Options{MaxYaw: -10}, "maximum yaw -10"},
		{Options{MaxYaw: 181}, "maximum yaw 181"},
		{Options{MaxYaw: math.NaN()}, "maximum yaw NaN"},
	} {
		if err := tc.o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.o, err, tc.want)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	if _, err := Generate(Options{N: 1}, nil); err == nil || !strings.Contains(err.Error(), "no output folder") {
		t.Errorf("no folder: %v", err)
	}
	// A file where the images folder should be.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "images"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(Options{Dir: dir, N: 2}, nil); err == nil {
		t.Error("unwritable images folder: no error")
	}
}

// TestGenerateProgress checks the progress callback's calls.
func TestGenerateProgress(t *testing.T) {
	var got []int
	if _, err := Generate(Options{Dir: t.TempDir(), N: 5, Width: 96, Height: 64, Workers: 2}, func(done, total int) {
		if total != 5 {
			t.Errorf("total %d", total)
		}
		got = append(got, done)
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0] != 1 || got[4] != 5 {
		t.Errorf("progress calls %v", got)
	}
}

// TestMaxYaw checks that MaxYaw bounds the people's yaw, and that the
// default (any direction) draws the same poses, and so the same pictures,
// as 180 and as before the option existed (scenes keep their random draws).
func TestMaxYaw(t *testing.T) {
	for _, maxYaw := range []float64{0, 180, 60, 1} {
		o, err := Options{MaxYaw: maxYaw}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		bound := o.MaxYaw * math.Pi / 180
		r0 := rand.New(rand.NewPCG(7, 9))
		rb := rand.New(rand.NewPCG(7, 9))
		for i := 0; i < 2000; i++ {
			p := randomPose(rb, o.MaxYaw)
			ref := randomPose(r0, 180)
			if math.Abs(p.yaw) > bound+1e-12 {
				t.Fatalf("MaxYaw %v: yaw %v degrees", maxYaw, p.yaw*180/math.Pi)
			}
			if want := ref.yaw * o.MaxYaw / 180; o.MaxYaw < 180 && math.Abs(p.yaw-want) > 1e-12 || o.MaxYaw == 180 && p.yaw != ref.yaw {
				t.Fatalf("MaxYaw %v: pose %d yaw %v, want %v", maxYaw, i, p.yaw, want)
			}
			p.yaw = ref.yaw
			if p != ref {
				t.Fatalf("MaxYaw %v: pose %d differs beyond its yaw", maxYaw, i)
			}
		}
	}
}
