package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/weights"
)

// The bundled sample, from this package's folder.
var (
	sampleWeights = filepath.Join("..", "..", ladderpose.SampleWeights)
	sampleImage   = filepath.Join("..", "..", ladderpose.SampleImage)
)

// runCommand runs the command line and returns its exit status and output.
func runCommand(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readPNG decodes a PNG file.
func readPNG(t *testing.T, path string) (w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// TestPredictSample runs predict end to end on the sample image and a copy
// of it with every output: the results JSON reads back as COCO keypoint
// results (17 x, y, score triples, image ids by position), one drawing per
// image at the image's size, one heatmap grid per person, and progress with
// rate and ETA on stderr.
func TestPredictSample(t *testing.T) {
	dir := t.TempDir()
	second := filepath.Join(dir, "copy.png")
	copyFile(t, filepath.Join("..", "..", "testdata", "sample", "people.golden.png"), second)
	res, draw, hm := filepath.Join(dir, "res.json"), filepath.Join(dir, "draw"), filepath.Join(dir, "hm")
	code, stdout, stderr := runCommand("predict", "-weights", sampleWeights, "-out", res, "-draw", draw, "-heatmaps", hm, "-batch", "3", sampleImage, second)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q with -out", stdout)
	}
	for _, s := range []string{"predict: 2/2 images", "images/s, ETA", "predict: 2 images, 2 people", "results in " + res} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	rs, err := coco.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2 (one whole-image box per image)", len(rs))
	}
	for i, r := range rs {
		if r.ImageID != int64(i+1) || r.CategoryID != 1 || len(r.Keypoints) != 17*3 || r.Score < 0 {
			t.Errorf("result %d: image %d category %d, %d keypoint values, score %v", i, r.ImageID, r.CategoryID, len(r.Keypoints), r.Score)
		}
	}
	// The same image as JPEG and as lossless PNG: close but not equal
	// pixels, so scores within a few percent.
	for _, name := range []string{"people.png", "copy.png"} {
		if w, h := readPNG(t, filepath.Join(draw, name)); w != 320 || h != 240 {
			t.Errorf("drawing %s is %dx%d, want 320x240", name, w, h)
		}
	}
	for _, name := range []string{"people_0.png", "copy_0.png"} {
		if w, h := readPNG(t, filepath.Join(hm, name)); w < 192 || h < 256 {
			t.Errorf("heatmap grid %s is %dx%d", name, w, h)
		}
	}

	// Without -out the results go to stdout; they equal the file's.
	code, stdout, stderr = runCommand("predict", "-weights", sampleWeights, "-batch", "3", sampleImage, second)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(res)
	if stdout != string(want) {
		t.Errorf("stdout results differ from -out's:\n%s\n%s", stdout, want)
	}
}

