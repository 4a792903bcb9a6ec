package ladderpose

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestWithPrecision: the bundled demo model at int8 (WithPrecision) finds
// the sample's two people within a pixel of float32's keypoints (mean
// displacement logged), bit for bit the same on a second estimator; a bad
// precision and int8 on "cuda" are refused.
func TestWithPrecision(t *testing.T) {
	img, err := LoadImage(SampleImage)
	if err != nil {
		t.Fatal(err)
	}
	run := func(opts ...Option) []Pose {
		t.Helper()
		est, err := Load(DemoWeights, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer est.Close()
		poses, err := est.Estimate(context.Background(), img, sampleBoxes)
		if err != nil {
			t.Fatal(err)
		}
		return poses
	}
	f32 := run(WithPrecision("float32"))
	i8 := run(WithPrecision("int8"))
	again := run(WithPrecision("INT8"))
	if len(f32) != 2 || len(i8) != 2 || len(again) != 2 {
		t.Fatalf("%d, %d and %d poses, want 2", len(f32), len(i8), len(again))
	}
	var sum float64
	n, moved := 0, false
	for p := range i8 {
		for k, kp := range i8[p].Keypoints {
			q := f32[p].Keypoints[k]
			d := math.Hypot(kp.X-q.X, kp.Y-q.Y)
			sum += d
			n++
			moved = moved || d > 0
			if d > 3 {
				t.Errorf("person %d keypoint %d: int8 (%.2f, %.2f), float32 (%.2f, %.2f)", p, k, kp.X, kp.Y, q.X, q.Y)
			}
			if a := again[p].Keypoints[k]; a != kp {
				t.Errorf("person %d keypoint %d: %v, then %v", p, k, kp, a)
			}
		}
	}
	t.Logf("int8 keypoints %.3f px from float32's on average", sum/float64(n))
	if !moved {
		t.Error("int8 keypoints equal float32's: the int8 path did not run")
	}
	if _, err := Load(DemoWeights, WithPrecision("fp16")); err == nil || !strings.Contains(err.Error(), `WithPrecision: unknown precision "fp16"`) {
		t.Errorf("WithPrecision(fp16): %v", err)
	}
	if _, err := Load(DemoWeights, WithPrecision("int8"), WithDevice("cuda")); err == nil {
		t.Error("int8 on cuda loaded")
	} else {
		t.Logf("int8 on cuda: %v", err)
	}
}
