package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestForwardDataset runs "forward -dataset N" on the ViTPose+ golden
// folder computed by Hugging Face's own code (two samples, experts 0 and
// 1): sample N of each run must match Hugging Face's heatmaps within the
// goldens' tolerance (1e-5 of max|ref|), and an index past the experts is
// refused.
func TestForwardDataset(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "goldens", "vitpose_hf", "moe2_classic")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Hugging Face goldens: %v", err)
	}
	want, shape := readTensor(t, filepath.Join(dir, "expected.safetensors"), "heatmaps")
	per := len(want) / shape[0]
	tmp := t.TempDir()
	for n := 0; n < 2; n++ {
		out := filepath.Join(tmp, "out.safetensors")
		var stderr bytes.Buffer
		err := runForward([]string{"-weights", dir, "-input", filepath.Join(dir, "input.safetensors"), "-output", out, "-dataset", strconv.Itoa(n), "-device", "cpu"}, &bytes.Buffer{}, &stderr)
		if err != nil {
			t.Fatalf("-dataset %d: %v\n%s", n, err, stderr.String())
		}
		got, _ := readTensor(t, out, "heatmaps")
		var maxErr, maxRef float64
		for i := n * per; i < (n+1)*per; i++ {
			maxErr = math.Max(maxErr, math.Abs(float64(got[i]-want[i])))
			maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
		}
		t.Logf("-dataset %d: sample %d rel err %.3g", n, n, maxErr/maxRef)
		if !(maxErr/maxRef <= 1e-5) {
			t.Errorf("-dataset %d: sample %d rel err %.3g > 1e-5", n, n, maxErr/maxRef)
		}
	}
	err := runForward([]string{"-weights", dir, "-input", filepath.Join(dir, "input.safetensors"), "-output", filepath.Join(tmp, "x.safetensors"), "-dataset", "2", "-device", "cpu"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "experts 0..1") {
		t.Errorf("-dataset 2: err %v, want the experts named", err)
	}
}
