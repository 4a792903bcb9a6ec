package ops

import (
	"strings"
	"testing"
)

// TestPoolGolden checks adaptive_avg_pool1d and global average pooling
// against PyTorch at goldenTol.
func TestPoolGolden(t *testing.T) {
	var cases []struct {
		Name       string
		OutputSize int `json:"output_size"`
	}
	f := openGolden(t, "pool", &cases)
	for _, tc := range cases {
		x, shape := goldenTensor(t, f, tc.Name+".x")
		want, _ := goldenTensor(t, f, tc.Name+".y")
		got := make([]float32, len(want))
		switch {
		case strings.HasPrefix(tc.Name, "aap1d"):
			AdaptiveAvgPool1D(got, x, shape[0]*shape[1], shape[2], 1, tc.OutputSize)
		case strings.HasPrefix(tc.Name, "gap"):
			GlobalAvgPool(got, x, shape[0]*shape[1], shape[2]*shape[3])
		default:
			t.Fatalf("unknown case %q", tc.Name)
		}
		checkGolden(t, tc.Name, got, want)
	}
}
