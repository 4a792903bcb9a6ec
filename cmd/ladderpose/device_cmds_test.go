package main

import (
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/gpu/emu"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// deviceLines returns the "ladderpose: device: " lines of a command's
// stderr.
func deviceLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ladderpose: device: ") {
			out = append(out, l)
		}
	}
	return out
}

// TestCommandsDevice runs predict, forward and bench with each -device
// value as this host resolves it. Each command logs exactly one device
// line; "cpu" always runs on the CPU; without a GPU, "auto" (also the
// default) falls back to the CPU, saying why, and its output is
// byte-identical to "cpu"'s (predict's results, forward's tensors), while
// "cuda" fails with exit status 1 naming why and writes nothing; with a
// GPU, "auto" and "cuda" run on it and forward's heatmaps agree with the
// CPU's to forwardTol. An unknown device is a usage error.
func TestCommandsDevice(t *testing.T) {
	haveGPU := gpuUsable()
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "side_tiny")
	commands := []struct {
		name string
		args func(out string) []string // out: a path for the output, "" for stdout
		file bool                      // the output goes to the file out
	}{
		{"predict", func(out string) []string {
			return []string{"predict", "-weights", sampleWeights, "-batch", "3", "-box", "150,40,120,170", sampleImage}
		}, false},
		{"forward", func(out string) []string {
			return []string{"forward", "-weights", ckpt, "-input", input, "-output", out, "-dump", "all"}
		}, true},
		{"bench", func(out string) []string {
			return []string{"bench", "-weights", ckpt, "-iters", "1", "-warmup", "0"}
		}, false},
	}
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			outputs := map[string]string{}
			for _, tc := range []struct {
				flag []string
				code int
				line string // prefix of the one device line; "" for none
				err  string // in stderr
			}{
				{[]string{"-device", "cpu"}, 0, "ladderpose: device: CPU (as asked)", ""},
				{[]string{"-device", "auto"}, 0, map[bool]string{false: "ladderpose: device: CPU (no usable GPU: ", true: "ladderpose: device: GPU cuda 0: "}[haveGPU], ""},
				{nil, 0, map[bool]string{false: "ladderpose: device: CPU (no usable GPU: ", true: "ladderpose: device: GPU cuda 0: "}[haveGPU], ""},
				{[]string{"-device", "cuda"}, map[bool]int{false: 1, true: 0}[haveGPU], map[bool]string{false: "", true: "ladderpose: device: GPU cuda 0: "}[haveGPU],
					map[bool]string{false: `device "cuda": gpu: no usable GPU: `, true: ""}[haveGPU]},
				{[]string{"-device", "tpu"}, 2, "", `invalid value "tpu" for flag -device: unknown device "tpu"`},
			} {
				label := strings.Join(tc.flag, " ")
				if label == "" {
					label = "no -device"
				}
				out := filepath.Join(t.TempDir(), "out.safetensors")
				args := cmd.args(out)
				args = append(append(args[:1:1], tc.flag...), args[1:]...)
				code, stdout, stderr := runCommand(args...)
				lines := deviceLines(stderr)
				t.Logf("%s: exit %d, device lines %q", label, code, lines)
				if code != tc.code {
					t.Fatalf("%s: exit %d, want %d; stderr:\n%s", label, code, tc.code, stderr)
				}
				if !strings.Contains(stderr, tc.err) {
					t.Errorf("%s: stderr lacks %q:\n%s", label, tc.err, stderr)
				}
				switch {
				case tc.line == "" && len(lines) != 0:
					t.Errorf("%s: device lines %q, want none", label, lines)
				case tc.line != "" && (len(lines) != 1 || !strings.HasPrefix(lines[0], tc.line)):
					t.Errorf("%s: device lines %q, want one starting %q", label, lines, tc.line)
				}
				onGPU := strings.HasPrefix(tc.line, "ladderpose: device: GPU")
				_, statErr := os.Stat(out)
				if code != 0 {
					if !errors.Is(statErr, os.ErrNotExist) {
						t.Errorf("%s: failed, yet wrote %s (%v)", label, out, statErr)
					}
					continue
				}
				if cmd.name == "bench" {
					if !strings.Contains(stdout, map[bool]string{false: "CPU: ", true: "GPU: "}[onGPU]) {
						t.Errorf("%s: bench output names the wrong device:\n%s", label, stdout)
					}
					continue
				}
				res := stdout
				if cmd.file {
					b, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					res = string(b)
				}
				if len(res) == 0 {
					t.Fatalf("%s: no output", label)
				}
				outputs[label] = res
				if onGPU && cmd.name == "forward" {
					cpu, _ := readTensor(t, writeTemp(t, outputs["-device cpu"]), "heatmaps")
					gpu, _ := readTensor(t, out, "heatmaps")
					if e := relDiff(gpu, cpu); !(e <= forwardTol) {
						t.Errorf("%s: heatmaps differ from the CPU's by %.3g of their range", label, e)
					}
				}
			}
			if !haveGPU && cmd.name != "bench" {
				for _, label := range []string{"-device auto", "no -device"} {
					if outputs[label] != outputs["-device cpu"] {
						t.Errorf("%s: output differs from -device cpu's", label)
					}
				}
			}
		})
	}
}

