package ops_test

import (
	"fmt"

	"github.com/ladderpose/ladderpose/ops"
)

// A 3x3 convolution with padding 1: prepare it once, then run it on inputs
// with caller-provided scratch.
func ExampleNewConv2D() {
	// One input channel, one output channel, a kernel that sums the 3x3
	// neighbourhood, and a bias of 0.5.
	weight := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	conv, err := ops.NewConv2D(weight, []float32{0.5}, ops.Conv2DParams{InC: 1, OutC: 1, KH: 3, KW: 3, PadH: 1, PadW: 1})
	if err != nil {
		panic(err)
	}
	const n, h, w = 1, 3, 4
	src := []float32{
		1, 1, 1, 1,
		1, 1, 1, 1,
		1, 1, 1, 1,
	}
	oh, ow := conv.Params().OutSize(h, w)
	dst := make([]float32, n*1*oh*ow)
	scratch := make([]float32, conv.ScratchSize(n, h, w))
	if err := conv.Forward(dst, src, n, h, w, scratch); err != nil {
		panic(err)
	}
	for y := 0; y < oh; y++ {
		fmt.Println(dst[y*ow : (y+1)*ow])
	}
	// Output:
	// [4.5 6.5 6.5 4.5]
	// [6.5 9.5 9.5 6.5]
	// [4.5 6.5 6.5 4.5]
}

// Softmax works in place on rows.
func ExampleSoftmax() {
	x := []float32{
		0, 0, 0, 0,
		1, 2, 3, float32(-1e30),
	}
	ops.Softmax(x, 4)
	fmt.Printf("%.4f\n%.4f\n", x[:4], x[4:])
	// Output:
	// [0.2500 0.2500 0.2500 0.2500]
	// [0.0900 0.2447 0.6652 0.0000]
}
