package gpu_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/weights"
)

// opTol is the tolerance of every emulated kernel against its reference
// (package ops, PyTorch's goldens, or a float64 transcription of SPEC.md):
// max|got - want| / max|want| <= 1e-5, float32 in another order.
const opTol = 1e-5

// emuDevice is the emulated device every test shares (opened by TestMain),
// or nil with the reason in emuErr.
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

// dev returns the emulated device, skipping the test when there is no C
// compiler to build it.
func dev(t testing.TB) *gpu.Device {
	t.Helper()
	if emuDevice == nil {
		if errors.Is(emuErr, emu.ErrNoCompiler) {
			t.Skipf("no emulated GPU: %v", emuErr)
		}
		t.Fatalf("emulated GPU: %v", emuErr)
	}
	return emuDevice
}

// upload copies v into a new device buffer freed at the end of the test.
func upload(t testing.TB, d *gpu.Device, v []float32) gpu.Buf {
	t.Helper()
	b, err := d.Alloc(max(len(v), 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Free(b) })
	if err := d.Upload(b, v); err != nil {
		t.Fatal(err)
	}
	return b
}

// alloc returns a new device buffer of n values (NaN-filled by the
// emulator) freed at the end of the test.
func alloc(t testing.TB, d *gpu.Device, n int) gpu.Buf {
	t.Helper()
	b, err := d.Alloc(max(n, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Free(b) })
	return b
}

// download returns the first n values of b.
func download(t testing.TB, d *gpu.Device, b gpu.Buf, n int) []float32 {
	t.Helper()
	v := make([]float32, n)
	if err := d.Download(v, b); err != nil {
		t.Fatal(err)
	}
	return v
}

// randn returns n values uniform in [-scale, scale).
func randn(rng *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (2*rng.Float32() - 1) * scale
	}
	return v
}

// check compares got with want at opTol and logs the error reached.
func check(t testing.TB, name string, got, want []float32) {
	t.Helper()
	checkTol(t, name, got, want, opTol)
}

func checkTol(t testing.TB, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	var maxErr, maxRef float64
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) {
			t.Fatalf("%s: value %d is %v, want %v", name, i, g, w)
		}
		if !math.IsNaN(w) {
			maxErr = math.Max(maxErr, math.Abs(g-w))
			maxRef = math.Max(maxRef, math.Abs(w))
		}
	}
	rel := maxErr / math.Max(maxRef, 1e-30)
	t.Logf("%-40s max abs error %.3g, relative %.3g", name, maxErr, rel)
	if !(rel <= tol) {
		t.Errorf("%s: relative error %.3g > %g", name, rel, tol)
	}
}

// openGolden opens testdata/ops/<family>.safetensors (PyTorch's outputs,
// written by tools/gen_op_goldens.py).
func openGolden(t *testing.T, family string) *weights.File {
	t.Helper()
	f, err := weights.Open(filepath.Join("..", "testdata", "ops", family+".safetensors"))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// golden returns a copy of a golden tensor.
func golden(t *testing.T, f *weights.File, name string) ([]float32, []int) {
	t.Helper()
	v, shape, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), v...), shape
}
