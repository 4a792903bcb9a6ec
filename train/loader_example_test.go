package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ladderpose/ladderpose/synth"
)

func ExampleNewLoader() {
	dir, _ := os.MkdirTemp("", "data")
	defer os.RemoveAll(dir)
	// A small synthetic dataset of 4 images with 2 people each.
	if _, err := synth.Generate(synth.Options{Dir: dir, N: 4, Seed: 1, MinPeople: 2, MaxPeople: 2}, nil); err != nil {
		fmt.Println(err)
		return
	}
	d, err := OpenDataset(filepath.Join(dir, "train.json"), filepath.Join(dir, "images"), 256, 192)
	if err != nil {
		fmt.Println(err)
		return
	}
	const batch = 3
	l := NewLoader(d, batch, 42, DefaultAugment(), 0)
	defer l.Close()
	img := make([]float32, batch*3*256*192) // [batch, 3, 256, 192] normalised crops
	kpts := make([]float32, batch*17*3)     // [batch, 17, 3] crop x, y, visibility
	fmt.Println(d.Len(), "samples,", l.Batches(0), "batches per epoch")
	for epoch := 0; epoch < 2; epoch++ {
		for i := 0; i < l.Batches(epoch); i++ {
			if err := l.Batch(context.Background(), epoch, i, img, kpts); err != nil {
				fmt.Println(err)
				return
			}
			// ... a training step on img and kpts ...
		}
	}
	// Output: 8 samples, 2 batches per epoch
}
