package ladderpose

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/posemodel"
)

// gpuUsable reports whether this host has a usable GPU (what "auto" and
// "cuda" do depends on it).
func gpuUsable() bool {
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		return false
	}
	d.Close()
	return true
}

// TestWithDevice checks the device choices as this host resolves them:
// "cpu" and the default run on the CPU; without a GPU, "auto" falls back to
// it with the reason in Device and gives the same bits, and "cuda" fails
// naming why; with one, both run on it and agree with the CPU to float32
// rounding. Bad choices are errors, and Close works on either device.
func TestWithDevice(t *testing.T) {
	img := sampleImage(t)
	ctx := context.Background()
	def := loadSample(t)
	ref, err := def.Estimate(ctx, img, sampleBoxes)
	if err != nil {
		t.Fatal(err)
	}
	if def.Device() != "CPU (as asked)" {
		t.Errorf("default device %q, want the CPU", def.Device())
	}
	haveGPU := gpuUsable()
	for _, tc := range []struct {
		choice string
		device string // prefix of Device(); "" when Load must fail
		err    string // substring of Load's error
	}{
		{"cpu", "CPU (as asked)", ""},
		{"CPU", "CPU (as asked)", ""},
		{"auto", map[bool]string{false: "CPU (no usable GPU: ", true: "GPU cuda 0: "}[haveGPU], ""},
		{"Auto", map[bool]string{false: "CPU (no usable GPU: ", true: "GPU cuda 0: "}[haveGPU], ""},
		{"cuda", map[bool]string{false: "", true: "GPU cuda 0: "}[haveGPU], `device "cuda": gpu: no usable GPU: `},
		{"gpu", "", `WithDevice: unknown device "gpu" (want cpu, cuda or auto)`},
		{"", "", `WithDevice: unknown device ""`},
	} {
		est, err := Load(SampleWeights, WithDevice(tc.choice))
		if tc.device == "" {
			t.Logf("WithDevice(%q): %v", tc.choice, err)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("WithDevice(%q): error %v, want one with %q", tc.choice, err, tc.err)
			}
			if tc.choice == "cuda" && !errors.Is(err, gpu.ErrUnavailable) {
				t.Errorf("WithDevice(cuda): error %v does not match gpu.ErrUnavailable", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("WithDevice(%q): %v", tc.choice, err)
		}
		t.Logf("WithDevice(%q): %s", tc.choice, est.Device())
		if !strings.HasPrefix(est.Device(), tc.device) || strings.Contains(est.Device(), "\n") {
			t.Errorf("WithDevice(%q): Device() %q, want one line starting %q", tc.choice, est.Device(), tc.device)
		}
		got, err := est.Estimate(ctx, img, sampleBoxes)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(tc.device, "CPU") {
			samePoses(t, "WithDevice("+tc.choice+")", got, ref)
		} else {
			nearPoses(t, "WithDevice("+tc.choice+")", got, ref)
		}
		checkClose(t, est, img)
	}
}

// checkClose closes est and checks that it then refuses work with
// ErrClosed and that closing again does nothing.
func checkClose(t *testing.T, est *Estimator, img image.Image) {
	t.Helper()
	if err := est.Close(); err != nil {
		t.Fatalf("Close on %s: %v", est.Device(), err)
	}
	if _, err := est.Estimate(context.Background(), img, sampleBoxes); !errors.Is(err, ErrClosed) {
		t.Errorf("Estimate after Close on %s: error %v, want ErrClosed", est.Device(), err)
	}
	if err := est.Close(); err != nil {
		t.Errorf("second Close on %s: %v", est.Device(), err)
	}
}

// TestEstimatorOnEmulatedGPU runs the estimator's GPU path on the emulated
// device (package gpu/emu: the GPU kernels compiled for the CPU): with a
// side network, the flip test and two batches, the poses, heatmaps and
// fusion levels (read through gpumodel's kept intermediates) agree with the
// CPU estimator's; concurrent calls, whose passes share the one device,
// give every caller its own crops' results, the bits of a lone call; the
// host copy of the weights is dropped; Close releases the device.
func TestEstimatorOnEmulatedGPU(t *testing.T) {
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	side := writeSide(t, posemodel.SideConfig{Channels: 32, FusionWidth: 16, FusionHeads: 4, Nodes: 8}, 3)
	opts := []Option{WithSide(side), WithHeatmaps(true), WithBatchSize(2)}
	cpu := loadSample(t, opts...)
	set := defaultSettings()
	for _, o := range opts {
		if err := o(&set); err != nil {
			t.Fatal(err)
		}
	}
	est, err := load(SampleWeights, set, func(l devnet.LoadFunc) (*devnet.Net, error) {
		return devnet.Place(d, "device: GPU "+d.Info().String(), false, l)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(est.Device(), "GPU emulator 0: ") || est.model != nil || !est.HasSide() || est.Config().JSON() != cpu.Config().JSON() {
		t.Fatalf("device %q, host model kept %v, side %v, config %+v", est.Device(), est.model != nil, est.HasSide(), est.Config())
	}

	img := sampleImage(t)
	ctx := context.Background()
	boxes := [][]Box{
		append([]Box{{X: 100, Y: 20, W: 60, H: 150, Score: 0.7}}, sampleBoxes...),
		sampleBoxes[:1],
		{sampleBoxes[1], {X: 20, Y: 30, W: 200, H: 180, Score: 0.6}},
	}
	lone := make([][]Pose, len(boxes))
	for i, b := range boxes {
		want, err := cpu.Estimate(ctx, img, b)
		if err != nil {
			t.Fatal(err)
		}
		if lone[i], err = est.Estimate(ctx, img, b); err != nil {
			t.Fatal(err)
		}
		nearPoses(t, fmt.Sprintf("emulated GPU, boxes %d", i), lone[i], want)
	}

	var wg sync.WaitGroup
	got := make([][]Pose, len(boxes))
	errs := make([]error, len(got))
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[g], errs[g] = est.Estimate(ctx, img, boxes[g])
		}()
	}
	wg.Wait()
	for g := range got {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		samePoses(t, fmt.Sprintf("concurrent call %d", g), got[g], lone[g])
		for i, p := range got[g] {
			if *p.FusionFlipped != *lone[g][i].FusionFlipped {
				t.Errorf("concurrent call %d pose %d: flipped fusion %+v, want %+v", g, i, *p.FusionFlipped, *lone[g][i].FusionFlipped)
			}
		}
	}

	checkClose(t, est, img)
	if _, err := d.Alloc(1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("the device is still open after Close (Alloc: %v)", err)
	}
}

// Tolerances of a network on a GPU (or the emulated one) against the CPU:
// heatmaps to 1e-4 of their range (float32, other summation orders, as
// gpumodel's tests), so keypoint scores (heatmap maxima, about 1 here) to
// 1e-4 and positions to gpuPosTol image pixels (the DARK step amplifies
// heatmap differences where the untrained model's log-heatmaps are flat;
// see goldenPosTol: 0.05 heatmap pixel is at most 0.26 image pixel for
// the frames of these tests, 333 pixels tall at most). Measured on the
// emulated GPU: 3e-4 pixel and 3e-7.
const (
	gpuHeatmapTol = 1e-4
	gpuScoreTol   = 1e-4
	gpuPosTol     = 0.3
)

// nearPoses compares poses from a GPU with the CPU's, within the tolerances
// above; the fusion levels must be equal and their similarities within
// 1e-4.
func nearPoses(t *testing.T, label string, got, want []Pose) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d poses, want %d", label, len(got), len(want))
	}
	var maxPos, maxScore float64
	for i := range got {
		g, w := got[i], want[i]
		if g.BoxIndex != w.BoxIndex || g.Frame != w.Frame || !(math.Abs(g.Score-w.Score) <= gpuScoreTol) {
			t.Fatalf("%s: pose %d: box %d score %v frame %v, want box %d score %v frame %v", label, i, g.BoxIndex, g.Score, g.Frame, w.BoxIndex, w.Score, w.Frame)
		}
		for k := range g.Keypoints {
			gk, wk := g.Keypoints[k], w.Keypoints[k]
			dp := math.Max(math.Abs(gk.X-wk.X), math.Abs(gk.Y-wk.Y))
			ds := math.Abs(gk.Score-wk.Score) / math.Max(1, math.Abs(wk.Score))
			maxPos, maxScore = math.Max(maxPos, dp), math.Max(maxScore, ds)
			if !(dp <= gpuPosTol) || !(ds <= gpuScoreTol) {
				t.Errorf("%s: pose %d keypoint %d: %+v, want %+v", label, i, k, gk, wk)
			}
		}
		for _, f := range [][2]*Fusion{{g.Fusion, w.Fusion}, {g.FusionFlipped, w.FusionFlipped}} {
			if (f[0] == nil) != (f[1] == nil) {
				t.Fatalf("%s: pose %d: fusion %v, want %v", label, i, f[0], f[1])
			}
			if f[0] != nil && (f[0].LevelFre != f[1].LevelFre || f[0].LevelSpa != f[1].LevelSpa ||
				!(math.Abs(f[0].SimFre-f[1].SimFre) <= 1e-4) || !(math.Abs(f[0].SimSpa-f[1].SimSpa) <= 1e-4)) {
				t.Errorf("%s: pose %d: fusion %+v, want %+v", label, i, *f[0], *f[1])
			}
		}
		if g.Heatmaps != nil && w.Heatmaps != nil {
			var maxErr, maxRef float64
			for j, v := range w.Heatmaps.Data {
				maxErr = math.Max(maxErr, math.Abs(float64(g.Heatmaps.Data[j])-float64(v)))
				maxRef = math.Max(maxRef, math.Abs(float64(v)))
			}
			if !(maxErr <= gpuHeatmapTol*maxRef) {
				t.Errorf("%s: pose %d: heatmaps differ by %.3g of their range", label, i, maxErr/maxRef)
			}
		}
	}
	t.Logf("%s: keypoints within %.3g px, scores within %.3g of the CPU's", label, maxPos, maxScore)
}
