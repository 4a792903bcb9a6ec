package gpumodel_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// wholeNetTol is the accepted error of a whole network against PyTorch's
// reference and against the CPU engine: max|got - want| / max|want| over a
// tensor (float32 throughout, different summation orders), as posemodel's
// own golden tests.
const wholeNetTol = 1e-4

// emuDevice is the emulated GPU the tests share (opened by TestMain), or
// nil with the reason in emuErr.
var (
	emuDevice *gpu.Device
	emuErr    error
)

func TestMain(m *testing.M) {
	emuDevice, emuErr = emu.Open()
	code := m.Run()
	if emuDevice != nil {
		if err := emuDevice.Close(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "closing the emulator:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func emulated(t testing.TB) *gpu.Device {
	t.Helper()
	if emuDevice == nil {
		if errors.Is(emuErr, emu.ErrNoCompiler) {
			t.Skipf("no emulated GPU: %v", emuErr)
		}
		t.Fatalf("emulated GPU: %v", emuErr)
	}
	return emuDevice
}

// realGPU opens the CUDA device, skipping the test on a host without one.
func realGPU(t testing.TB) *gpu.Device {
	t.Helper()
	d, err := gpu.Open(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) {
		t.Skipf("no GPU on this host (%v): run the test binary on a GPU host, see tools/gpu/README.md", err)
	}
	if err != nil {
		t.Fatalf("the GPU fails: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	t.Logf("device: %v", d.Info())
	return d
}

func modelsDir() string { return filepath.Join("..", "testdata", "models") }

// testCase is a test model of testdata/models with its input and PyTorch's
// outputs.
type testCase struct {
	name  string
	model *posemodel.Model
	input tensor.Tensor
	ref   *weights.File
}

func loadCase(t testing.TB, name string) testCase {
	t.Helper()
	man, err := testmodel.Read(filepath.Join(modelsDir(), name+".manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "model.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	m, err := posemodel.Load(p, posemodel.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := weights.Open(filepath.Join(modelsDir(), name+".out.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	in, shape := man.InputData()
	return testCase{name: name, model: m, input: tensor.FromSlice(in, shape...), ref: ref}
}

// relErr returns max|got - want| / max|want|.
func relErr(got, want []float32) (float64, float64) {
	var maxErr, maxRef float64
	for i, w := range want {
		maxErr = math.Max(maxErr, math.Abs(float64(got[i])-float64(w)))
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
	}
	if math.IsNaN(maxErr) {
		return maxErr, maxErr
	}
	return maxErr, maxErr / maxRef
}

func compare(t testing.TB, label string, got tensor.Tensor, want []float32, shape []int) {
	t.Helper()
	if !got.HasShape(shape...) {
		t.Fatalf("%s: shape %v, want %v", label, got.Shape(), shape)
	}
	abs, rel := relErr(got.Contiguous().Data(), want)
	for _, v := range got.Data() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%s: holds %v", label, v)
		}
	}
	t.Logf("%-36s max abs err %.3g, rel %.3g", label, abs, rel)
	if !(rel <= wholeNetTol) {
		t.Errorf("%s: relative error %.3g > %g", label, rel, wholeNetTol)
	}
}

// checkAgainstReferences runs tc on g and compares the heatmaps and every
// intermediate with PyTorch's outputs, the levels exactly, and the
// heatmaps with the CPU engine's.
func checkAgainstReferences(t *testing.T, tc testCase, g *gpumodel.Model) tensor.Tensor {
	t.Helper()
	if err := g.Keep(g.IntermediateNames()...); err != nil {
		t.Fatal(err)
	}
	hm, err := g.Forward(tc.input)
	if err != nil {
		t.Fatal(err)
	}
	want, shape, err := tc.ref.Float32("heatmaps")
	if err != nil {
		t.Fatal(err)
	}
	compare(t, tc.name+" heatmaps vs PyTorch", hm, want, shape)
	for _, name := range g.IntermediateNames() {
		got, ok := g.Intermediate(name)
		if !ok {
			t.Fatalf("%s: intermediate %s not kept", tc.name, name)
		}
		want, shape, err := tc.ref.Float32(name)
		if err != nil {
			if name == "sim_fre" || name == "sim_spa" {
				continue // not dumped by the reference
			}
			t.Fatalf("%s: reference %s: %v", tc.name, name, err)
		}
		if name == "level_fre" || name == "level_spa" {
			for i := range want {
				if got.Data()[i] != want[i] {
					t.Errorf("%s: %s[%d] = %v, PyTorch chose %v", tc.name, name, i, got.Data()[i], want[i])
				}
			}
			t.Logf("%-36s %v (PyTorch %v)", tc.name+" "+name, got.Data(), want)
			continue
		}
		compare(t, tc.name+" "+name+" vs PyTorch", got, want, shape)
	}
	cpu, err := tc.model.Forward(posemodel.NewWorkspace(), tc.input)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, tc.name+" heatmaps vs CPU engine", hm, cpu.Contiguous().Data(), cpu.Shape())
	return hm
}

// TestEmulatedGoldens runs the whole network, as gpumodel queues it, on the
// emulated GPU: heatmaps and intermediates against PyTorch at 1e-4, the
// fusion levels exactly, and the heatmaps against the CPU engine.
func TestEmulatedGoldens(t *testing.T) {
	d := emulated(t)
	cases := []string{"vitpose_tiny", "vitpose_tiny_simple", "side_tiny", "side_small"}
	if testing.Short() {
		cases = cases[:3]
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			tc := loadCase(t, name)
			g, err := gpumodel.New(tc.model, gpumodel.Options{Device: d})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			checkAgainstReferences(t, tc, g)
		})
	}
}

// TestGPUGoldens is TestEmulatedGoldens on a real GPU, plus run-to-run
// bit-identity. It skips on a host without a GPU.
func TestGPUGoldens(t *testing.T) {
	d := realGPU(t)
	for _, name := range []string{"vitpose_tiny", "vitpose_tiny_simple", "side_tiny", "side_small"} {
		t.Run(name, func(t *testing.T) {
			tc := loadCase(t, name)
			g, err := gpumodel.New(tc.model, gpumodel.Options{Device: d})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			first := checkAgainstReferences(t, tc, g).Data()
			for run := 1; run < 4; run++ {
				hm, err := g.Forward(tc.input)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range hm.Data() {
					if math.Float32bits(v) != math.Float32bits(first[i]) {
						t.Fatalf("run %d: heatmap value %d is %v, first run %v", run, i, v, first[i])
					}
				}
			}
		})
	}
}

// TestForwardErrors checks bad input and the intermediates' names.
func TestForwardErrors(t *testing.T) {
	d := emulated(t)
	tc := loadCase(t, "vitpose_tiny")
	g, err := gpumodel.New(tc.model, gpumodel.Options{Device: d})
	if err != nil {
		t.Fatal(err)
	}
	for _, shape := range [][]int{{1, 3, 128, 192}, {2, 1, 256, 192}, {0, 3, 256, 192}, {3, 256, 192}} {
		if _, err := g.Forward(tensor.New(shape...)); err == nil {
			t.Errorf("Forward of %v accepted", shape)
		} else {
			t.Logf("Forward of %v: %v", shape, err)
		}
	}
	if err := g.Keep("f_fus"); err == nil {
		t.Error("Keep(f_fus) accepted on a model without a side network")
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Forward(tc.input); err == nil {
		t.Error("Forward after Close accepted")
	}
	if _, err := gpumodel.New(nil, gpumodel.Options{Device: d}); err == nil {
		t.Error("New(nil) accepted")
	}
	// Without a device, New opens the GPU; here that fails cleanly when
	// the host has none.
	if _, err := gpu.Open(gpu.Options{}); errors.Is(err, gpu.ErrUnavailable) {
		_, err := gpumodel.New(tc.model, gpumodel.Options{})
		t.Logf("New without a device on a host without a GPU: %v", err)
		if !errors.Is(err, gpu.ErrUnavailable) {
			t.Errorf("New without a device: %v, want ErrUnavailable", err)
		}
	}
}

// TestBatchSizes checks, on the emulated GPU, that batches of other sizes
// (each with its arena size found by a dry run) give each sample the
// heatmaps of the whole batch, and that a later pass over the whole batch
// is bit-identical to the first.
func TestBatchSizes(t *testing.T) {
	d := emulated(t)
	tc := loadCase(t, "side_tiny")
	g, err := gpumodel.New(tc.model, gpumodel.Options{Device: d})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	all, err := g.Forward(tc.input)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ s, sz int }{{4, 1}, {1, 2}} {
		part, err := g.Forward(tc.input.Narrow(0, p.s, p.sz).Contiguous())
		if err != nil {
			t.Fatal(err)
		}
		want := all.Narrow(0, p.s, p.sz).Contiguous().Data()
		if _, rel := relErr(part.Data(), want); !(rel <= 1e-6) {
			t.Errorf("batch of %d at %d: relative difference %.3g from the whole batch", p.sz, p.s, rel)
		}
	}
	// The stage timer reports posemodel's stages in order.
	var stages []string
	g.SetStageTimer(func(stage string, d time.Duration) { stages = append(stages, stage) })
	if _, err := g.Forward(tc.input.Narrow(0, 0, 1).Contiguous()); err != nil {
		t.Fatal(err)
	}
	g.SetStageTimer(nil)
	if fmt.Sprint(stages) != fmt.Sprint(posemodel.Stages) {
		t.Errorf("stages %v, want %v", stages, posemodel.Stages)
	}
	// The whole batch again, in an arena the smaller batches left holding
	// other values: bit-identical (no kernel reads a value its pass did not
	// write; the first pass ran on the emulator's NaN-filled memory).
	again, err := g.Forward(tc.input)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range again.Data() {
		if math.Float32bits(v) != math.Float32bits(all.Data()[i]) {
			t.Fatalf("second pass: heatmap value %d is %v, first %v", i, v, all.Data()[i])
		}
	}
}

// TestDryRunViTB queues ViT-B with the side network at the benchmarks'
// batch sizes on a dry-run device: every operation's argument checks run
// (sizes, 32-bit limits, buffer extents) without computing anything, and
// the test reports the device memory a pass needs.
func TestDryRunViTB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ViT-B weights (about a second and 1 GB of host memory)")
	}
	m, err := benchmodel.Random("B", true, 1)
	if err != nil {
		t.Fatal(err)
	}
	dry := emulated(t).DryRun()
	g, err := gpumodel.New(m, gpumodel.Options{Device: dry})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Keep(g.IntermediateNames()...); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 32} {
		hm, err := g.Forward(benchmodel.Input(m.Cfg, batch, 2))
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if !hm.HasShape(batch, 17, 64, 48) {
			t.Fatalf("batch %d: heatmaps %v", batch, hm.Shape())
		}
		t.Logf("ViT-B + side, batch %d: activations need %.0f MiB of device memory", batch, float64(g.ArenaValues())*4/(1<<20))
	}
}
