package ops

import "testing"

// TestResizeGolden checks bilinear resizing (align_corners=False) in the
// output-size and scale-factor forms against PyTorch at goldenTol.
func TestResizeGolden(t *testing.T) {
	var cases []struct {
		Name        string
		Input       []int
		Output      []int
		ScaleFactor []float64 `json:"scale_factor"`
	}
	f := openGolden(t, "resize", &cases)
	for _, tc := range cases {
		x, _ := goldenTensor(t, f, tc.Name+".x")
		want, _ := goldenTensor(t, f, tc.Name+".y")
		got := make([]float32, len(want))
		nc, h, w := tc.Input[0]*tc.Input[1], tc.Input[2], tc.Input[3]
		if tc.ScaleFactor != nil {
			if oh, ow := ScaledSize(h, tc.ScaleFactor[0]), ScaledSize(w, tc.ScaleFactor[1]); oh != tc.Output[0] || ow != tc.Output[1] {
				t.Fatalf("%s: ScaledSize gives %dx%d, PyTorch %v", tc.Name, oh, ow, tc.Output)
			}
			ResizeBilinearScale(got, x, nc, h, w, tc.ScaleFactor[0], tc.ScaleFactor[1])
		} else {
			ResizeBilinear(got, x, nc, h, w, tc.Output[0], tc.Output[1])
		}
		checkGolden(t, tc.Name, got, want)
	}
}
