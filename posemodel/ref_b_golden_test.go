package posemodel

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// TestViTPoseBPlusGoldens checks two ViTPose-B sized models (D 768, depth
// 12, 12 heads) against the project's own PyTorch reference
// (tools/ref/ladderpose_ref.py, gen_model_goldens.py plus):
//   - vitpose_b_moe: a ViTPose+ backbone with vitpose-plus-base's experts
//     (6 experts, part_features 192) and the classic head, checked for each
//     expert the manifest lists (datasets 3 and 0);
//   - vitpose_b_k14: 14 named keypoints with a skeleton, simple head.
//
// Each loads under mmpose names (config in the metadata, and for the MoE
// case also recognised from the shapes alone) and as a Hugging Face folder
// (config.json with num_experts/part_features, id2label and edges);
// heatmaps and the backbone's output must be within wholeNetTol.
func TestViTPoseBPlusGoldens(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: ViTPose-B on the pure-Go path is slow")
	}
	cases := []goldenCase{
		{"vitpose_b_moe", false, true, false},
		{"vitpose_b_moe", false, false, false}, // experts and part_features from the shapes
		{"vitpose_b_moe", true, false, false},
		{"vitpose_b_k14", false, true, false},
		{"vitpose_b_k14", true, false, false},
	}
	for _, tc := range cases {
		label := tc.name + "/mmpose"
		switch {
		case tc.hf:
			label = tc.name + "/hf"
		case !tc.meta:
			label += "/inferred"
		}
		t.Run(label, func(t *testing.T) {
			man, err := testmodel.Read(filepath.Join(modelsDir(), tc.name+".manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParseConfig(string(man.Config))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			ckpt := filepath.Join(dir, "model.safetensors")
			if err := man.WriteCheckpoint(ckpt, tc.hf, tc.meta); err != nil {
				t.Fatal(err)
			}
			path := ckpt
			if tc.hf {
				path = dir
			}
			m, err := Load(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(ckpt) // 350 MB: free it before the forward passes
			checkPlusConfig(t, m.Cfg, want, tc.meta || tc.hf)

			ref, err := weights.Open(filepath.Join(modelsDir(), tc.name+".out.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			datasets := man.Datasets
			if want.MoE() != (len(datasets) > 0) {
				t.Fatalf("manifest lists datasets %v for a config with %d experts", datasets, want.Experts)
			}
			if len(datasets) == 0 {
				datasets = []int{0}
			}
			in, shape := man.InputData()
			for j, ds := range datasets {
				suffix := ""
				if j > 0 {
					suffix = fmt.Sprintf(".dataset%d", ds)
				}
				ws := NewWorkspace()
				ws.Keep("backbone")
				ws.SetDataset(ds)
				hm, err := m.Forward(ws, tensor.FromSlice(in, shape...))
				if err != nil {
					t.Fatal(err)
				}
				l := fmt.Sprintf("%s/dataset %d", label, ds)
				compareTensor(t, l, hm, ref, "heatmaps"+suffix)
				bb, ok := ws.Intermediate("backbone")
				if !ok {
					t.Fatal("no backbone intermediate")
				}
				compareTensor(t, l, bb, ref, "backbone"+suffix)
			}
			if len(datasets) > 1 {
				// The experts must matter: the references of two datasets
				// lie far apart, so matching each shows the expert is used.
				a, _, err := ref.Float32("heatmaps")
				if err != nil {
					t.Fatal(err)
				}
				b, _, err := ref.Float32(fmt.Sprintf("heatmaps.dataset%d", datasets[1]))
				if err != nil {
					t.Fatal(err)
				}
				if d := maxRel(b, a); d < 100*wholeNetTol {
					t.Errorf("datasets %d and %d give heatmaps within %.3g: the golden cannot tell the experts apart", datasets[0], datasets[1], d)
				}
			}
		})
	}
}

// checkPlusConfig checks the loaded config against the manifest's: the
// sizes, the experts and the keypoints always; the keypoint names and the
// skeleton when the checkpoint carries a config (named is false for a
// config recognised from the shapes, which has neither).
func checkPlusConfig(t *testing.T, got, want Config, named bool) {
	t.Helper()
	if got.Dim != want.Dim || got.Depth != want.Depth || got.Heads != want.Heads || got.Head != want.Head ||
		got.Keypoints != want.Keypoints || got.Experts != want.Experts || got.PartFeatures != want.PartFeatures {
		t.Fatalf("loaded config %s, want %s", got.JSON(), want.JSON())
	}
	if !named {
		return
	}
	if !slices.Equal(got.KeypointNames, want.KeypointNames) {
		t.Errorf("keypoint names %q, want %q", got.KeypointNames, want.KeypointNames)
	}
	if !slices.Equal(got.Skeleton, want.Skeleton) {
		t.Errorf("skeleton %v, want %v", got.Skeleton, want.Skeleton)
	}
}

// TestSideOnPlusBackbones runs a side network (InitSide with DefaultSide,
// then a non-zero output projection from a fixed seed) on 14-keypoint and
// ViTPose+ backbones: small ones (D 64 and 128, depth 4, the side network's
// minimum, weights from splitmix recipes) and, without -short, the
// ViTPose-B goldens vitpose_b_k14 and vitpose_b_moe. (The Hugging Face
// golden folders k14_simple and moe2_classic have 2 and 3 blocks, too few
// for the ladder taps.) With the zero output projection InitSide leaves the
// heatmaps the plain model's bit for bit; with a non-zero one they are
// finite, shaped [B, K, 64, 48], differ from the plain model's, differ
// between experts 0 and 1, and are bit-identical for GOMAXPROCS 1 and 2.
func TestSideOnPlusBackbones(t *testing.T) {
	// sideEffectMin is the least change of the heatmaps (relative to
	// max|plain|) that counts as an effect of the side network: 1000 times
	// float32's rounding (with a zero projection they are bit-identical).
	const sideEffectMin = 1e-4
	cases := []struct {
		name     string
		cfg      Config // small: built with recipeModel
		slow     bool   // a ViTPose-B manifest of testdata/models
		datasets []int
	}{
		{name: "k14_small", cfg: Config{Dim: 64, Depth: 4, Heads: 4, MLPRatio: 4, LNEps: 1e-6, Head: "simple", Keypoints: 14, Input: [2]int{256, 192}}, datasets: []int{0}},
		{name: "moe3_small", cfg: Config{Dim: 128, Depth: 4, Heads: 4, MLPRatio: 4, LNEps: 1e-6, Head: "classic", Keypoints: 17, Input: [2]int{256, 192}, Experts: 3, PartFeatures: 32}, datasets: []int{0, 1}},
		{name: "vitpose_b_k14", slow: true, datasets: []int{0}},
		{name: "vitpose_b_moe", slow: true, datasets: []int{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m *Model
			var img []float32
			var shape []int
			if tc.slow {
				if testing.Short() {
					t.Skip("-short: ViTPose-B on the pure-Go path is slow")
				}
				var man *testmodel.Manifest
				m, man = loadManifestModel(t, tc.name)
				img, shape = man.InputData()
			} else {
				m = recipeModel(t, tc.cfg, 0x14)
				b := len(tc.datasets)
				shape = []int{b, 3, 256, 192}
				img = testmodel.Values(0x1a9e, b*3*256*192)
			}
			if (len(tc.datasets) > 1) != m.Cfg.MoE() {
				t.Fatalf("config %s: want experts %v", m.Cfg.JSON(), len(tc.datasets) > 1)
			}
			k := m.Cfg.Keypoints
			forward := func(ds int) []float32 {
				t.Helper()
				ws := NewWorkspace()
				ws.SetDataset(ds)
				hm, err := m.Forward(ws, tensor.FromSlice(img, shape...))
				if err != nil {
					t.Fatalf("dataset %d: %v", ds, err)
				}
				if !hm.HasShape(shape[0], k, 64, 48) {
					t.Fatalf("heatmaps have shape %v, want [%d %d 64 48]", hm.Shape(), shape[0], k)
				}
				return append([]float32(nil), hm.Contiguous().Data()...)
			}

			plain := map[int][]float32{}
			for _, ds := range tc.datasets {
				plain[ds] = forward(ds)
			}
			if err := m.InitSide(nil, 14); err != nil {
				t.Fatal(err)
			}
			if !m.HasSide() {
				t.Fatal("InitSide left no side network")
			}
			for _, ds := range tc.datasets {
				if i := firstBitDiff(forward(ds), plain[ds]); i >= 0 {
					t.Fatalf("dataset %d: with a zero output projection the side network changes heatmap value %d", ds, i)
				}
			}

			var outProj []float32
			for _, p := range m.Params() {
				if p.Name == "side.out_proj.weight" {
					outProj = p.Data
				}
			}
			if outProj == nil {
				t.Fatal("no side.out_proj.weight parameter")
			}
			// Uniform in [-1, 1): F_fus is small after InitSide (about 4e-4
			// at most here: MGA averages over the tokens), so a weight of
			// order one is needed for a visible effect.
			copy(outProj, testmodel.Values(0x5eed14, len(outProj)))
			if err := m.Prepare(); err != nil {
				t.Fatal(err)
			}

			side := map[int][]float32{}
			for _, ds := range tc.datasets {
				hm := forward(ds)
				for i, v := range hm {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("dataset %d: heatmap value %d is %v", ds, i, v)
					}
				}
				d := maxRel(hm, plain[ds])
				t.Logf("dataset %d: the side network moves the heatmaps by %.3g of max|plain|", ds, d)
				if !(d > sideEffectMin) {
					t.Errorf("dataset %d: heatmaps within %.3g of the plain model's: the side network has no effect", ds, d)
				}
				prev := runtime.GOMAXPROCS(1)
				hm1 := forward(ds)
				runtime.GOMAXPROCS(2)
				hm2 := forward(ds)
				runtime.GOMAXPROCS(prev)
				if i := firstBitDiff(hm1, hm); i >= 0 {
					t.Fatalf("dataset %d: GOMAXPROCS 1 changes heatmap value %d: %v, was %v", ds, i, hm1[i], hm[i])
				}
				if i := firstBitDiff(hm2, hm); i >= 0 {
					t.Fatalf("dataset %d: GOMAXPROCS 2 changes heatmap value %d: %v, was %v", ds, i, hm2[i], hm[i])
				}
				side[ds] = hm
			}
			if len(tc.datasets) > 1 {
				d := maxRel(side[1], side[0])
				t.Logf("with the side network, datasets 0 and 1 differ by %.3g of max|h|", d)
				if !(d > 1e-3) {
					t.Errorf("with the side network, datasets 0 and 1 give heatmaps within %.3g: the expert has no effect", d)
				}
			}
		})
	}
}

// recipeModel builds a model of cfg with every backbone and head tensor
// drawn as gen_model_goldens.py's recipes draw them (splitmix values,
// seeded per tensor): norms' gammas near 1, running variances in [0.5,
// 1.5), biases 0.1 and weights sqrt(3/fan_in) in scale, the position
// embedding 0.5.
func recipeModel(t *testing.T, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		last := p.Name[strings.LastIndexByte(p.Name, '.')+1:]
		offset, scale := float32(0), float32(0.1)
		switch {
		case last == "running_var":
			offset, scale = 1, 0.5
		case last == "running_mean":
			scale = 0.2
		case last == "weight" && len(p.Shape) == 1:
			offset, scale = 1, 0.2
		case last == "bias":
		case p.Name == "backbone.pos_embed":
			scale = 0.5
		case len(p.Shape) >= 2:
			fanIn := p.Len() / p.Shape[0]
			if strings.Contains(p.Name, "deconv") {
				fanIn = p.Shape[0] * 4
			}
			scale = float32(math.Sqrt(3 / float64(fanIn)))
		}
		for j, u := range testmodel.Values(seed+uint64(i)*0x9E37, p.Len()) {
			p.Data[j] = u*scale + offset
		}
	}
	if err := m.Prepare(); err != nil {
		t.Fatal(err)
	}
	return m
}

// firstBitDiff returns the first index where a and b differ in their bits,
// or -1 when they are bit-identical (lengths must agree).
func firstBitDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
