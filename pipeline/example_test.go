package pipeline_test

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

// The box rule and the UDP crop matrix for a detection box.
func ExampleBox_Frame() {
	b := pipeline.Box{X: 100, Y: 50, W: 60, H: 160}
	if err := pipeline.CheckBox(b, 640, 480); err != nil {
		fmt.Println("skip:", err)
		return
	}
	f := b.Frame(pipeline.InputW, pipeline.InputH)
	fmt.Printf("centre (%g, %g), padded size %g x %g\n", f.CX, f.CY, f.SW, f.SH)
	m := f.CropMatrix(pipeline.InputW, pipeline.InputH)
	u, v := m.Apply(f.CX, f.CY)
	fmt.Printf("the centre lands on crop pixel (%.2f, %.2f)\n", u, v)
	// Output:
	// centre (130, 130), padded size 150 x 200
	// the centre lands on crop pixel (95.50, 127.50)
}

// Decoding one person's heatmaps: a keypoint whose heatmap peaks between
// pixels is located to a fraction of a pixel and mapped back to the image.
func ExampleDecode() {
	f := pipeline.Box{X: 100, Y: 50, W: 60, H: 160}.Frame(pipeline.InputW, pipeline.InputH)
	hm := pipeline.Heatmaps{K: 1, H: pipeline.HeatH, W: pipeline.HeatW,
		Data: make([]float32, pipeline.HeatH*pipeline.HeatW)}
	// A Gaussian of sigma 2 centred at heatmap (20.3, 30.6).
	for y := 0; y < hm.H; y++ {
		for x := 0; x < hm.W; x++ {
			d2 := (float64(x)-20.3)*(float64(x)-20.3) + (float64(y)-30.6)*(float64(y)-30.6)
			hm.Data[y*hm.W+x] = float32(math.Exp(-d2 / 8))
		}
	}
	kps := make([]pipeline.Keypoint, 1)
	if err := pipeline.Decode(kps, hm, f, pipeline.DarkUDP); err != nil {
		fmt.Println(err)
		return
	}
	// The UDP inverse of (20.3, 30.6): x = 20.3*150/47 + 130 - 75.
	wx, wy := f.FromHeatmap(20.3, 30.6, hm.W, hm.H, true)
	fmt.Printf("decoded (%.3f, %.3f), true (%.3f, %.3f), score %.2f\n", kps[0].X, kps[0].Y, wx, wy, kps[0].Score)
	// Output:
	// decoded (119.787, 127.143), true (119.787, 127.143), score 0.97
}

// Rescoring and OKS non-maximum suppression over an image's people: a
// near-duplicate of the best person is dropped.
func ExampleOKSNMS() {
	person := func(dx, score float64) pipeline.Pose {
		kps := make([]pipeline.Keypoint, coco.NumKeypoints)
		for k := range kps {
			kps[k] = pipeline.Keypoint{X: 100 + dx + float64(5*k), Y: 200 + float64(10*k), Score: score}
		}
		f := pipeline.Box{X: 80 + dx, Y: 180, W: 100, H: 200}.Frame(pipeline.InputW, pipeline.InputH)
		return pipeline.Pose{Keypoints: kps, Frame: f, BoxScore: 0.9,
			Score: pipeline.Rescore(kps, 0.9, pipeline.RescoreThreshold)}
	}
	poses := []pipeline.Pose{person(0, 0.8), person(1, 0.7), person(150, 0.6)}
	keep, err := pipeline.OKSNMS(poses, pipeline.NMSThreshold, coco.Sigmas[:])
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, i := range keep {
		fmt.Printf("person %d, score %.2f\n", i, poses[i].Score)
	}
	// Output:
	// person 0, score 0.72
	// person 2, score 0.54
}
