package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// gpuUsable reports whether this host has a usable GPU (the expectations
// of the tests below differ).
func gpuUsable() bool {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		return false
	}
	d.Close()
	return true
}

func TestDeviceCommand(t *testing.T) {
	haveGPU := gpuUsable()
	autoLine := "ladderpose: device: CPU (no usable GPU: "
	cudaCode := 1
	if haveGPU {
		autoLine, cudaCode = "ladderpose: device: GPU cuda 0: ", 0
	}
	cases := []struct {
		args   []string
		code   int
		stdout string // prefix
		stderr string // substring
	}{
		{[]string{"device", "-device", "cpu"}, 0, "ladderpose: device: CPU (as asked)\n", ""},
		{[]string{"device", "-device", "CPU"}, 0, "ladderpose: device: CPU (as asked)\n", ""},
		{[]string{"device"}, 0, autoLine, ""},
		{[]string{"device", "-device", "auto"}, 0, autoLine, ""},
		{[]string{"device", "-device", "cuda"}, cudaCode, "", ""},
		{[]string{"device", "-device", "tpu"}, 2, "", `unknown device "tpu"`},
		{[]string{"device", "extra"}, 2, "", "unexpected arguments"},
		{[]string{"device", "-h"}, 0, "", "usage: ladderpose device"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		t.Logf("%v: exit %d, stdout %q, stderr %q", tc.args, code, stdout.String(), stderr.String())
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
		if !strings.HasPrefix(stdout.String(), tc.stdout) {
			t.Errorf("%v: stdout %q, want it to start with %q", tc.args, stdout.String(), tc.stdout)
		}
		if code == 0 && tc.stdout != "" && strings.Count(stdout.String(), "\n") != 1 {
			t.Errorf("%v: stdout %q is not one line", tc.args, stdout.String())
		}
		if !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%v: stderr %q, want %q in it", tc.args, stderr.String(), tc.stderr)
		}
	}
}

// TestDeviceFlag checks the flag helper as another command would use it.
func TestDeviceFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want deviceChoice
		err  bool
	}{
		{nil, "auto", false},
		{[]string{"-device", "cuda"}, "cuda", false},
		{[]string{"-device=Auto"}, "auto", false},
		{[]string{"-device", "gpu0"}, "", true},
	} {
		fs := newFlags("test", io.Discard)
		dev := addDeviceFlag(fs)
		err := parseFlags(fs, tc.args)
		if tc.err {
			if !errors.Is(err, errUsage) {
				t.Errorf("%v: error %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil || *dev != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.args, *dev, err, tc.want)
		}
	}
	var _ flag.Value = new(deviceChoice)
}

func loadTiny(t *testing.T) (*posemodel.Model, tensor.Tensor) {
	t.Helper()
	man, err := testmodel.Read(filepath.Join("..", "..", "testdata", "models", "vitpose_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	m, err := posemodel.Load(p, posemodel.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in, shape := man.InputData()
	return m, tensor.FromSlice(in, shape...)
}

// TestOpenNet checks openNet on the CPU (forced and, without a GPU, as
// auto's fall-back with its one log line) against posemodel, and the GPU
// path on the emulated device.
func TestOpenNet(t *testing.T) {
	m, in := loadTiny(t)
	want, err := m.Forward(posemodel.NewWorkspace(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantData := append([]float32(nil), want.Data()...)
	choices := []deviceChoice{"cpu"}
	if !gpuUsable() {
		choices = append(choices, "auto")
	}
	for _, c := range choices {
		var stderr bytes.Buffer
		net, err := openNet(m, c, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		if net.Device() != "cpu" {
			t.Errorf("-device %s: runs on %s", c, net.Device())
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.HasPrefix(stderr.String(), "ladderpose: device: CPU") {
			t.Errorf("-device %s: logged %q, want one line naming the CPU", c, stderr.String())
		}
		hm, err := net.Forward(in)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range hm.Data() {
			if v != wantData[i] {
				t.Fatalf("-device %s: heatmap value %d is %v, posemodel gives %v", c, i, v, wantData[i])
			}
		}
		net.Close()
	}
	if !gpuUsable() {
		var stderr bytes.Buffer
		if _, err := openNet(m, "cuda", &stderr); !errors.Is(err, gpu.ErrUnavailable) {
			t.Errorf("-device cuda without a GPU: %v, want ErrUnavailable", err)
		}
	}

	// The GPU path of the glue, on the emulated device.
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	n, err := devnet.Place(d, "device: GPU "+d.Info().String(), false, func(bool) (*posemodel.Model, error) { return m, nil })
	if err != nil {
		t.Fatal(err)
	}
	net := &gpuNet{n: n}
	defer net.Close()
	if !strings.HasPrefix(net.Device(), "gpu: emulator") {
		t.Errorf("emulated network runs on %q", net.Device())
	}
	hm, err := net.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	var maxErr, maxRef float64
	for i, v := range hm.Data() {
		maxErr = math.Max(maxErr, math.Abs(float64(v)-float64(wantData[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(wantData[i])))
	}
	t.Logf("emulated GPU vs CPU: max abs err %.3g, rel %.3g", maxErr, maxErr/maxRef)
	if !(maxErr/maxRef <= 1e-4) {
		t.Errorf("emulated GPU vs CPU: relative error %.3g > 1e-4", maxErr/maxRef)
	}
}
