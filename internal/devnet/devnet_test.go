package devnet

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// tiny writes testdata/models/vitpose_tiny as a checkpoint and returns a
// LoadFunc for it that records the inferenceOnly flags it was called with.
func tiny(t *testing.T) (LoadFunc, *[]bool, tensor.Tensor) {
	t.Helper()
	man, err := testmodel.Read(filepath.Join("..", "..", "testdata", "models", "vitpose_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	var calls []bool
	load := func(inferenceOnly bool) (*posemodel.Model, error) {
		calls = append(calls, inferenceOnly)
		return posemodel.Load(p, posemodel.LoadOptions{InferenceOnly: inferenceOnly})
	}
	in, shape := man.InputData()
	return load, &calls, tensor.FromSlice(in, shape...)
}

// gpuUsable reports whether this host has a usable GPU.
func gpuUsable() bool {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		return false
	}
	d.Close()
	return true
}

// inferenceOnly reports whether m was loaded inference-only (some
// parameter has no host values).
func inferenceOnly(m *posemodel.Model) bool {
	for _, p := range m.Params() {
		if p.Data == nil {
			return true
		}
	}
	return false
}

// TestLoadCPU checks the choices on the CPU: "cpu" always, "auto" and
// "cuda" as a host without a GPU resolves them. The model is loaded
// inference-only for the CPU, and not at all when the choice fails.
func TestLoadCPU(t *testing.T) {
	load, calls, _ := tiny(t)
	type want struct {
		line string // prefix
		err  string // substring; "" for success
	}
	cases := map[string]want{
		"cpu": {line: "device: CPU (as asked)"},
		"CPU": {line: "device: CPU (as asked)"},
		"tpu": {err: `unknown device "tpu"`},
	}
	if !gpuUsable() {
		cases["auto"] = want{line: "device: CPU (no usable GPU: "}
		cases[""] = want{line: "device: CPU (no usable GPU: "}
		cases["cuda"] = want{err: "no usable GPU"}
	}
	for choice, w := range cases {
		*calls = nil
		n, err := Load(choice, gpu.Options{}, load)
		if w.err != "" {
			if err == nil || !strings.Contains(err.Error(), w.err) {
				t.Errorf("%q: error %v, want one with %q", choice, err, w.err)
			}
			if choice == "cuda" && !errors.Is(err, gpu.ErrUnavailable) {
				t.Errorf("%q: error %v does not match gpu.ErrUnavailable", choice, err)
			}
			if len(*calls) != 0 {
				t.Errorf("%q: the model was loaded (%v) although the choice failed", choice, *calls)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", choice, err)
		}
		t.Logf("%q: %s", choice, n.Line)
		if !strings.HasPrefix(n.Line, w.line) || strings.Contains(n.Line, "\n") {
			t.Errorf("%q: line %q, want one line starting %q", choice, n.Line, w.line)
		}
		if n.OnGPU() || n.GPU != nil || n.Model == nil {
			t.Errorf("%q: not a CPU network: %+v", choice, n)
		}
		if len(*calls) != 1 || !(*calls)[0] || !inferenceOnly(n.Model) {
			t.Errorf("%q: loaded with inferenceOnly %v, want once with true", choice, *calls)
		}
		if err := n.Close(); err != nil {
			t.Errorf("%q: Close on the CPU: %v", choice, err)
		}
	}
}

// openEmu opens an emulated GPU, skipping without a C compiler.
func openEmu(t *testing.T) *gpu.Device {
	t.Helper()
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// closed reports whether d refuses work because it was closed.
func closed(d *gpu.Device) bool {
	_, err := d.Alloc(1)
	return err != nil && strings.Contains(err.Error(), "closed")
}

// TestPlaceGPU checks Place on the emulated GPU: the model is loaded with
// its host values and uploaded, the network gives the CPU's heatmaps to
// float32 rounding (1e-4 of their range, as gpumodel's own tests), and
// Close releases the network and the device.
func TestPlaceGPU(t *testing.T) {
	load, calls, in := tiny(t)
	ref, err := Load("cpu", gpu.Options{}, load)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Model.Forward(posemodel.NewWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	d := openEmu(t)
	*calls = nil
	n, err := Place(d, "device: GPU "+d.Info().String(), false, load)
	if err != nil {
		t.Fatal(err)
	}
	if !n.OnGPU() || len(*calls) != 1 || (*calls)[0] || inferenceOnly(n.Model) {
		t.Fatalf("on the GPU %v, loaded with inferenceOnly %v; want the GPU, once with false", n.OnGPU(), *calls)
	}
	got, err := n.GPU.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	var maxErr, maxRef float64
	for i, w := range want.Data() {
		maxErr = math.Max(maxErr, math.Abs(float64(got.Data()[i])-float64(w)))
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
	}
	t.Logf("emulated GPU vs CPU: relative error %.3g", maxErr/maxRef)
	if !(maxErr/maxRef <= 1e-4) {
		t.Errorf("emulated GPU vs CPU: relative error %.3g > 1e-4", maxErr/maxRef)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if !closed(d) {
		t.Error("Close left the device open")
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := n.GPU.Forward(in); err == nil {
		t.Error("Forward after Close accepted")
	}
}

// TestPlaceFailures checks what happens when the GPU cannot take the model
// (forced by a loader that always gives an inference-only model, which
// gpumodel.New refuses): "cuda" fails naming the device and the cause,
// "auto" falls back to the CPU, reloading the model inference-only, and
// says why; either way the device is closed. A failing loader closes the
// device too.
func TestPlaceFailures(t *testing.T) {
	good, _, _ := tiny(t)
	var calls []bool
	stubborn := func(inferenceOnly bool) (*posemodel.Model, error) {
		calls = append(calls, inferenceOnly)
		return good(true)
	}
	for _, fallBack := range []bool{false, true} {
		d := openEmu(t)
		calls = nil
		n, err := Place(d, "device: GPU "+d.Info().String(), fallBack, stubborn)
		if !closed(d) {
			t.Errorf("fallBack %v: the device was left open", fallBack)
		}
		if !fallBack {
			if err == nil || !strings.Contains(err.Error(), "emulator 0") || !strings.Contains(err.Error(), "inference-only") {
				t.Errorf("error %v, want one naming the device and the cause", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fall-back: %s", n.Line)
		if n.OnGPU() || !strings.HasPrefix(n.Line, "device: CPU (GPU emulator 0") || !strings.Contains(n.Line, "cannot take the model: gpumodel: parameter") {
			t.Errorf("fall-back: on the GPU %v, line %q", n.OnGPU(), n.Line)
		}
		if len(calls) != 2 || calls[0] || !calls[1] {
			t.Errorf("fall-back: loaded with inferenceOnly %v, want false then true", calls)
		}
	}

	d := openEmu(t)
	broken := errors.New("no such checkpoint")
	_, err := Place(d, "device: GPU", true, func(bool) (*posemodel.Model, error) { return nil, broken })
	if !errors.Is(err, broken) || !closed(d) {
		t.Errorf("failing loader: error %v, device closed %v", err, closed(d))
	}
}
