package gpumodel_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
)

// TestInferenceOnlyModel checks that New refuses a model loaded
// inference-only (its backbone linear weights exist only packed, with no
// host values to upload) with an error naming the cause, with or without a
// device, instead of failing on a size check or uploading nothing.
func TestInferenceOnlyModel(t *testing.T) {
	man, err := testmodel.Read(filepath.Join(modelsDir(), "vitpose_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "model.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	m, err := posemodel.Load(p, posemodel.LoadOptions{InferenceOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts gpumodel.Options
	}{
		{"no device (New would open the GPU)", gpumodel.Options{GPU: gpu.Options{}}},
		{"emulated device", gpumodel.Options{Device: emuDevice}}, // nil without a C compiler: same as above
	} {
		g, err := gpumodel.New(m, tc.opts)
		if err == nil {
			g.Close()
			t.Fatalf("%s: New accepted an inference-only model", tc.name)
		}
		t.Logf("%s: %v", tc.name, err)
		for _, s := range []string{`"backbone.blocks.0.`, "has no host values", "inference-only", "InferenceOnly"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, s)
			}
		}
	}
}
