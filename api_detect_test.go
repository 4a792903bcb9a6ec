package ladderpose

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// personDetectorFolder copies the r18_small RT-DETR golden (random
// weights) with class 0 named "person".
func personDetectorFolder(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "shared", "goldens", "detr", "r18_small")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no RT-DETR goldens: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["id2label"].(map[string]any)["0"] = "person"
	b, _ = json.Marshal(cfg)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join(src, "model.safetensors"))
	if err := os.Symlink(abs, filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEstimateWithDetector checks that Estimate without boxes estimates
// the detector's person boxes (the same poses as passing those boxes), that
// given boxes bypass the detector, and the option errors.
func TestEstimateWithDetector(t *testing.T) {
	det := personDetectorFolder(t)
	e, err := Load(SampleWeights, WithDetector(det), WithPersonThreshold(0.05))
	if err != nil {
		t.Fatal(err)
	}
	if !e.HasDetector() {
		t.Fatal("HasDetector false")
	}
	img, err := LoadImage(SampleImage)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	found, err := e.DetectPeople(ctx, []image.Image{img})
	if err != nil {
		t.Fatal(err)
	}
	people := found[0]
	if len(people) == 0 {
		t.Fatal("the random-weight detector found no person above 0.05: pick another threshold")
	}
	for _, b := range people {
		if !(b.Score > 0.05) || !(b.W > 0) || !(b.H > 0) {
			t.Errorf("person box %v", b)
		}
	}
	auto, err := e.Estimate(ctx, img, nil)
	if err != nil {
		t.Fatal(err)
	}
	given, err := e.Estimate(ctx, img, people)
	if err != nil {
		t.Fatal(err)
	}
	if len(auto) == 0 || len(auto) != len(given) {
		t.Fatalf("%d poses from detected boxes, %d from the same boxes given", len(auto), len(given))
	}
	for i := range auto {
		if auto[i].Score != given[i].Score || auto[i].Box != given[i].Box || auto[i].Keypoints[0] != given[i].Keypoints[0] {
			t.Errorf("pose %d differs: %+v vs %+v", i, auto[i].Box, given[i].Box)
		}
	}
	// An explicit box bypasses the detector.
	one, err := e.Estimate(ctx, img, []Box{NewBox(10, 10, 50, 100)})
	if err != nil || len(one) != 1 || one[0].Box.Score != 1 {
		t.Errorf("explicit box: %d poses, err %v", len(one), err)
	}
	plain, err := Load(SampleWeights)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.DetectPeople(ctx, []image.Image{img}); err == nil {
		t.Error("DetectPeople without a detector: no error")
	}
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{WithDetector(""), "WithDetector: empty path"},
		{WithPersonThreshold(1), "WithPersonThreshold"},
		{WithDetector(filepath.Join("..", "shared", "goldens", "detr", "r18_small")), `no class is labelled "person"`},
		{WithDetector(t.TempDir()), "detector"},
	} {
		if _, err := Load(SampleWeights, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want %q", err, tc.want)
		}
	}
}
