package ops

import (
	"strings"
	"testing"
)

type normGolden struct {
	Name string
	Eps  float64
}

// TestNormGolden checks softmax (every exp path), layer_norm and eval-mode
// batch_norm against PyTorch at goldenTol.
func TestNormGolden(t *testing.T) {
	var cases []normGolden
	f := openGolden(t, "norm", &cases)
	for _, tc := range cases {
		x, shape := goldenTensor(t, f, tc.Name+".x")
		want, _ := goldenTensor(t, f, tc.Name+".y")
		switch {
		case strings.HasPrefix(tc.Name, "softmax"):
			for _, im := range expImpls(t) {
				got := append([]float32(nil), x...)
				softmaxWith(got, shape[len(shape)-1], im.expAll)
				checkGolden(t, tc.Name+"/"+im.name, got, want)
			}
		case strings.HasPrefix(tc.Name, "layernorm"):
			g, _ := goldenTensor(t, f, tc.Name+".w")
			b, _ := goldenTensor(t, f, tc.Name+".b")
			got := make([]float32, len(x))
			LayerNorm(got, x, shape[len(shape)-1], g, b, float32(tc.Eps))
			checkGolden(t, tc.Name, got, want)
		case strings.HasPrefix(tc.Name, "batchnorm"):
			g, _ := goldenTensor(t, f, tc.Name+".w")
			b, _ := goldenTensor(t, f, tc.Name+".b")
			mean, _ := goldenTensor(t, f, tc.Name+".mean")
			variance, _ := goldenTensor(t, f, tc.Name+".var")
			c := shape[1]
			scale, shift := make([]float32, c), make([]float32, c)
			if err := BatchNormScaleShift(scale, shift, g, b, mean, variance, float32(tc.Eps)); err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(x))
			BatchNorm(got, x, shape[0], c, shape[2]*shape[3], scale, shift, ActNone)
			checkGolden(t, tc.Name, got, want)
		default:
			t.Fatalf("unknown case %q", tc.Name)
		}
	}
}
