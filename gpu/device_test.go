package gpu_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/ops"
)

// TestOpenWithoutGPU checks the fall-back path: on a host without a usable
// GPU (this repository's CI, a laptop), Open returns an error that wraps
// ErrUnavailable and names what is missing; it never crashes. On a GPU host
// the test logs the device and skips.
func TestOpenWithoutGPU(t *testing.T) {
	d, err := gpu.Open(gpu.Options{})
	if err == nil {
		t.Logf("a GPU is present: %v", d.Info())
		d.Close()
		t.Skip("this host has a usable GPU; the fall-back path runs elsewhere")
	}
	t.Logf("Open: %v", err)
	if !errors.Is(err, gpu.ErrUnavailable) {
		t.Fatalf("Open's error %q does not wrap ErrUnavailable", err)
	}
	var wants []string
	if cgoBuild {
		// The first thing that can be missing is the driver library;
		// a host with the driver names the device or library instead.
		wants = []string{"libcuda.so.1", "CUDA device", "cuBLAS", "NVRTC"}
	} else {
		wants = []string{"without cgo", "Linux only"}
	}
	ok := false
	for _, w := range wants {
		ok = ok || strings.Contains(err.Error(), w)
	}
	if !ok {
		t.Errorf("Open's error %q names none of %q", err, wants)
	}
	if cgoBuild && !libcudaLoadable() && !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Errorf("no libcuda.so.1 on this host, but Open's error %q does not say so", err)
	}
	// Another ordinal fails the same way (no device is ever touched).
	if _, err := gpu.Open(gpu.Options{Ordinal: 7}); !errors.Is(err, gpu.ErrUnavailable) {
		t.Errorf("Open(ordinal 7) = %v, want ErrUnavailable", err)
	}
}