// TestPredictDefaultWeights runs the README's command from a folder
// outside the repository: without -weights the bundled demo model (built
// into the command) is used.
func TestPredictDefaultWeights(t *testing.T) {
	draw := filepath.Join(t.TempDir(), "out")
	img, err := filepath.Abs(sampleImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCommand("predict", "-draw", draw, img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rs []coco.Result
	if err := json.Unmarshal([]byte(stdout), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("stdout: %d results, err %v:\n%s", len(rs), err, stdout)
	}
	readPNG(t, filepath.Join(draw, "people.png"))
}

// TestPredictDetections checks -det: boxes found by COCO-style numeric file
// names or by -gt's file names, other categories, other images and low
// scores ignored, degenerate boxes skipped with a warning, and the results'
// image ids and scores.
func TestPredictDetections(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "000000000007.jpg")
	copyFile(t, sampleImage, img)
	dets := []coco.Detection{
		{ImageID: 7, CategoryID: 1, BBox: [4]float64{174.5, 61.5, 80, 130}, Score: 0.9},
		{ImageID: 7, CategoryID: 1, BBox: [4]float64{57.5, 55.5, 110, 132}, Score: 0.8},
		{ImageID: 7, CategoryID: 1, BBox: [4]float64{10, 10, 0, 40}, Score: 0.9},    // no area
		{ImageID: 7, CategoryID: 1, BBox: [4]float64{500, 10, 20, 40}, Score: 0.9},  // outside
		{ImageID: 7, CategoryID: 1, BBox: [4]float64{20, 20, 50, 100}, Score: 0.05}, // below -det-score
		{ImageID: 7, CategoryID: 3, BBox: [4]float64{20, 20, 50, 100}, Score: 0.9},  // not a person
		{ImageID: 8, CategoryID: 1, BBox: [4]float64{20, 20, 50, 100}, Score: 0.9},  // another image
	}
	detPath := filepath.Join(dir, "det.json")
	b, _ := json.Marshal(dets)
	if err := os.WriteFile(detPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, res, stderr string, id int64) {
		t.Helper()
		rs, err := coco.ReadResults(res)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 {
			t.Fatalf("%d results, want 2", len(rs))
		}
		for _, r := range rs {
			if r.ImageID != id || r.Score > 0.9 {
				t.Errorf("result of image %d with score %v", r.ImageID, r.Score)
			}
		}
		for _, s := range []string{"000000000007.jpg: box 2: box (10, 10, 0, 40): box has no area", "box 3: box (500, 10, 20, 40) in a 320x240 image: box lies entirely outside the image", "ignored 1 detections of other categories and 1 of images not given"} {
			if !strings.Contains(stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, stderr)
			}
		}
	}
	res := filepath.Join(dir, "res.json")
	code, _, stderr := runCommand("predict", "-weights", sampleWeights, "-det", detPath, "-det-score", "0.1", "-out", res, img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	check(t, res, stderr, 7)

	// -gt maps the sample's own name to id 7.
	gt := &coco.Dataset{Images: []coco.Image{{ID: 7, FileName: "people.jpg", Width: 320, Height: 240}}, Categories: []coco.Category{coco.PersonCategory()}}
	gtPath := filepath.Join(dir, "gt.json")
	if err := coco.WriteDataset(gtPath, gt); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCommand("predict", "-weights", sampleWeights, "-det", detPath, "-det-score", "0.1", "-gt", gtPath, "-out", res, sampleImage)
	if code != 0 {
		t.Fatalf("-gt: exit %d: %s", code, stderr)
	}
	check(t, res, strings.ReplaceAll(stderr, sampleImage, "000000000007.jpg"), 7)
}

// writeSampleVariant writes the sample checkpoint with one tensor replaced
// (or, with shape nil, removed).
func writeSampleVariant(t *testing.T, path, name string, shape []int) {
	t.Helper()
	f, err := weights.Open(sampleWeights)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []weights.Tensor
	for _, n := range f.Names() {
		v, s, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		if n == name {
			if shape == nil {
				continue
			}
			s = shape
			v = make([]float32, numel(shape))
		}
		ts = append(ts, weights.Tensor{Name: n, DType: weights.F32, Shape: s, Data: append([]float32(nil), v...)})
	}
	if err := weights.Write(path, ts, f.Metadata()); err != nil {
		t.Fatal(err)
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// TestPredictErrors checks that bad input gives a clear message and a
// non-zero exit status, never a panic, and that degenerate boxes only warn.
func TestPredictErrors(t *testing.T) {
	dir := t.TempDir()
	wrongShape := filepath.Join(dir, "wrong_shape.safetensors")
	writeSampleVariant(t, wrongShape, "backbone.blocks.1.mlp.fc1.weight", []int{191, 48})
	missing := filepath.Join(dir, "missing.safetensors")
	writeSampleVariant(t, missing, "backbone.blocks.2.attn.proj.bias", nil)
	unknown := filepath.Join(dir, "unknown.safetensors")
	if err := weights.Write(unknown, []weights.Tensor{{Name: "encoder.weight", DType: weights.F32, Shape: []int{2}, Data: []float32{1, 2}}}, nil); err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile(sampleImage)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.jpg")
	if err := os.WriteFile(truncated, jpg[:len(jpg)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	badDet := filepath.Join(dir, "bad_det.json")
	if err := os.WriteFile(badDet, []byte(`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	cutDet := filepath.Join(dir, "cut_det.json")
	if err := os.WriteFile(cutDet, []byte(`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "sco`), 0o644); err != nil {
		t.Fatal(err)
	}
	numbered := filepath.Join(dir, "000000000001.jpg")
	copyFile(t, sampleImage, numbered)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	copyFile(t, sampleImage, filepath.Join(sub, "000000000001.jpg"))
	emptyDir := filepath.Join(dir, "empty")
	os.Mkdir(emptyDir, 0o755)
	gt := filepath.Join(dir, "gt.json")
	if err := coco.WriteDataset(gt, &coco.Dataset{Images: []coco.Image{{ID: 3, FileName: "other.jpg"}}}); err != nil {
		t.Fatal(err)
	}

	res := filepath.Join(dir, "res.json")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"wrong tensor shape", []string{"-weights", wrongShape, sampleImage}, 1,
			[]string{wrongShape, `tensor "backbone.blocks.1.mlp.fc1.weight" has shape [191 48], want [192 48]`}},
		{"missing tensor", []string{"-weights", missing, sampleImage}, 1,
			[]string{`missing tensor "backbone.blocks.2.attn.proj.bias"`}},
		{"unknown layout", []string{"-weights", unknown, sampleImage}, 1,
			[]string{"unknown checkpoint layout", `"encoder.weight"`}},
		{"weights not found", []string{"-weights", filepath.Join(dir, "nope.safetensors"), sampleImage}, 1,
			[]string{"nope.safetensors", "no such file"}},
		{"truncated image", []string{"-weights", sampleWeights, "-out", res, truncated, sampleImage}, 1,
			[]string{"truncated.jpg", "(skipped)", "1 of 2 images could not be read", "predict: 1 images, 1 people"}},
		{"not an image", []string{"-weights", sampleWeights, "-out", res, notImage}, 1,
			[]string{"notes.png", "1 of 1 images could not be read"}},
		{"image not found", []string{"-weights", sampleWeights, filepath.Join(dir, "nope.jpg")}, 1,
			[]string{"nope.jpg", "no such file"}},
		{"empty folder", []string{"-weights", sampleWeights, emptyDir}, 1,
			[]string{"holds no .jpg, .jpeg or .png files"}},
		{"box without area", []string{"-weights", sampleWeights, "-out", res, "-box", "10,10,0,50", sampleImage}, 0,
			[]string{"warning", "people.jpg: box 0: box (10, 10, 0, 50): box has no area", "1 images without usable boxes"}},
		{"box outside", []string{"-weights", sampleWeights, "-out", res, "-box", "-100,10,50,50", sampleImage}, 0,
			[]string{"warning", "box lies entirely outside the image"}},
		{"malformed detections", []string{"-weights", sampleWeights, "-det", badDet, numbered}, 1,
			[]string{"bad_det.json", "bbox has 3 values, want 4"}},
		{"truncated detections", []string{"-weights", sampleWeights, "-det", cutDet, numbered}, 1,
			[]string{"cut_det.json"}},
		{"detections without ids", []string{"-weights", sampleWeights, "-det", badDet, sampleImage}, 2,
			[]string{"numeric file names", "-gt"}},
		{"image not in gt", []string{"-weights", sampleWeights, "-gt", gt, sampleImage}, 1,
			[]string{`no image with file_name "people.jpg"`}},
		{"same id twice", []string{"-weights", sampleWeights, numbered, sub}, 1,
			[]string{"both have image id 1"}},
		{"det and box", []string{"-det", badDet, "-box", "1,2,3,4", sampleImage}, 2, []string{"exclude each other"}},
		{"bad box", []string{"-box", "1,2,3", sampleImage}, 2, []string{"want x,y,w,h"}},
		{"bad decoder", []string{"-weights", sampleWeights, "-decode", "argmax", sampleImage}, 1, []string{"WithDecode", "argmax"}},
		{"bad batch", []string{"-batch", "0", sampleImage}, 2, []string{"-batch 0"}},
		{"no images", []string{"-weights", sampleWeights}, 2, []string{"no images given"}},
		{"bad flag", []string{"-nope", sampleImage}, 2, []string{"flag provided but not defined"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(res)
			code, _, stderr := runCommand(append([]string{"predict"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, s := range tc.want {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a panic:\n%s", stderr)
			}
		})
	}
	// A degenerate box still writes a (empty) valid results file.
	code, _, stderr := runCommand("predict", "-weights", sampleWeights, "-out", res, "-box", "10,10,0,50", sampleImage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if rs, err := coco.ReadResults(res); err != nil || len(rs) != 0 {
		t.Errorf("degenerate box: %d results, err %v", len(rs), err)
	}
}

// TestPredictSideLevels runs predict with a side network written by
// init-side: the results equal the plain model's (zero output projection).
func TestPredictSideLevels(t *testing.T) {
	dir := t.TempDir()
	side := filepath.Join(dir, "side.safetensors")
	if code, _, stderr := runCommand("init-side", "-backbone", sampleWeights, "-out", side, "-channels", "32", "-nodes", "8"); code != 0 {
		t.Fatalf("init-side: exit %d: %s", code, stderr)
	}
	code, plain, stderr := runCommand("predict", "-weights", sampleWeights, sampleImage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, withSide, stderr := runCommand("predict", "-weights", sampleWeights, "-side", side, sampleImage)
	if code != 0 {
		t.Fatalf("-side: exit %d: %s", code, stderr)
	}
	if plain != withSide {
		t.Errorf("a fresh side network changed the results:\n%s\n%s", plain, withSide)
	}
}

// FuzzParseBox checks that -box parsing never panics and accepts exactly
// four numbers.
func FuzzParseBox(f *testing.F) {
	for _, s := range []string{"1,2,3,4", " 1.5, -2 ,3e2,4", "1,2,3", "a,b,c,d", "1,2,3,4,5", "", "NaN,1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBox(s)
		if err == nil && strings.Count(s, ",") != 3 {
			t.Errorf("%q parsed as %v", s, b)
		}
		if err == nil {
			// A parsed box either passes CheckBox or is rejected by it
			// with an error, never a panic.
			_ = pipeline.CheckBox(pipeline.Box{X: b.X, Y: b.Y, W: b.W, H: b.H}, 10, 10)
		}
	})
}

// TestPredictSeveralBoxes runs predict with -box given twice (the README's
// main command): each box gives one person, as the Go API's Estimate does
// for the same boxes, and a bad second box is a usage error.
func TestPredictSeveralBoxes(t *testing.T) {
	res := filepath.Join(t.TempDir(), "res.json")
	code, _, stderr := runCommand("predict", "-weights", sampleWeights, "-out", res, "-box", "174.5,61.5,80,130", "-box", "57.5,55.5,110,132", sampleImage)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rs, err := coco.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	est, err := ladderpose.Load(sampleWeights)
	if err != nil {
		t.Fatal(err)
	}
	img, err := ladderpose.LoadImage(sampleImage)
	if err != nil {
		t.Fatal(err)
	}
	poses, err := est.Estimate(context.Background(), img, []ladderpose.Box{{X: 174.5, Y: 61.5, W: 80, H: 130}, {X: 57.5, Y: 55.5, W: 110, H: 132}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || len(poses) != 2 {
		t.Fatalf("%d results and %d poses for two boxes", len(rs), len(poses))
	}
	for _, p := range poses {
		found := false
		for _, r := range rs {
			if math.Abs(r.Keypoints[0]-p.Keypoints[0].X) < 1e-9 && math.Abs(r.Keypoints[1]-p.Keypoints[0].Y) < 1e-9 {
				found = true
			}
		}
		if !found {
			t.Errorf("no result for the pose with nose at (%g, %g)", p.Keypoints[0].X, p.Keypoints[0].Y)
		}
	}
	if code, _, stderr := runCommand("predict", "-box", "1,2,3,4", "-box", "1,2", sampleImage); code != 2 || !strings.Contains(stderr, "want x,y,w,h") {
		t.Errorf("bad second box: exit %d, %s", code, stderr)
	}
}
