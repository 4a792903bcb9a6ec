package synth_test

import (
	"context"
	"fmt"
	"image"
	"log"

	"github.com/ladderpose/ladderpose/synth"
)

// ExampleGenerateVideo renders a short sequence of two people crossing in
// memory and reads the ground truth of its first and last frames.
func ExampleGenerateVideo() {
	opt := synth.VideoOptions{Seed: 1, Width: 160, Height: 120, Frames: 30, FPS: 15, People: 2, Interference: synth.Mixed}
	frames := 0
	truth, err := synth.GenerateVideo(context.Background(), opt, func(i int, img *image.RGBA) error {
		frames++ // img is frame i, e.g. for a video.Writer
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(frames, "frames,", len(truth.Tracks), "tracks:", truth.Tracks[0].Motion, truth.Tracks[1].Motion)
	// The crossing pair swaps its left-right order.
	for _, i := range []int{0, truth.Frames - 1} {
		var cx [3]float64
		for _, p := range truth.PerFrame[i].People {
			cx[p.Track] = p.Box[0] + p.Box[2]/2
		}
		fmt.Printf("frame %d: track 1 on the left: %v\n", i, cx[1] < cx[2])
	}
	// Output:
	// 30 frames, 2 tracks: cross cross
	// frame 0: track 1 on the left: true
	// frame 29: track 1 on the left: false
}
