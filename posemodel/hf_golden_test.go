package posemodel

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// hfGoldenTol is the accepted error against Hugging Face's own VitPose code
// (../shared/goldens/vitpose_hf, float64 outputs): max|got - want| over
// max|want| per tensor, as its README states (Hugging Face's float32 run is
// at about 6e-7).
const hfGoldenTol = 1e-5

func hfGoldenDir() string { return filepath.Join("..", "..", "shared", "goldens", "vitpose_hf") }

// TestHFVitPoseGoldens runs the four Hugging Face model folders (classic and
// simple decoders, a ViTPose+ backbone with two experts, a 14-keypoint
// model) as they are and checks the heatmaps and the backbone's output
// against the outputs of Hugging Face's code, each ViTPose+ sample with its
// own expert (one forward pass per sample, as "forward -dataset N" runs),
// and that GOMAXPROCS 1 and 2 give the same bits.
func TestHFVitPoseGoldens(t *testing.T) {
	root := hfGoldenDir()
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no Hugging Face goldens: %v", err)
	}
	cases := []struct {
		name      string
		keypoints int
		experts   int
		head      string
	}{
		{"vit128_classic", 17, 0, "classic"},
		{"vit128_simple", 17, 0, "simple"},
		{"moe2_classic", 17, 2, "classic"},
		{"k14_simple", 14, 0, "simple"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, tc.name)
			m, err := Load(dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Cfg.Keypoints != tc.keypoints || m.Cfg.Experts != tc.experts || m.Cfg.Head != tc.head {
				t.Fatalf("config: %d keypoints, %d experts, %s head; want %d, %d, %s", m.Cfg.Keypoints, m.Cfg.Experts, m.Cfg.Head, tc.keypoints, tc.experts, tc.head)
			}
			if len(m.Cfg.KeypointNames) != tc.keypoints {
				t.Errorf("%d keypoint names, want %d (from id2label)", len(m.Cfg.KeypointNames), tc.keypoints)
			}
			in, err := weights.Open(filepath.Join(dir, "input.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			img, shape, err := in.Float32("image")
			if err != nil {
				t.Fatal(err)
			}
			b := shape[0]
			datasets := make([]int, b)
			if s := in.Metadata()["dataset_index"]; s != "" && s != "null" {
				if err := json.Unmarshal([]byte(s), &datasets); err != nil || len(datasets) != b {
					t.Fatalf("dataset_index %q: %v", s, err)
				}
			}
			ref, err := weights.Open(filepath.Join(dir, "expected.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			hmWant, hmShape, err := ref.Float32("heatmaps")
			if err != nil {
				t.Fatal(err)
			}
			bbWant, bbShape, err := ref.Float32("backbone")
			if err != nil {
				t.Fatal(err)
			}
			run := func() (hm, bb []float32) {
				ws := NewWorkspace()
				ws.Keep("backbone")
				per := len(img) / b
				for i := 0; i < b; i++ {
					ws.SetDataset(datasets[i])
					out, err := m.Forward(ws, tensor.FromSlice(img[i*per:(i+1)*per], 1, shape[1], shape[2], shape[3]))
					if err != nil {
						t.Fatal(err)
					}
					hm = append(hm, out.Contiguous().Data()...)
					k, _ := ws.Intermediate("backbone")
					bb = append(bb, k.Contiguous().Data()...)
				}
				return hm, bb
			}
			hm, bb := run()
			if len(hm) != len(hmWant) || hmShape[1] != tc.keypoints {
				t.Fatalf("heatmaps: %d values, want %d (shape %v)", len(hm), len(hmWant), hmShape)
			}
			if len(bb) != len(bbWant) {
				t.Fatalf("backbone: %d values, want %d (shape %v)", len(bb), len(bbWant), bbShape)
			}
			checkRel(t, "heatmaps", hm, hmWant, hfGoldenTol)
			checkRel(t, "backbone", bb, bbWant, hfGoldenTol)

			// Each expert matters: the other expert's output must differ.
			if tc.experts > 1 {
				ws := NewWorkspace()
				per := len(img) / b
				ws.SetDataset(1 - datasets[0])
				out, err := m.Forward(ws, tensor.FromSlice(img[:per], 1, shape[1], shape[2], shape[3]))
				if err != nil {
					t.Fatal(err)
				}
				if rel := maxRel(out.Contiguous().Data(), hmWant[:len(hmWant)/b]); rel < 100*hfGoldenTol {
					t.Errorf("sample 0 with the other expert is within %.3g of its own expert's reference: the expert does not matter", rel)
				}
				ws.SetDataset(tc.experts)
				if _, err := m.Forward(ws, tensor.FromSlice(img[:per], 1, shape[1], shape[2], shape[3])); err == nil || !strings.Contains(err.Error(), "dataset index") {
					t.Errorf("dataset %d of %d experts: err %v, want a dataset index error", tc.experts, tc.experts, err)
				}
			}

			prev := runtime.GOMAXPROCS(1)
			hm1, _ := run()
			runtime.GOMAXPROCS(2)
			hm2, _ := run()
			runtime.GOMAXPROCS(prev)
			for i := range hm1 {
				if math.Float32bits(hm1[i]) != math.Float32bits(hm2[i]) || math.Float32bits(hm1[i]) != math.Float32bits(hm[i]) {
					t.Fatalf("heatmap value %d: %v (GOMAXPROCS 1), %v (2), %v (default): not bit-identical", i, hm1[i], hm2[i], hm[i])
				}
			}
		})
	}
}

// maxRel returns max|got - want| / max|want|.
func maxRel(got, want []float32) float64 {
	var maxErr, maxRef float64
	for i, w := range want {
		maxErr = math.Max(maxErr, math.Abs(float64(got[i])-float64(w)))
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
	}
	return maxErr / maxRef
}

// checkRel fails unless max|got - want| / max|want| <= tol (NaNs fail).
func checkRel(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	rel := maxRel(got, want)
	t.Logf("%s: rel err %.3g (tolerance %g)", name, rel, tol)
	if !(rel <= tol) {
		t.Errorf("%s: max|got - want| / max|want| = %.3g > %g", name, rel, tol)
	}
}

// TestHFConfigErrors checks that malformed Hugging Face folders are refused
// with a message naming the field or tensor at fault.
func TestHFConfigErrors(t *testing.T) {
	root := hfGoldenDir()
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no Hugging Face goldens: %v", err)
	}
	// folder copies a golden model folder with its config.json edited by
	// edit and, if drop is set, a model.safetensors without that tensor.
	folder := func(t *testing.T, name string, edit func(map[string]any), drop string) string {
		t.Helper()
		src := filepath.Join(root, name)
		dir := t.TempDir()
		b, err := os.ReadFile(filepath.Join(src, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(cfg)
		}
		b, _ = json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := weights.Open(filepath.Join(src, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var ts []weights.Tensor
		for _, n := range f.Names() {
			if n == drop {
				continue
			}
			v, s, err := f.Float32(n)
			if err != nil {
				continue // num_batches_tracked (I64): not read by the engine
			}
			ts = append(ts, weights.Tensor{Name: n, DType: weights.F32, Shape: s, Data: v})
		}
		if err := weights.Write(filepath.Join(dir, "model.safetensors"), ts, f.Metadata()); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	backbone := func(c map[string]any) map[string]any { return c["backbone_config"].(map[string]any) }
	cases := []struct {
		name, model string
		edit        func(map[string]any)
		drop        string
		want        string
	}{
		{"id2label shorter than the head", "vit128_classic", func(c map[string]any) {
			m := c["id2label"].(map[string]any)
			delete(m, "16")
		}, "", "id2label has 16 names but the head predicts 17"},
		{"id2label with a gap", "vit128_classic", func(c map[string]any) {
			m := c["id2label"].(map[string]any)
			m["17"] = m["16"]
			delete(m, "3")
		}, "", `id2label: key "17"`},
		{"num_labels against id2label", "k14_simple", func(c map[string]any) { c["num_labels"] = 17 }, "", "num_labels 17 disagrees with id2label's 14"},
		{"part_features as wide as the model", "moe2_classic", func(c map[string]any) { backbone(c)["part_features"] = 128 }, "", "part_features 128 must be positive and smaller than hidden_size 128"},
		{"part_features zero with experts", "moe2_classic", func(c map[string]any) { backbone(c)["part_features"] = 0 }, "", "part_features 0"},
		{"missing expert tensor", "moe2_classic", nil, "backbone.encoder.layer.1.mlp.experts.1.weight", "backbone.encoder.layer.1.mlp.experts.1.weight"},
		{"experts in the file, none in the config", "moe2_classic", func(c map[string]any) { backbone(c)["num_experts"] = 1 }, "", "mlp.fc2"},
		{"not a VitPose", "vit128_simple", func(c map[string]any) { c["model_type"] = "rt_detr" }, "", `model_type "rt_detr"`},
		{"edges outside the keypoints", "k14_simple", func(c map[string]any) { c["edges"] = [][]int{{0, 14}} }, "", "skeleton edge 0 [0 14]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := folder(t, tc.model, tc.edit, tc.drop)
			_, err := Load(dir, LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// FuzzParseHFConfig feeds arbitrary config.json contents to the Hugging
// Face config parser: it must return a config or an error, never panic, and
// any config it returns with keypoints must name each of them.
func FuzzParseHFConfig(f *testing.F) {
	for _, c := range []string{"vit128_classic", "moe2_classic", "k14_simple"} {
		if b, err := os.ReadFile(filepath.Join(hfGoldenDir(), c, "config.json")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"backbone_config":{"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":1},"id2label":{"0":"a","2":"b"}}`))
	f.Add([]byte(`{"backbone_config":{"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":1,"num_experts":3,"part_features":8}}`))
	f.Add([]byte(`{"backbone_config":{"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":1},"edges":[[0,1,2]],"num_labels":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseHFConfig(b)
		if err != nil {
			return
		}
		if len(c.KeypointNames) != 0 && len(c.KeypointNames) != c.Keypoints {
			t.Fatalf("%d names for %d keypoints", len(c.KeypointNames), c.Keypoints)
		}
		if c.MoE() && (c.PartFeatures <= 0 || c.PartFeatures >= c.Dim) {
			t.Fatalf("accepted part_features %d for width %d", c.PartFeatures, c.Dim)
		}
		if c.Keypoints > 0 {
			_ = c.Validate() // must not panic
		}
	})
}
