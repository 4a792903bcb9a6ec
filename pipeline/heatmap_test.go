package pipeline

import (
	"path/filepath"
	"testing"
)

// TestMergeFlippedGolden checks the flip test's merge against the NumPy
// transcription of mmpose's flip_back and averaging, bit for bit.
func TestMergeFlippedGolden(t *testing.T) {
	g := loadTensors(t, filepath.Join(ownDir, "flip.safetensors"), "heatmaps", "flipped", "merged")
	s := g["heatmaps"].shape
	hm := Heatmaps{K: s[0], H: s[1], W: s[2], Data: g["heatmaps"].v}
	fl := Heatmaps{K: s[0], H: s[1], W: s[2], Data: g["flipped"].v}
	if err := MergeFlipped(hm, fl, FlipPairs[:]); err != nil {
		t.Fatal(err)
	}
	for i, v := range hm.Data {
		if v != g["merged"].v[i] {
			t.Fatalf("value %d: %v, want %v", i, v, g["merged"].v[i])
		}
	}
}

func TestMergeFlippedErrors(t *testing.T) {
	hm := Heatmaps{K: 3, H: 2, W: 2, Data: make([]float32, 12)}
	for _, tc := range []struct {
		name    string
		hm, fl  Heatmaps
		pairs   [][2]int
		wantErr bool
	}{
		{"ok", hm, hm, [][2]int{{1, 2}}, false},
		{"shape", hm, Heatmaps{K: 3, H: 2, W: 1, Data: make([]float32, 6)}, nil, true},
		{"buffer", hm, Heatmaps{K: 3, H: 2, W: 2, Data: make([]float32, 11)}, nil, true},
		{"pair out of range", hm, hm, [][2]int{{1, 3}}, true},
		{"pair repeated", hm, hm, [][2]int{{0, 1}, {1, 2}}, true},
		{"pair with itself", hm, hm, [][2]int{{1, 1}}, true},
	} {
		err := MergeFlipped(tc.hm, tc.fl, tc.pairs)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}
