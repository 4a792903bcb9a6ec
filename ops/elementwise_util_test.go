package ops

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// Shared test helpers: guarded slices, seeded random data, error metrics.

// raggedSizes are lengths that are not multiples of any vector width, plus a
// few that are.
var raggedSizes = []int{1, 3, 7, 8, 15, 16, 17, 33, 65, 100, 257}

// guardN is the number of guard values on each side of a guarded slice.
const guardN = 19

// guardVal is written around output slices; a kernel writing past its slice
// changes it.
const guardVal = float32(-7.77e33)

// guarded returns a slice of n elements (filled with NaN, so that a kernel
// that fails to write an element is caught) inside a buffer whose guardN
// elements on each side hold guardVal.
func guarded(n int) (s, buf []float32) {
	buf = make([]float32, n+2*guardN)
	for i := range buf {
		buf[i] = guardVal
	}
	s = buf[guardN : guardN+n : guardN+n]
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s, buf
}

// checkGuards fails the test if a guard value of buf changed.
func checkGuards(t *testing.T, name string, buf []float32) {
	t.Helper()
	n := len(buf) - 2*guardN
	for i := 0; i < guardN; i++ {
		if buf[i] != guardVal || buf[guardN+n+i] != guardVal {
			t.Fatalf("%s: wrote outside the output slice (guard %d)", name, i)
		}
	}
}

// newRand returns a deterministic generator for a test.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x1adde)) }

// randNormal returns n normal values scaled by scale.
func randNormal(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// errStats compares got with a float64 reference: the largest absolute
// error and that error relative to the largest |want| (the metric the
// tolerances in these tests use: max|got-want| / max(max|want|, 1e-30)).
func errStats(got []float32, want []float64) (maxAbs, rel float64) {
	var ref float64
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if math.IsNaN(d) {
			return math.Inf(1), math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
		ref = max(ref, math.Abs(w))
	}
	return maxAbs, maxAbs / max(ref, 1e-30)
}

// checkRel fails the test if the relative error metric exceeds tol.
func checkRel(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	a, r := errStats(got, want)
	if r > tol {
		t.Errorf("%s: max abs error %.3g, relative %.3g > %.1g", name, a, r, tol)
	}
}

// ulpDiff returns the distance in units in the last place between two
// float32 values (0 for two NaNs, MaxInt64 for NaN against a number).
func ulpDiff(a, b float32) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	ord := func(x float32) int64 {
		u := int64(math.Float32bits(x))
		if u&0x80000000 != 0 {
			return -(u & 0x7fffffff)
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

func to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// goldenTol is the tolerance of every comparison with PyTorch's outputs
// (testdata/ops, written by tools/gen_op_goldens.py): max|got - want| /
// max(max|want|, 1e-30) <= 1e-5, float32 against float32 computed in another
// order.
const goldenTol = 1e-5

// openGolden opens testdata/ops/<family>.safetensors and decodes its case
// list (the "cases" metadata) into cases, a pointer to a slice.
func openGolden(t *testing.T, family string, cases any) *weights.File {
	t.Helper()
	f, err := weights.Open(filepath.Join("..", "testdata", "ops", family+".safetensors"))
	if err != nil {
		t.Fatalf("golden file (regenerate with /usr/bin/python3 tools/gen_op_goldens.py): %v", err)
	}
	t.Cleanup(func() { f.Close() })
	if err := json.Unmarshal([]byte(f.Metadata()["cases"]), cases); err != nil {
		t.Fatalf("%s: case list: %v", f.Path(), err)
	}
	return f
}

// goldenTensor returns a copy of the named tensor (the file's memory is
// read-only) and its shape.
func goldenTensor(t *testing.T, f *weights.File, name string) ([]float32, []int) {
	t.Helper()
	v, shape, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), v...), shape
}

// checkGolden compares got with PyTorch's want at goldenTol and logs the
// errors reached.
func checkGolden(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, PyTorch has %d", name, len(got), len(want))
	}
	a, r := errStats(got, to64(want))
	t.Logf("%-40s max abs error %.3g, relative %.3g", name, a, r)
	if r > goldenTol {
		t.Errorf("%s: relative error %.3g > %g", name, r, goldenTol)
	}
}
