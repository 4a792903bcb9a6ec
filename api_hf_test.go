package ladderpose

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/pipeline"
)

func hfFolder(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "shared", "goldens", "vitpose_hf", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Hugging Face golden folder: %v", err)
	}
	return dir
}

// TestEstimateHFKeypointSets runs Hugging Face folders of other keypoint
// sets through the whole estimator: a 14-keypoint model with unnamed
// keypoints (flip test turned off with a warning, assumed sigmas with a
// warning, 14 keypoints per pose) and a ViTPose+ model whose experts give
// different poses.
func TestEstimateHFKeypointSets(t *testing.T) {
	ctx := context.Background()
	img := pipeline.NewRGB(96, 128)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 251)
	}
	box := []Box{NewBox(10, 12, 70, 100)}

	t.Run("k14", func(t *testing.T) {
		e, err := Load(hfFolder(t, "k14_simple"))
		if err != nil {
			t.Fatal(err)
		}
		ks := e.Keypoints()
		if ks.COCO || len(ks.Names) != 14 || ks.Names[13] != "kp13" || ks.FlipPairs != nil {
			t.Fatalf("keypoints %+v: want 14 unpaired names kp0..kp13", ks)
		}
		w := strings.Join(e.Warnings(), "\n")
		if !strings.Contains(w, "flip test off") || !strings.Contains(w, "no OKS sigmas") || len(e.Warnings()) != 2 {
			t.Errorf("warnings %q: want the flip test off and assumed sigmas", e.Warnings())
		}
		poses, err := e.Estimate(ctx, img, box)
		if err != nil {
			t.Fatal(err)
		}
		if len(poses) != 1 || len(poses[0].Keypoints) != 14 {
			t.Fatalf("%d poses, want 1 with 14 keypoints", len(poses))
		}
		// Sigmas given: no warning about them; a wrong count is refused.
		sig := make([]float64, 14)
		for i := range sig {
			sig[i] = 0.05
		}
		e2, err := Load(hfFolder(t, "k14_simple"), WithSigmas(sig))
		if err != nil {
			t.Fatal(err)
		}
		if len(e2.Warnings()) != 1 {
			t.Errorf("warnings with sigmas given: %q", e2.Warnings())
		}
		if _, err := Load(hfFolder(t, "k14_simple"), WithSigmas(sig[:13])); err == nil || !strings.Contains(err.Error(), "13 sigmas for the model's 14 keypoints") {
			t.Errorf("13 sigmas: err %v", err)
		}
		if _, err := Load(hfFolder(t, "k14_simple"), WithSigmas([]float64{0, 1})); err == nil || !strings.Contains(err.Error(), "sigma 0 is 0") {
			t.Errorf("zero sigma: err %v", err)
		}
	})

	t.Run("coco-names", func(t *testing.T) {
		e, err := Load(hfFolder(t, "vit128_simple"))
		if err != nil {
			t.Fatal(err)
		}
		if ks := e.Keypoints(); !ks.COCO || !reflect.DeepEqual(ks.FlipPairs, pipeline.COCOKeypoints().FlipPairs) || len(e.Warnings()) != 0 {
			t.Errorf("Hugging Face COCO model: keypoints %+v, warnings %q", ks, e.Warnings())
		}
		if _, err := Load(hfFolder(t, "vit128_simple"), WithDataset(1)); err == nil || !strings.Contains(err.Error(), "no experts") {
			t.Errorf("WithDataset(1) on a plain model: err %v", err)
		}
	})

	t.Run("vitpose+", func(t *testing.T) {
		dir := hfFolder(t, "moe2_classic")
		var poses [2][]Pose
		for d := range poses {
			e, err := Load(dir, WithDataset(d))
			if err != nil {
				t.Fatal(err)
			}
			if poses[d], err = e.Estimate(ctx, img, box); err != nil {
				t.Fatal(err)
			}
		}
		diff := 0.0
		for k := range poses[0][0].Keypoints {
			a, b := poses[0][0].Keypoints[k], poses[1][0].Keypoints[k]
			diff = math.Max(diff, math.Abs(a.Score-b.Score))
		}
		if diff == 0 {
			t.Error("experts 0 and 1 give the same keypoint scores")
		}
		if _, err := Load(dir, WithDataset(2)); err == nil || !strings.Contains(err.Error(), "experts 0..1") {
			t.Errorf("WithDataset(2) of 2 experts: err %v", err)
		}
		if _, err := Load(dir, WithDataset(-1)); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("WithDataset(-1): err %v", err)
		}
	})
}