func TestSelect(t *testing.T) {
	_, openErr := gpu.Open(gpu.Options{})
	gpuHere := openErr == nil
	cases := []struct {
		choice  string
		wantErr bool
		wantCPU bool
		line    string
	}{
		{"cpu", false, true, "device: CPU (as asked)"},
		{"CPU", false, true, "device: CPU (as asked)"},
		{"auto", false, !gpuHere, "device: "},
		{"", false, !gpuHere, "device: "},
		{"cuda", !gpuHere, !gpuHere, ""},
		{"tpu", true, true, ""},
	}
	for _, tc := range cases {
		d, line, err := gpu.Select(tc.choice, gpu.Options{})
		if d != nil {
			d.Close()
		}
		t.Logf("Select(%q) = %v, %q, %v", tc.choice, d != nil, line, err)
		if (err != nil) != tc.wantErr {
			t.Errorf("Select(%q): error %v, want error %v", tc.choice, err, tc.wantErr)
		}
		if err == nil && (d == nil) != tc.wantCPU {
			t.Errorf("Select(%q): device %v, want CPU %v", tc.choice, d, tc.wantCPU)
		}
		if err == nil && !strings.HasPrefix(line, tc.line) {
			t.Errorf("Select(%q): line %q, want it to start with %q", tc.choice, line, tc.line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("Select(%q): the log line %q has several lines", tc.choice, line)
		}
	}
	if !gpuHere {
		_, line, _ := gpu.Select("auto", gpu.Options{})
		if !strings.HasPrefix(line, "device: CPU (no usable GPU: ") || !strings.Contains(line, strings.TrimPrefix(openErr.Error(), "gpu: no usable GPU: ")) {
			t.Errorf("auto without a GPU logs %q, want the CPU and Open's reason %q", line, openErr)
		}
		_, _, err := gpu.Select("cuda", gpu.Options{})
		if !errors.Is(err, gpu.ErrUnavailable) {
			t.Errorf("Select(cuda) without a GPU: %v, want ErrUnavailable", err)
		}
	}
}

// TestArgumentErrors checks that wrong sizes are errors before anything
// runs, and that the device stays usable after them.
func TestArgumentErrors(t *testing.T) {
	d := dev(t)
	small := alloc(t, d, 8)
	big := alloc(t, d, 64)
	conv, err := gpu.NewConv2D(big, gpu.Buf{}, ops.Conv2DParams{InC: 2, OutC: 2, KH: 3, KW: 3})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
	}{
		{"layernorm rows", func() error { return d.LayerNorm(small, small, 3, 4, small, small, 1e-6, big) }},
		{"layernorm scratch", func() error { return d.LayerNorm(small, small, 2, 4, small, small, 1e-6, small) }},
		{"softmax zero width", func() error { return d.Softmax(small, 2, 0, big) }},
		{"softmax scratch", func() error { return d.Softmax(small, 2, 4, small) }},
		{"softmax misaligned scratch", func() error { return d.Softmax(small, 1, 4, alloc(t, d, 300).From(1)) }},
		{"bias act activation", func() error { return d.BiasAct(small, 8, gpu.Buf{}, 1, 1, ops.Act(9)) }},
		{"bias too short", func() error { return d.BiasAct(big, 64, small, 1, 16, ops.ActNone) }},
		{"split heads columns", func() error { return d.SplitHeads(big, big, 4, 2, 1, 2, 2, 2) }},
		{"transpose", func() error { return d.TransposeBatch(small, big, 2, 3, 4) }},
		{"upload too long", func() error { return d.Upload(small, make([]float32, 9)) }},
		{"download too long", func() error { return d.Download(make([]float32, 9), small) }},
		{"copy too long", func() error { return d.Copy(small, big) }},
		{"conv input", func() error { return d.Conv2D(conv, big, small, 1, 4, 4, big) }},
		{"conv scratch", func() error { return d.Conv2D(conv, big, big, 1, 4, 4, small) }},
		{"conv empty output", func() error { return d.Conv2D(conv, big, big, 1, 2, 2, big) }},
		{"strip select width", func() error { return d.StripSelect(big, 2, big, 2, big, 4, small, 1, 2, 2, 2) }},
		{"alloc zero", func() error { _, err := d.Alloc(0); return err }},
	}
	for _, tc := range cases {
		err := tc.call()
		t.Logf("%s: %v", tc.name, err)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if _, err := gpu.NewConv2D(small, gpu.Buf{}, ops.Conv2DParams{InC: 2, OutC: 2, KH: 3, KW: 3}); err == nil {
		t.Error("NewConv2D with a short weight accepted")
	}
	if _, err := gpu.NewConv2D(big, gpu.Buf{}, ops.Conv2DParams{InC: 3, OutC: 2, KH: 1, KW: 1, Groups: 2}); err == nil {
		t.Error("NewConv2D with 3 channels in 2 groups accepted")
	}
	if _, err := gpu.NewConvTranspose2D(big, gpu.Buf{}, ops.ConvTranspose2DParams{InC: 1, OutC: 1, KH: 2, KW: 2, StrideH: 2, StrideW: 2, OutPadH: 2}); err == nil {
		t.Error("NewConvTranspose2D with output padding >= stride accepted")
	}
	// Extents past the kernels' 32-bit indices (a dry run: nothing is
	// allocated).
	huge, _ := gpu.NewMeasureArena().Alloc(math.MaxInt32)
	if err := d.DryRun().Softmax(huge, 1<<20, 1<<12, huge); err == nil || !strings.Contains(err.Error(), "32-bit") {
		t.Errorf("softmax over 2^32 values: %v, want the 32-bit limit", err)
	}
	// Still usable.
	if err := d.Upload(small, []float32{1, 2}); err != nil {
		t.Fatalf("device unusable after argument errors: %v", err)
	}
}

// TestDeviceFailureIsSticky checks that a failure of queued work (here the
// emulator refusing a pointer outside every allocation, as a GPU faults on
// an illegal address) is an error, and that the device refuses further
// work with that error rather than running on corrupt state.
func TestDeviceFailureIsSticky(t *testing.T) {
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b, err := d.Alloc(16)
	if err != nil {
		t.Fatal(err)
	}
	stray := gpu.Buf{Ptr: 8, N: 16} // an address no allocation holds
	err = d.BiasAct(stray, 16, gpu.Buf{}, 1, 1, 0)
	t.Logf("launch on a stray pointer: %v", err)
	if err == nil || !strings.Contains(err.Error(), "outside every allocation") {
		t.Fatalf("launch on a stray pointer: %v, want the emulator's refusal", err)
	}
	err = d.BiasAct(b, 16, gpu.Buf{}, 1, 1, 0)
	t.Logf("next launch: %v", err)
	if err == nil || !strings.Contains(err.Error(), "earlier failure") {
		t.Fatalf("launch after a failure: %v, want the sticky error", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Alloc(4); err == nil {
		t.Error("Alloc after Close succeeded")
	}
}

// TestDryRunMeasures checks that a dry run with a measuring arena checks
// arguments like the device and finds the space a computation needs.
func TestDryRunMeasures(t *testing.T) {
	d := dev(t)
	dry := d.DryRun()
	a := gpu.NewMeasureArena()
	x, _ := a.Alloc(100)
	y, _ := a.Alloc(30)
	scratch := gpu.Buf{Ptr: 1 << 40, N: gpu.ReduceScratch(10)}
	if err := dry.Softmax(x, 10, 10, scratch); err != nil {
		t.Fatal(err)
	}
	if err := dry.Softmax(y, 10, 10, scratch); err == nil {
		t.Error("dry run accepted a softmax over 100 values in a 30-value buffer")
	}
	if got, want := a.Peak(), 128+30; got != want {
		t.Errorf("peak %d values, want %d (100 aligned to 64, then 30)", got, want)
	}
	a.Reset()
	a.Alloc(10)
	if a.Peak() != 158 {
		t.Errorf("peak after reset %d, want it kept at 158", a.Peak())
	}
	// A real arena of the measured size holds the same allocations.
	ra, err := d.NewArena(a.Peak())
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Free()
	if _, err := ra.Alloc(100); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Alloc(30); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Alloc(1); err == nil {
		t.Error("arena allocated past its size")
	}
}
