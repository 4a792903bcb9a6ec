package ops

import "testing"

type actGolden struct {
	Name          string
	NegativeSlope float32 `json:"negative_slope"`
}

// TestActivationGolden checks GELU and sigmoid (every exp path) and leaky
// ReLU against PyTorch at goldenTol.
func TestActivationGolden(t *testing.T) {
	var cases []actGolden
	f := openGolden(t, "act", &cases)
	for _, tc := range cases {
		x, _ := goldenTensor(t, f, tc.Name+".x")
		want, _ := goldenTensor(t, f, tc.Name+".y")
		got := make([]float32, len(x))
		switch tc.Name {
		case "gelu":
			for _, im := range expImpls(t) {
				im.geluAll(got, x)
				checkGolden(t, "gelu/"+im.name, got, want)
			}
		case "sigmoid":
			for _, im := range expImpls(t) {
				sigmoidWith(got, x, im.expAll)
				checkGolden(t, "sigmoid/"+im.name, got, want)
			}
		case "leaky_relu":
			LeakyReLU(got, x, tc.NegativeSlope)
			checkGolden(t, tc.Name, got, want)
		default:
			t.Fatalf("unknown case %q", tc.Name)
		}
	}
}
