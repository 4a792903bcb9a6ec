package testmodel

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

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

// TestPlusManifests checks that the ViTPose+ manifest lists every block's
// experts (weight [part_features, hidden] and bias) under both mmpose and
// Hugging Face names, with fc2 narrowed to the shared outputs, and the
// datasets its outputs were computed for.
func TestPlusManifests(t *testing.T) {
	m, err := Read(filepath.Join("..", "..", "testdata", "models", "vitpose_b_moe.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Dim          int `json:"dim"`
		Depth        int `json:"depth"`
		MLPRatio     int `json:"mlp_ratio"`
		Experts      int `json:"experts"`
		PartFeatures int `json:"part_features"`
	}
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Experts != 6 || cfg.PartFeatures != 192 || cfg.Dim != 768 || cfg.Depth != 12 {
		t.Fatalf("config %s: want ViT-B with 6 experts of 192 features", m.Config)
	}
	if !slices.Equal(m.Datasets, []int{3, 0}) {
		t.Errorf("datasets %v, want [3 0]", m.Datasets)
	}
	hidden := cfg.Dim * cfg.MLPRatio
	for _, naming := range []struct {
		list  []Recipe
		block string
	}{{m.Tensors, "backbone.blocks.%d.mlp."}, {m.HFTensors, "backbone.encoder.layer.%d.mlp."}} {
		shapes := map[string][]int{}
		for _, r := range naming.list {
			shapes[r.Name] = r.Shape
		}
		for i := 0; i < cfg.Depth; i++ {
			pre := fmt.Sprintf(naming.block, i)
			want := map[string][]int{"fc2.weight": {cfg.Dim - cfg.PartFeatures, hidden}, "fc2.bias": {cfg.Dim - cfg.PartFeatures}}
			for e := 0; e < cfg.Experts; e++ {
				want[fmt.Sprintf("experts.%d.weight", e)] = []int{cfg.PartFeatures, hidden}
				want[fmt.Sprintf("experts.%d.bias", e)] = []int{cfg.PartFeatures}
			}
			for n, s := range want {
				if got, ok := shapes[pre+n]; !ok || !slices.Equal(got, s) {
					t.Errorf("%s%s: shape %v (listed %v), want %v", pre, n, got, ok, s)
				}
			}
		}
	}
}
