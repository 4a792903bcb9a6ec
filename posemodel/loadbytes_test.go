package posemodel

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// TestLoadBytesGolden checks LoadBytes against the PyTorch reference: the
// tiny ViTPose (config in the metadata, mmpose names) read from memory, in
// both load modes, gives the golden heatmaps within wholeNetTol, and the
// same heatmaps bit for bit as Load of the same bytes from a file.
func TestLoadBytesGolden(t *testing.T) {
	const name = "vitpose_tiny"
	man, err := testmodel.Read(filepath.Join(modelsDir(), name+".manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "model.safetensors")
	if err := man.WriteCheckpoint(ckpt, false, true); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := weights.Open(filepath.Join(modelsDir(), name+".out.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	in, shape := man.InputData()
	forward := func(m *Model) []float32 {
		t.Helper()
		hm, err := m.Forward(NewWorkspace(), tensor.FromSlice(append([]float32(nil), in...), shape...))
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), hm.Contiguous().Data()...)
	}
	for _, infer := range []bool{false, true} {
		opt := LoadOptions{InferenceOnly: infer}
		fromFile, err := Load(ckpt, opt)
		if err != nil {
			t.Fatal(err)
		}
		fromBytes, err := LoadBytes("embedded tiny", data, opt)
		if err != nil {
			t.Fatal(err)
		}
		if fromBytes.Cfg.Dim != fromFile.Cfg.Dim || fromBytes.Cfg.Depth != fromFile.Cfg.Depth || fromBytes.HasSide() != fromFile.HasSide() {
			t.Fatalf("inference-only %v: LoadBytes config %+v, Load's %+v", infer, fromBytes.Cfg, fromFile.Cfg)
		}
		got := forward(fromBytes)
		// The model keeps no reference to the buffer: overwriting it
		// changes nothing.
		scribbled := append([]byte(nil), data...)
		m2, err := LoadBytes("scribbled", scribbled, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range scribbled {
			scribbled[i] = 0xff
		}
		got2 := forward(m2)
		want := forward(fromFile)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(got2[i]) != math.Float32bits(want[i]) {
				t.Fatalf("inference-only %v: heatmap %d: LoadBytes %v (after scribbling %v), Load %v", infer, i, got[i], got2[i], want[i])
			}
		}
		hmShape := []int{shape[0], fromBytes.Cfg.Keypoints, shape[2] / 4, shape[3] / 4}
		compareTensor(t, "LoadBytes", tensor.FromSlice(got, hmShape...), ref, "heatmaps")
	}
}

// TestLoadBytesErrors checks that bad bytes give errors naming the
// checkpoint, not panics.
func TestLoadBytesErrors(t *testing.T) {
	man, err := testmodel.Read(filepath.Join(modelsDir(), "vitpose_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "model.safetensors")
	if err := man.WriteCheckpoint(ckpt, false, true); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	other, err := weights.Encode([]weights.Tensor{{Name: "x", DType: weights.F32, Shape: []int{1}, Data: []float32{1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		label string
		data  []byte
		opt   LoadOptions
		want  string
	}{
		{"empty", nil, LoadOptions{}, "weights my model: file is 0 bytes"},
		{"truncated", data[:len(data)-5], LoadOptions{}, "weights my model:"},
		{"not a pose model", other, LoadOptions{}, "weights my model: unknown checkpoint layout"},
		{"missing side file", data, LoadOptions{SidePath: filepath.Join(t.TempDir(), "nope.safetensors")}, "nope.safetensors"},
	} {
		m, err := LoadBytes("my model", tc.data, tc.opt)
		if err == nil || m != nil {
			t.Errorf("%s: got a model, err %v", tc.label, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.label, err, tc.want)
		}
		var fe *weights.FormatError
		if tc.label == "truncated" && !errors.As(err, &fe) {
			t.Errorf("%s: error %q is not a *weights.FormatError", tc.label, err)
		}
	}
}