// writeTemp writes s to a temporary file and returns its path.
func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// relDiff returns max|a - b| / max|b|.
func relDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var maxErr, maxRef float64
	for i := range b {
		maxErr = math.Max(maxErr, math.Abs(float64(a[i])-float64(b[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(b[i])))
	}
	return maxErr / maxRef
}

// TestNetworkGlue checks the network interface the commands use, on the
// CPU and on the emulated GPU, with a side network: kept intermediates
// (the fusion levels exactly, the tokens to forwardTol), stage times under
// posemodel's stage names, unknown intermediates refused, Close.
func TestNetworkGlue(t *testing.T) {
	man, err := testmodel.Read(filepath.Join(testModels, "side_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	in, shape := man.InputData()
	images := tensor.FromSlice(in, shape...)
	load := func(inferenceOnly bool) (*posemodel.Model, error) {
		return posemodel.Load(p, posemodel.LoadOptions{InferenceOnly: inferenceOnly})
	}
	_, cpu, err := loadNet("cpu", new(strings.Builder), load)
	if err != nil {
		t.Fatal(err)
	}
	nets := []network{cpu}
	d, err := emu.Open()
	switch {
	case errors.Is(err, emu.ErrNoCompiler):
		t.Logf("no emulated GPU: %v", err)
	case err != nil:
		t.Fatal(err)
	default:
		defer d.Close()
		n, err := devnet.Place(d, "device: GPU "+d.Info().String(), false, load)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, &gpuNet{n: n})
	}
	kept := []string{"backbone", "f_fus", "level_fre", "level_spa"}
	var ref map[string][]float32
	for _, net := range nets {
		if err := net.Keep("f_nope"); err == nil || !strings.Contains(err.Error(), `"f_nope"`) {
			t.Errorf("%s: Keep(f_nope): %v, want an error naming it", net.Device(), err)
		}
		if err := net.Keep(kept...); err != nil {
			t.Fatal(err)
		}
		var stages []string
		net.SetStageTimer(func(stage string, d time.Duration) { stages = append(stages, stage) })
		hm, err := net.Forward(images)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stages {
			if !slices.Contains(posemodel.Stages, s) {
				t.Errorf("%s: stage %q is not one of posemodel.Stages %v", net.Device(), s, posemodel.Stages)
			}
		}
		if !slices.Contains(stages, "backbone") || !slices.Contains(stages, "head") {
			t.Errorf("%s: stages %v lack the backbone or the head", net.Device(), stages)
		}
		got := map[string][]float32{"heatmaps": slices.Clone(hm.Contiguous().Data())}
		for _, n := range kept {
			v, ok := net.Intermediate(n)
			if !ok {
				t.Fatalf("%s: no intermediate %q kept", net.Device(), n)
			}
			got[n] = slices.Clone(v.Contiguous().Data())
		}
		if ref == nil {
			ref = got
		} else {
			for n, v := range got {
				exact := strings.HasPrefix(n, "level_")
				if e := relDiff(v, ref[n]); exact && e != 0 || !(e <= forwardTol) {
					t.Errorf("%s: %s differs from the CPU's by %.3g of its range", net.Device(), n, e)
				}
			}
		}
		if err := net.Close(); err != nil {
			t.Errorf("%s: Close: %v", net.Device(), err)
		}
	}
}

// TestBenchOnEmulatedGPU runs bench's GPU path on the emulated device, on
// the tiny checkpoint with a fresh side network: the header names the GPU
// and the host CPU, the table has every stage (timed in the extra passes
// with the stage timer), shares add up to 100%, the FLOP column (which
// needs the fusion levels, read back from the GPU) equals the CPU run's,
// and the GPU memory line is there.
func TestBenchOnEmulatedGPU(t *testing.T) {
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ckpt := tinyCheckpoint(t)
	o := benchOptions{weights: ckpt, side: true, batch: 1, iters: 1, warmup: 1, seed: 1, device: "cpu"}
	flops := func(out string) map[string]string {
		m := map[string]string{}
		for _, r := range benchRow.FindAllStringSubmatch(out, -1) {
			m[r[1]] = r[4]
		}
		return m
	}
	var cpuOut, stderr strings.Builder
	if err := bench(o, &cpuOut, &stderr); err != nil {
		t.Fatal(err)
	}
	o.place = func(l devnet.LoadFunc) (*devnet.Net, error) {
		return devnet.Place(d, "device: GPU "+d.Info().String(), false, l)
	}
	var gpuOut strings.Builder
	stderr.Reset()
	if err := bench(o, &gpuOut, &stderr); err != nil {
		t.Fatal(err)
	}
	out := gpuOut.String()
	t.Logf("stderr:\n%s\nstdout:\n%s", stderr.String(), out)
	for _, want := range []string{"GPU: emulator 0: ", "; host CPU: ", "(on the GPU: passes include", "GPU memory: weights about ", "peak resident memory: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if lines := deviceLines(stderr.String()); len(lines) != 1 || !strings.HasPrefix(lines[0], "ladderpose: device: GPU emulator 0") {
		t.Errorf("device lines %q", lines)
	}
	if !strings.Contains(stderr.String(), "bench: 3/3 passes (1 warm-up, 1 with the stage timer)") {
		t.Errorf("progress does not count the warm-up, timed and stage-timer passes:\n%s", stderr.String())
	}
	var names []string
	var shares float64
	for _, r := range benchRow.FindAllStringSubmatch(out, -1) {
		names = append(names, r[1])
		if r[1] != "forward" {
			shares += parse(t, strings.TrimSuffix(r[3], "%"))
		}
	}
	want := append(slices.Clone(posemodel.Stages), "(untimed)", "forward")
	if !slices.Equal(names, want) {
		t.Fatalf("rows %v, want %v", names, want)
	}
	if math.Abs(shares-100) > 0.05*float64(len(names)) {
		t.Errorf("shares add up to %.1f%%", shares)
	}
	if g, c := flops(out), flops(cpuOut.String()); !maps.Equal(g, c) {
		t.Errorf("GFLOP column %v, the CPU run's %v", g, c)
	}
}
