package synth_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ladderpose/ladderpose/synth"
)

// RenderSample draws one annotated picture in memory; SampleRNG(seed, i)
// gives exactly Generate's image i.
func ExampleRenderSample() {
	s, err := synth.RenderSample(synth.SampleRNG(1, 0), synth.Options{Interference: synth.Mixed})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("size:", s.Image.Rect.Size())
	fmt.Println("mask pixels:", len(s.Mask))
	for _, a := range s.Annotations {
		if len(a.Keypoints) != 51 {
			fmt.Println("bad annotation")
		}
	}
	// Output:
	// size: (384,288)
	// mask pixels: 110592
}

// InterfereFrame degrades a float32 CHW training crop (values in [0, 1],
// before mean/std normalisation) in place, as a training-time augmentation.
func ExampleInterfereFrame() {
	const h, w = 256, 192
	crop := make([]float32, 3*h*w) // e.g. the output of the crop warp
	for i := range crop {
		crop[i] = 0.5
	}
	rng := rand.New(rand.NewPCG(7, 0)) // one generator per worker, seeded per sample
	f := &synth.Frame{W: w, H: h, Pix: crop}
	if err := synth.InterfereFrame(f, rng, synth.Heavy); err != nil {
		fmt.Println(err)
		return
	}
	changed := 0
	for _, v := range crop {
		if v != 0.5 {
			changed++
		}
	}
	fmt.Println("changed:", changed > 0)
	// Output:
	// changed: true
}

// The single effects can be composed by hand. Sigma 1 truncates at 3
// pixels: the centre keeps (1/sum_{i=-3..3} exp(-i*i/2))^2 = 0.1592.
func ExampleGaussianBlur() {
	f := synth.NewFrame(9, 9)
	f.Pix[4*9+4] = 1 // a bright dot in the red plane
	if err := synth.GaussianBlur(f, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("centre %.4f, neighbour %.4f\n", f.Pix[4*9+4], f.Pix[4*9+5])
	// Output:
	// centre 0.1592, neighbour 0.0966
}
