package ladderpose_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ladderpose/ladderpose"
)

// Running the network on a GPU when there is one: "auto" takes the GPU if
// it is usable and the CPU otherwise, and Device says which (and why).
// Close gives the GPU's memory back.
func ExampleWithDevice() {
	est, err := ladderpose.Load(ladderpose.SampleWeights, ladderpose.WithDevice("auto"), ladderpose.WithBatchSize(32))
	check(err)
	defer est.Close()
	img, err := ladderpose.LoadImage(ladderpose.SampleImage)
	check(err)
	poses, err := est.Estimate(context.Background(), img, nil)
	check(err)
	where, _, _ := strings.Cut(est.Device(), " ") // e.g. "GPU cuda 0: NVIDIA H100 ..." or "CPU (no usable GPU: ...)"
	fmt.Println(where == "GPU" || where == "CPU", len(poses))
	// Output: true 1
}
