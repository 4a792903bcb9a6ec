package track_test

import (
	"fmt"
	"log"

	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/track"
)

// walker is a pose of 17 keypoints in a column at x, all with score 0.9.
func walker(x float64) pipeline.Pose {
	p := pipeline.Pose{Box: pipeline.Box{X: x - 20, Y: 0, W: 40, H: 170}, Keypoints: make([]pipeline.Keypoint, 17)}
	for k := range p.Keypoints {
		p.Keypoints[k] = pipeline.Keypoint{X: x + float64(k%3), Y: float64(10 * k), Score: 0.9}
	}
	p.Frame = p.Box.Frame(pipeline.InputW, pipeline.InputH)
	return p
}

// Follow two people through three frames; the second person is missing in
// the last frame, so the caller should run its detector again.
func ExampleTracker() {
	tr, err := track.NewTracker(track.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	frames := [][]pipeline.Pose{
		{walker(100), walker(300)},
		{walker(296), walker(104)}, // any order
		{walker(108)},
	}
	for f, poses := range frames {
		r, err := tr.Update(f, float64(f)/25, poses)
		if err != nil {
			log.Fatal(err)
		}
		for _, p := range r.People {
			fmt.Printf("frame %d: pose %d is track %d\n", f, p.Input, p.ID)
		}
		if len(r.Lost) > 0 {
			fmt.Printf("frame %d: lost %v: run the detector\n", f, r.Lost)
		}
	}
	// Output:
	// frame 0: pose 0 is track 1
	// frame 0: pose 1 is track 2
	// frame 1: pose 1 is track 1
	// frame 1: pose 0 is track 2
	// frame 2: pose 0 is track 1
	// frame 2: lost [2]: run the detector
}

// Score a tracker's boxes against ground truth.
func ExampleEvaluateMOT() {
	b := func(x float64) pipeline.Box { return pipeline.Box{X: x, Y: 0, W: 10, H: 20} }
	frames := []track.MOTFrame{
		{GT: []track.Object{{ID: 1, Box: b(0)}}, Pred: []track.Object{{ID: 7, Box: b(1)}}},
		{GT: []track.Object{{ID: 1, Box: b(2)}}, Pred: []track.Object{{ID: 7, Box: b(2)}, {ID: 8, Box: b(50)}}},
		{GT: []track.Object{{ID: 1, Box: b(4)}}, Pred: []track.Object{{ID: 9, Box: b(4)}}},
	}
	r, err := track.EvaluateMOT(frames)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("MOTA %.3f (FN %d, FP %d, IDSW %d of %d), IDF1 %.3f\n", r.MOTA, r.FN, r.FP, r.IDSW, r.GT, r.IDF1)
	// Output:
	// MOTA 0.333 (FN 0, FP 1, IDSW 1 of 3), IDF1 0.571
}
