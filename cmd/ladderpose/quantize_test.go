package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// TestQuantizeAndInt8Forward: quantize writes I8 codes and F32 scales with
// the scheme in the metadata; forward runs the file at int8 by itself, with
// the same heatmaps as -precision int8 on the float checkpoint; forward
// -precision int8 writes the same bytes across runs and for GOMAXPROCS 1
// and 2, close to float32's heatmaps but not equal to them.
func TestQuantizeAndInt8Forward(t *testing.T) {
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "side_tiny")
	q := filepath.Join(dir, "q.safetensors")
	code, stdout, stderr := runCommand("quantize", "-weights", ckpt, "-out", q)
	if code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "linear layers as int8") {
		t.Errorf("quantize stdout %q", stdout)
	}
	f, err := weights.Open(q)
	if err != nil {
		t.Fatal(err)
	}
	meta := f.Metadata()["ladderpose.quantization"]
	n8 := 0
	for _, name := range f.Names() {
		if info, _ := f.Info(name); info.DType == weights.I8 {
			n8++
			if s, ok := f.Info(name + "_scale"); !ok || s.DType != weights.F32 {
				t.Errorf("%s has no F32 scales", name)
			}
		}
	}
	f.Close()
	if n8 == 0 || !strings.Contains(meta, "7-bit") {
		t.Fatalf("%d I8 tensors, scheme %q", n8, meta)
	}

	fwd := func(name string, procs int, args ...string) []byte {
		t.Helper()
		out := filepath.Join(dir, name)
		old := runtime.GOMAXPROCS(procs)
		code, _, stderr := runCommand(append([]string{"forward", "-device", "cpu", "-input", input, "-output", out}, args...)...)
		runtime.GOMAXPROCS(old)
		if code != 0 {
			t.Fatalf("forward %v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var first []byte
	for i, procs := range []int{2, 1, 2, 1} {
		b := fwd("int8.safetensors", procs, "-weights", ckpt, "-precision", "int8")
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("forward -precision int8: run %d (GOMAXPROCS %d) wrote other bytes than the first run", i, procs)
		}
	}
	hmInt8, _ := readTensor(t, filepath.Join(dir, "int8.safetensors"), "heatmaps")
	fwd("q.out.safetensors", 2, "-weights", q)
	hmQ, _ := readTensor(t, filepath.Join(dir, "q.out.safetensors"), "heatmaps")
	fwd("f32.safetensors", 2, "-weights", ckpt)
	hmF, _ := readTensor(t, filepath.Join(dir, "f32.safetensors"), "heatmaps")
	var maxErr, maxRef float64
	for i := range hmF {
		if math.Float32bits(hmQ[i]) != math.Float32bits(hmInt8[i]) {
			t.Fatalf("heatmap %d: %v from the quantized file, %v with -precision int8", i, hmQ[i], hmInt8[i])
		}
		maxErr = math.Max(maxErr, math.Abs(float64(hmInt8[i]-hmF[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(hmF[i])))
	}
	t.Logf("side_tiny: int8 vs float32 heatmaps, max abs error %.3g (%.3f%% of max |heatmap|)", maxErr, 100*maxErr/maxRef)
	if maxErr == 0 || maxErr > 0.05*maxRef {
		t.Errorf("int8 heatmaps differ from float32 by %.3g of %.3g", maxErr, maxRef)
	}

	// A quantized file does not run at float32; bad precisions are usage errors.
	if code, _, stderr := runCommand("forward", "-device", "cpu", "-weights", q, "-input", input, "-output", filepath.Join(dir, "x"), "-precision", "float32"); code == 0 || !strings.Contains(stderr, "runs only at precision int8") {
		t.Errorf("quantized file at float32: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCommand("forward", "-weights", ckpt, "-input", input, "-output", filepath.Join(dir, "x"), "-precision", "int4"); code != 2 || !strings.Contains(stderr, `unknown precision "int4"`) {
		t.Errorf("-precision int4: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCommand("quantize", "-weights", ckpt); code != 2 || !strings.Contains(stderr, "need -weights and -out") {
		t.Errorf("quantize without -out: exit %d: %s", code, stderr)
	}
}

// TestBenchInt8: bench -precision int8 says so and prints its ms/image line,
// on a quantized file and on random weights.
func TestBenchInt8(t *testing.T) {
	dir := t.TempDir()
	ckpt := tinyCheckpoint(t)
	q := filepath.Join(dir, "q.safetensors")
	if code, _, stderr := runCommand("quantize", "-weights", ckpt, "-out", q); code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, stderr)
	}
	line := regexp.MustCompile(`(?m)^[0-9.]+ ms/image, [0-9.]+ images/s, [0-9.]+ GFLOP/s`)
	for _, args := range [][]string{
		{"-weights", ckpt, "-precision", "int8"},
		{"-weights", q},
		{"-size", "S", "-precision", "int8", "-iters", "1", "-warmup", "0"},
	} {
		code, stdout, stderr := runCommand(append([]string{"bench", "-device", "cpu", "-iters", "2", "-warmup", "1"}, args...)...)
		if code != 0 {
			t.Fatalf("bench %v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(stdout, "precision: int8") || !line.MatchString(stdout) {
			t.Errorf("bench %v output:\n%s", args, stdout)
		}
	}
}
