package ladderpose_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ladderpose/ladderpose"
)

// The whole job on the bundled sample: load a checkpoint, read an image,
// estimate the pose of the person in each box (nil: the whole image). The
// sample checkpoint has random weights, so only the shape of the result
// means something.
func Example() {
	est, err := ladderpose.Load(ladderpose.SampleWeights)
	check(err)
	img, err := ladderpose.LoadImage(ladderpose.SampleImage)
	check(err)
	poses, err := est.Estimate(context.Background(), img, []ladderpose.Box{
		ladderpose.NewBox(174.5, 61.5, 80, 130), ladderpose.NewBox(57.5, 55.5, 110, 132)})
	check(err)
	for _, p := range poses {
		fmt.Printf("person in box %d: %d keypoints\n", p.BoxIndex, len(p.Keypoints))
	}
	// Output:
	// person in box 1: 17 keypoints
	// person in box 0: 17 keypoints
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
