package benchmodel

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/posemodel"
)

// TestFLOPsMatchPyTorch compares the analytic count with the FLOPs that
// tools/gen_flops_goldens.py counted on PyTorch's dispatcher while running
// tools/ref's model (every matrix product and convolution), exactly.
func TestFLOPsMatchPyTorch(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "flops.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			Case   string          `json:"case"`
			Config json.RawMessage `json:"config"`
			Levels *[2]int         `json:"levels"`
			FLOPs  int64           `json:"flops"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) == 0 {
		t.Fatal("no cases in testdata/flops.json")
	}
	for _, c := range golden.Cases {
		t.Run(c.Case, func(t *testing.T) {
			cfg, err := posemodel.ParseConfig(string(c.Config))
			if err != nil {
				t.Fatal(err)
			}
			var levels []Levels
			if c.Levels != nil {
				levels = []Levels{{Fre: c.Levels[0], Spa: c.Levels[1]}}
			}
			got, err := BatchFLOPs(cfg, 1, levels)
			if err != nil {
				t.Fatal(err)
			}
			if Total(got) != c.FLOPs {
				t.Errorf("%d FLOPs (%v), PyTorch counted %d", Total(got), got, c.FLOPs)
			}
			// A batch costs the sum of its images.
			if c.Levels != nil {
				levels = append(levels, levels[0], levels[0])
			}
			got3, err := BatchFLOPs(cfg, 3, levels)
			if err != nil {
				t.Fatal(err)
			}
			if Total(got3) != 3*c.FLOPs {
				t.Errorf("batch of 3: %d FLOPs, want %d", Total(got3), 3*c.FLOPs)
			}
		})
	}
}

// TestViTBFLOPs pins the well-known figure: ViT-B with the classic head is
// about 37.0 GFLOP per 256x192 image.
func TestViTBFLOPs(t *testing.T) {
	cfg, err := posemodel.StandardConfig("B")
	if err != nil {
		t.Fatal(err)
	}
	got, err := BatchFLOPs(cfg, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := float64(Total(got)) / 1e9; math.Abs(g-37.05) > 0.01 {
		t.Errorf("ViT-B: %.3f GFLOP per image, want 37.05", g)
	}
}

func TestBatchFLOPsErrors(t *testing.T) {
	cfg, err := posemodel.StandardConfig("S")
	if err != nil {
		t.Fatal(err)
	}
	side := posemodel.DefaultSide
	cfg.Side = &side
	for _, tc := range []struct {
		name   string
		b      int
		levels []Levels
	}{
		{"too few levels", 2, []Levels{{1, 1}}},
		{"level 0", 1, []Levels{{0, 1}}},
		{"level 5", 1, []Levels{{1, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BatchFLOPs(cfg, tc.b, tc.levels); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestFill: every parameter gets its rule's value range, the result is a
// function of the seed, and the model runs to finite heatmaps.
func TestFill(t *testing.T) {
	cfg := posemodel.Config{Dim: 64, Depth: 4, Heads: 4, MLPRatio: 4, LNEps: 1e-6, Head: "classic", Keypoints: 17,
		Input: [2]int{64, 48}, Side: &posemodel.SideConfig{Channels: 32, FusionWidth: 16, FusionHeads: 4, Nodes: 8}}
	build := func(seed uint64) *posemodel.Model {
		m, err := posemodel.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := Fill(m, seed); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m1, m2, m3 := build(1), build(1), build(2)
	p1, p2, p3 := m1.Params(), m2.Params(), m3.Params()
	differs := false
	for i, p := range p1 {
		for j, v := range p.Data {
			if v != p2[i].Data[j] {
				t.Fatalf("%s[%d]: %v and %v from the same seed", p.Name, j, v, p2[i].Data[j])
			}
			if v != p3[i].Data[j] {
				differs = true
			}
		}
	}
	if !differs {
		t.Error("seeds 1 and 2 give the same weights")
	}
	byName := map[string][]float32{}
	for _, p := range p1 {
		byName[p.Name] = p.Data
	}
	checks := []struct {
		name     string
		lo, hi   float32
		constant bool
	}{
		{"backbone.blocks.0.norm1.weight", 1, 1, true},
		{"backbone.blocks.0.norm1.bias", 0, 0, true},
		{"side.stem.bn1.running_var", 1, 1, true},
		{"side.stem.bn1.running_mean", 0, 0, true},
		{"keypoint_head.deconv_layers.1.weight", 1, 1, true},
		{"side.mga.alpha", 1.0 / 3, 1.0 / 3, true},
		{"backbone.pos_embed", -0.02, 0.02, false},
		{"side.ladder.gates", -0.1, 0.1, false},
		{"backbone.blocks.0.mlp.fc2.weight", -1 / 16.0, 1 / 16.0, false}, // fan_in 256
		{"backbone.blocks.0.mlp.fc2.bias", -1 / 16.0, 1 / 16.0, false},
		{"side.out_proj.weight", -1 / float32(math.Sqrt(32)), 1 / float32(math.Sqrt(32)), false},
	}
	for _, c := range checks {
		data, ok := byName[c.name]
		if !ok {
			t.Fatalf("no parameter %s", c.name)
		}
		lo, hi := data[0], data[0]
		for _, v := range data {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo < c.lo || hi > c.hi || (!c.constant && (lo == hi || (len(data) >= 64 && (hi < c.hi/2 || lo > c.lo/2)))) {
			t.Errorf("%s spans [%v, %v], want within [%v, %v]%s", c.name, lo, hi, c.lo, c.hi,
				map[bool]string{true: " (constant)", false: " and spread over it"}[c.constant])
		}
	}
	in := Input(cfg, 2, 9)
	levels, err := SampleLevels(m1, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) != 2 {
		t.Fatalf("%d levels for a batch of 2", len(levels))
	}
	for _, lv := range levels {
		if lv.Fre < 1 || lv.Fre > 4 || lv.Spa < 1 || lv.Spa > 4 {
			t.Errorf("levels %+v out of 1-4", lv)
		}
	}
	hm, err := m1.Forward(posemodel.NewWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range hm.Data() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("heatmap value %d is %v", i, v)
		}
	}
}
