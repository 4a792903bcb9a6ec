package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/weights"
)

// testModels is the folder of the test models' manifests and goldens.
var testModels = filepath.Join("..", "..", "testdata", "models")

// forwardTol is the accepted error of the whole network against PyTorch:
// max|got - want| / max|want| over a tensor (float32 throughout, other
// summation orders), as in posemodel's golden tests.
const forwardTol = 1e-4

// writeTestModel writes a test model's checkpoint (config in the metadata)
// and its input batch as "image"; it returns both paths.
func writeTestModel(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	man, err := testmodel.Read(filepath.Join(testModels, name+".manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, name+".safetensors")
	if err := man.WriteCheckpoint(ckpt, false, true); err != nil {
		t.Fatal(err)
	}
	in, shape := man.InputData()
	input := filepath.Join(dir, name+".in.safetensors")
	if err := weights.Write(input, []weights.Tensor{{Name: "image", DType: weights.F32, Shape: shape, Data: in}}, nil); err != nil {
		t.Fatal(err)
	}
	return ckpt, input
}

// readTensor reads a tensor of a safetensors file.
func readTensor(t *testing.T, path, name string) ([]float32, []int) {
	t.Helper()
	f, err := weights.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, s, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), v...), s
}

// TestForwardGolden runs forward on the side_tiny test model with every
// intermediate dumped and compares with PyTorch's outputs
// (testdata/models/side_tiny.out.safetensors from tools/ref): the tensors to
// forwardTol, the fusion levels exactly. Running the batch in pieces
// (-batch 2) gives the same bits.
func TestForwardGolden(t *testing.T) {
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "side_tiny")
	out := filepath.Join(dir, "out.safetensors")
	code, stdout, stderr := runCommand("forward", "-weights", ckpt, "-input", input, "-output", out, "-dump", "all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "for 5 images") {
		t.Errorf("stdout %q", stdout)
	}
	ref := filepath.Join(testModels, "side_tiny.out.safetensors")
	for _, name := range []string{"heatmaps", "backbone", "f_vit", "f_fre", "f_spa", "f_fv", "f_sv", "f_fus"} {
		got, gs := readTensor(t, out, name)
		want, ws := readTensor(t, ref, name)
		if len(gs) != len(ws) || len(got) != len(want) {
			t.Fatalf("%s: shape %v, want %v", name, gs, ws)
		}
		for i := range gs {
			if gs[i] != ws[i] {
				t.Fatalf("%s: shape %v, want %v", name, gs, ws)
			}
		}
		var maxErr, maxRef float64
		for i := range want {
			maxErr = math.Max(maxErr, math.Abs(float64(got[i])-float64(want[i])))
			maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
		}
		t.Logf("%s %v: max abs err %.3g, rel %.3g", name, gs, maxErr, maxErr/maxRef)
		if !(maxErr <= forwardTol*maxRef) {
			t.Errorf("%s differs from PyTorch: max abs err %.3g, rel %.3g > %g", name, maxErr, maxErr/maxRef, forwardTol)
		}
	}
	for _, name := range []string{"level_fre", "level_spa"} {
		got, gs := readTensor(t, out, name)
		want, _ := readTensor(t, ref, name)
		if len(gs) != 1 || gs[0] != 5 {
			t.Fatalf("%s has shape %v, want [5]", name, gs)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %v, PyTorch %v", name, i, got[i], want[i])
			}
		}
		t.Logf("%s = %v", name, got)
	}
	for _, name := range []string{"sim_fre", "sim_spa"} {
		if _, s := readTensor(t, out, name); len(s) != 1 || s[0] != 5 {
			t.Errorf("%s has shape %v, want [5]", name, s)
		}
	}

	pieces := filepath.Join(dir, "pieces.safetensors")
	if code, _, stderr := runCommand("forward", "-weights", ckpt, "-input", input, "-output", pieces, "-dump", "all", "-batch", "2"); code != 0 {
		t.Fatalf("-batch 2: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(pieces)
	if !bytes.Equal(a, b) {
		t.Error("-batch 2 wrote other bytes than the whole batch at once")
	}
}

// TestForwardDeterministic checks that forward writes the same bytes across
// runs and for GOMAXPROCS 1 and 2.
func TestForwardDeterministic(t *testing.T) {
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "side_tiny")
	var first []byte
	for i, procs := range []int{2, 1, 2, 1} {
		out := filepath.Join(dir, "out.safetensors")
		old := runtime.GOMAXPROCS(procs)
		code, _, stderr := runCommand("forward", "-weights", ckpt, "-input", input, "-output", out, "-dump", "f_fus,level_fre")
		runtime.GOMAXPROCS(old)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("run %d (GOMAXPROCS %d) wrote other bytes than the first run", i, procs)
		}
	}
	f, err := weights.Parse("out", first)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "backbone,f_fus,heatmaps,level_fre" {
		t.Errorf("tensors %s", got)
	}
}

// TestForwardErrors checks the errors for bad input files and flags.
func TestForwardErrors(t *testing.T) {
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "vitpose_tiny")
	wrongName := filepath.Join(dir, "wrong_name.safetensors")
	if err := weights.Write(wrongName, []weights.Tensor{{Name: "images", DType: weights.F32, Shape: []int{1, 3, 256, 192}, Data: make([]float32, 3*256*192)}}, nil); err != nil {
		t.Fatal(err)
	}
	wrongShape := filepath.Join(dir, "wrong_shape.safetensors")
	if err := weights.Write(wrongShape, []weights.Tensor{{Name: "image", DType: weights.F32, Shape: []int{2, 3, 128, 96}, Data: make([]float32, 2*3*128*96)}}, nil); err != nil {
		t.Fatal(err)
	}
	notInt := filepath.Join(dir, "int.safetensors")
	raw := []byte(`{"image":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`)
	var hdr [8]byte
	hdr[0] = byte(len(raw))
	if err := os.WriteFile(notInt, append(append(hdr[:], raw...), 0, 0, 0, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.safetensors")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing input tensor", []string{"-weights", ckpt, "-input", wrongName, "-output", out}, 1,
			[]string{wrongName, `no tensor "image" [B, 3, 256, 192]`, `"images"`}},
		{"wrong input shape", []string{"-weights", ckpt, "-input", wrongShape, "-output", out}, 1,
			[]string{wrongShape, `tensor "image" has shape [2 3 128 96], want [B, 3, 256, 192]`}},
		{"input not float", []string{"-weights", ckpt, "-input", notInt, "-output", out}, 1,
			[]string{"image", "I32"}},
		{"input not found", []string{"-weights", ckpt, "-input", filepath.Join(dir, "nope.safetensors"), "-output", out}, 1,
			[]string{"nope.safetensors"}},
		{"dump without side network", []string{"-weights", ckpt, "-input", input, "-output", out, "-dump", "f_vit"}, 2,
			[]string{`-dump "f_vit"`, "no side network"}},
		{"unknown dump", []string{"-weights", ckpt, "-input", input, "-output", out, "-dump", "backbone,nope"}, 2,
			[]string{`-dump "nope"`, "backbone"}},
		{"missing flags", []string{"-weights", ckpt, "-input", input}, 2, []string{"need -weights, -input and -output"}},
		{"output folder missing", []string{"-weights", ckpt, "-input", input, "-output", filepath.Join(dir, "no", "out.safetensors")}, 1,
			[]string{"no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(append([]string{"forward"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, s := range tc.want {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed forward left an output file")
	}
}
