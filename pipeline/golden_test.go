package pipeline

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// Reference data: the project's shared goldens (mmpose and OpenCV, see
// ../../shared/goldens/README.md) and this package's own cases written by
// tools/gen_pipeline_goldens.py.
var (
	sharedDecodeDir = filepath.Join("..", "..", "shared", "goldens", "decode")
	ownDir          = filepath.Join("..", "testdata", "pipeline")
)

// tensor is a golden array with its shape.
type tensor struct {
	v     []float32
	shape []int
}

// loadTensors reads the named tensors of a safetensors golden (copies, so
// tests may modify them).
func loadTensors(t testing.TB, path string, names ...string) map[string]tensor {
	t.Helper()
	f, err := weights.Open(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	defer f.Close()
	out := map[string]tensor{}
	for _, n := range names {
		v, shape, err := f.Float32(n)
		if err != nil {
			t.Fatalf("golden: %v", err)
		}
		out[n] = tensor{slices.Clone(v), shape}
	}
	return out
}

// wantShape fails the test if a golden tensor does not have the given shape.
func wantShape(t testing.TB, name string, got tensor, shape ...int) {
	t.Helper()
	if !slices.Equal(got.shape, shape) {
		t.Fatalf("golden %s has shape %v, want %v", name, got.shape, shape)
	}
}

// goldenName names a golden file for subtests: "shared/..." or "own/...".
func goldenName(path string) string {
	if strings.HasPrefix(path, sharedDecodeDir) {
		return "shared/" + filepath.Base(path)
	}
	return "own/" + filepath.Base(path)
}

// relDiff is |a-b| / max(|b|, floor).
func relDiff(a, b, floor float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), floor)
}
