package testmodel

import "testing"

// TestValuesMatchPython pins the generator to values printed by
// tools/ref/ladderpose_ref.py: splitmix_values(12345, 4).
func TestValuesMatchPython(t *testing.T) {
	want := []float32{-0.7338407039642334, -0.5903668403625488, -0.7609149217605591, -0.6477644443511963}
	got := Values(12345, 4)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Values(12345)[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
