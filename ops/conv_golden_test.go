package ops

import (
	"strings"
	"testing"
)

type convGolden struct {
	Name          string
	In, Out       int
	Kernel        []int
	Stride        []int
	Padding       []int
	OutputPadding []int `json:"output_padding"`
	Dilation      []int
	Groups        int
	Bias          bool
	Input         []int
}

// TestConv2DGolden runs PyTorch's conv2d cases (strides 1/2/4/16, paddings
// 0..9, dilations 1/3/6/9, grouped, depthwise, 1x1) on every GEMM kernel, and
// the Haar subbands, at goldenTol.
func TestConv2DGolden(t *testing.T) {
	var cases []convGolden
	f := openGolden(t, "conv", &cases)
	for _, kn := range convKernels(t) {
		for _, tc := range cases {
			name := kn.name + "/" + tc.Name
			x, _ := goldenTensor(t, f, tc.Name+".x")
			want, _ := goldenTensor(t, f, tc.Name+".y")
			n, h, w := tc.Input[0], tc.Input[2], tc.Input[3]
			if strings.HasPrefix(tc.Name, "haar") {
				got := make([]float32, len(want))
				HaarDWT(got, x, n, tc.Input[1], h, w)
				checkGolden(t, name, got, want)
				continue
			}
			wt, _ := goldenTensor(t, f, tc.Name+".w")
			var b []float32
			if tc.Bias {
				b, _ = goldenTensor(t, f, tc.Name+".b")
			}
			p := Conv2DParams{InC: tc.In, OutC: tc.Out, KH: tc.Kernel[0], KW: tc.Kernel[1],
				StrideH: tc.Stride[0], StrideW: tc.Stride[1], PadH: tc.Padding[0], PadW: tc.Padding[1],
				DilH: tc.Dilation[0], DilW: tc.Dilation[1], Groups: tc.Groups}
			c, err := newConv2D(wt, b, p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := make([]float32, len(want))
			if err := c.Forward(got, x, n, h, w, make([]float32, c.ScratchSize(n, h, w))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkGolden(t, name, got, want)
		}
	}
}

// TestConvTranspose2DGolden runs PyTorch's conv_transpose2d cases (k4 s2 p1,
// grouped, output padding, dilation) on every GEMM kernel at goldenTol.
func TestConvTranspose2DGolden(t *testing.T) {
	var cases []convGolden
	f := openGolden(t, "convt", &cases)
	for _, kn := range convKernels(t) {
		for _, tc := range cases {
			name := kn.name + "/" + tc.Name
			x, _ := goldenTensor(t, f, tc.Name+".x")
			want, _ := goldenTensor(t, f, tc.Name+".y")
			wt, _ := goldenTensor(t, f, tc.Name+".w")
			var b []float32
			if tc.Bias {
				b, _ = goldenTensor(t, f, tc.Name+".b")
			}
			p := ConvTranspose2DParams{InC: tc.In, OutC: tc.Out, KH: tc.Kernel[0], KW: tc.Kernel[1],
				StrideH: tc.Stride[0], StrideW: tc.Stride[1], PadH: tc.Padding[0], PadW: tc.Padding[1],
				OutPadH: tc.OutputPadding[0], OutPadW: tc.OutputPadding[1],
				DilH: tc.Dilation[0], DilW: tc.Dilation[1], Groups: tc.Groups}
			c, err := newConvTranspose2D(wt, b, p, packerFor(kn))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n, h, w := tc.Input[0], tc.Input[2], tc.Input[3]
			got := make([]float32, len(want))
			if err := c.Forward(got, x, n, h, w, make([]float32, c.ScratchSize(n, h, w))); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkGolden(t, name, got, want)
		}
	}
}
