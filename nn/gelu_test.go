package nn

import (
	"math"
	"testing"

	"github.com/ladderpose/ladderpose/ops"
)

// TestGELUBackward checks the float32 GELU derivative (Phi from the forward
// output, phi on the vectorised exp) against the exact one in float64, over
// [-12, 12], at 0 and at tiny and huge arguments, across chunk boundaries:
// within 2e-7 absolute plus 1e-6 relative.
func TestGELUBackward(t *testing.T) {
	var x []float32
	for i := 0; i <= 2500; i++ {
		x = append(x, float32(-12+24*float64(i)/2500))
	}
	x = append(x, 0, 1e-30, -1e-30, 1e-8, -1e-8, 30, -30, 1e30, -1e30, float32(math.SmallestNonzeroFloat32))
	y := make([]float32, len(x))
	ops.GELU(y, x)
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = 1
	}
	dx := make([]float32, len(x))
	dx[0] = 0.25 // accumulates
	geluBackward(dx, dy, x, y)
	dx[0] -= 0.25
	for i, v := range x {
		w := float64(v)
		want := 0.5*(1+math.Erf(w/math.Sqrt2)) + w*math.Exp(-0.5*w*w)/math.Sqrt(2*math.Pi)
		if got := float64(dx[i]); math.Abs(got-want) > 2e-7+1e-6*math.Abs(want) || math.IsNaN(got) {
			t.Errorf("GELU'(%g) = %g, want %g", v, got, want)
		}
	}
}
