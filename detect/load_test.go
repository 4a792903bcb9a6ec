package detect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// copyCheckpoint writes the r50_tiny golden checkpoint into a temporary
// folder with its tensors passed through edit (which may drop, reshape or
// retype them) and its config.json through editCfg, and returns the folder.
func copyCheckpoint(t *testing.T, edit func([]weights.Tensor) []weights.Tensor, editCfg func([]byte) []byte) string {
	t.Helper()
	src := filepath.Join(goldenDir, "r50_tiny")
	if _, err := os.Stat(src); os.IsNotExist(err) {
		t.Skipf("goldens not present at %s", goldenDir)
	}
	f, err := weights.Open(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []weights.Tensor
	for _, n := range f.Names() {
		d, s, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, weights.Tensor{Name: n, DType: weights.F32, Shape: s, Data: append([]float32(nil), d...)})
	}
	if edit != nil {
		ts = edit(ts)
	}
	dir := t.TempDir()
	if err := weights.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if editCfg != nil {
		cfg = editCfg(cfg)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadBadInput checks that a missing tensor, a misshapen tensor and an
// unsupported model_type are refused with errors that name them.
func TestLoadBadInput(t *testing.T) {
	for _, name := range []string{
		"model.backbone.model.encoder.stages.1.layers.0.shortcut.1.normalization.running_var",
		"model.encoder.fpn_blocks.1.bottlenecks.2.conv2.conv.weight",
		"model.encoder.encoder.0.layers.0.fc2.bias",
		"model.encoder_input_proj.2.0.weight",
		"model.decoder.layers.2.fc1.weight",
	} {
		drop := func(ts []weights.Tensor) []weights.Tensor {
			var out []weights.Tensor
			for _, x := range ts {
				if x.Name != name {
					out = append(out, x)
				}
			}
			if len(out) != len(ts)-1 {
				t.Fatalf("%s is not in the checkpoint", name)
			}
			return out
		}
		_, err := Load(copyCheckpoint(t, drop, nil))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "missing") {
			t.Errorf("missing %s: error %v", name, err)
		}
		reshape := func(ts []weights.Tensor) []weights.Tensor {
			for i := range ts {
				if ts[i].Name == name {
					ts[i].Shape = []int{len(ts[i].Data)} // flattened
					if len(ts[i].Data) == ts[i].Shape[0] && len(ts[i].Data) > 1 && len(ts[i].Data)%2 == 0 && len(ts[i].Data) < 1000 {
						ts[i].Shape = []int{2, len(ts[i].Data) / 2}
					}
				}
			}
			return ts
		}
		_, err = Load(copyCheckpoint(t, reshape, nil))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "shape") {
			t.Errorf("misshapen %s: error %v", name, err)
		}
	}
	_, err := Load(copyCheckpoint(t, nil, func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"model_type": "rt_detr"`, `"model_type": "rt_detr_v2"`, 1))
	}))
	if err == nil || !strings.Contains(err.Error(), "model_type") || !strings.Contains(err.Error(), "rt_detr_v2") {
		t.Errorf("rt_detr_v2: error %v", err)
	}
	// preprocessor_config.json beside the weights is read and checked.
	dir := copyCheckpoint(t, nil, nil)
	os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), []byte(`{"size": {"height": 100, "width": 640}}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "size") {
		t.Errorf("100x640 preprocessing: error %v", err)
	}
	os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), []byte(`{"size": {"height": 320, "width": 480}, "resample": 2}`), 0o644)
	if det, err := Load(dir); err != nil || det.Preprocess().Height != 320 || det.Preprocess().Width != 480 {
		t.Errorf("320x480 preprocessing: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Error("a missing folder loaded")
	}
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("not safetensors"), 0o644)
	if _, err := Load(filepath.Join(dir, "model.safetensors")); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("no config.json: error %v", err)
	}
}

// TestLoadHalfPrecision checks F16 and BF16 checkpoints (converted at load)
// and the top-level class_embed / bbox_embed aliases: the outputs stay
// close to the F32 model's, and the aliases give the same bits.
func TestLoadHalfPrecision(t *testing.T) {
	g := loadGolden(t, "r50_tiny")
	ref, _, err := g.det.Forward(context.Background(), g.px, g.b, g.h, g.w, nil)
	if err != nil {
		t.Fatal(err)
	}
	level2 := func(det *Detector) []float32 {
		var out []float32
		_, _, err := det.Forward(context.Background(), g.px, g.b, g.h, g.w, func(n string, data []float32, _ ...int) {
			if n == "encoder_level2" {
				out = append(out, data...)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	refLevel := level2(g.det)
	// Aliases only: move the decoder heads to their top-level names.
	alias := func(ts []weights.Tensor) []weights.Tensor {
		for i := range ts {
			for _, p := range []string{"class_embed.", "bbox_embed."} {
				if strings.HasPrefix(ts[i].Name, "model.decoder."+p) {
					ts[i].Name = strings.TrimPrefix(ts[i].Name, "model.decoder.")
				}
			}
		}
		return ts
	}
	det, err := Load(filepath.Join(copyCheckpoint(t, alias, nil), "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	logits, _, err := det.Forward(context.Background(), g.px, g.b, g.h, g.w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(logits, ref); d != 0 {
		t.Errorf("aliased heads: logits differ by %g", d)
	}
	for _, c := range []struct {
		dt  weights.DType
		tol float64 // of max|ref|: F16 keeps 11 significant bits, BF16 8
	}{{weights.F16, 0.005}, {weights.BF16, 0.05}} {
		dt := c.dt
		conv := func(ts []weights.Tensor) []weights.Tensor {
			for i := range ts {
				ts[i].DType = dt
			}
			return ts
		}
		det, err := Load(copyCheckpoint(t, conv, nil))
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		// Rounded weights move the encoder's output a little (the query
		// selection may change, so the decoder's rows are not compared); a
		// wrong conversion moves it far.
		got := level2(det)
		d, m := maxDiff(got, refLevel), maxAbs(refLevel)
		t.Logf("%s: encoder_level2 max|diff| vs F32 %.3g (max|ref| %.3g)", dt, d, m)
		if d > c.tol*m {
			t.Errorf("%s: encoder_level2 differs from F32 by %g", dt, d)
		}
	}
}
