package posemodel

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// wholeNetTol is the accepted error of a whole network against the PyTorch
// reference: max|got - want| / max|want| over a tensor (float32 throughout,
// different summation orders).
const wholeNetTol = 1e-4

func modelsDir() string { return filepath.Join("..", "testdata", "models") }

// compareTensor checks got against the reference tensor name of ref.
func compareTensor(t *testing.T, label string, got tensor.Tensor, ref *weights.File, name string) {
	t.Helper()
	want, shape, err := ref.Float32(name)
	if err != nil {
		t.Fatalf("%s: reference %s: %v", label, name, err)
	}
	if !got.HasShape(shape...) {
		t.Fatalf("%s: %s has shape %v, want %v", label, name, got.Shape(), shape)
	}
	g := got.Contiguous().Data()
	var maxErr, maxRef float64
	for i, w := range want {
		maxErr = math.Max(maxErr, math.Abs(float64(g[i])-float64(w)))
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
	}
	rel := maxErr / maxRef
	t.Logf("%s: %s max abs err %.3g, max |ref| %.3g, rel %.3g", label, name, maxErr, maxRef, rel)
	if !(rel <= wholeNetTol) {
		t.Errorf("%s: %s differs from PyTorch: max abs err %.3g (rel %.3g > %g)", label, name, maxErr, rel, wholeNetTol)
	}
}

type goldenCase struct {
	name  string
	hf    bool // Hugging Face names
	meta  bool // config in the metadata (else config.json or shape inference)
	infer bool // LoadOptions.InferenceOnly
}

func TestViTPoseGoldens(t *testing.T) {
	cases := []goldenCase{
		{"vitpose_tiny", false, true, false},
		{"vitpose_tiny", true, false, false},
		{"vitpose_tiny_simple", false, true, false},
		{"vitpose_tiny_simple", true, false, false},
		{"vitpose_s", false, false, false}, // standard size recognised from shapes
		{"vitpose_s", true, false, false},
		{"vitpose_tiny", false, true, true},
		{"vitpose_tiny", true, false, true},
	}
	if testing.Short() {
		cases = cases[:3]
	}
	for _, tc := range cases {
		label := tc.name + "/mmpose"
		if tc.hf {
			label = tc.name + "/hf"
		}
		if tc.infer {
			label += "/inference-only"
		}
		t.Run(label, func(t *testing.T) {
			man, err := testmodel.Read(filepath.Join(modelsDir(), tc.name+".manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			ckpt := filepath.Join(dir, "model.safetensors")
			if err := man.WriteCheckpoint(ckpt, tc.hf, tc.meta); err != nil {
				t.Fatal(err)
			}
			path := ckpt
			if tc.hf {
				path = dir // a folder with model.safetensors + config.json
			}
			m, err := Load(path, LoadOptions{InferenceOnly: tc.infer})
			if err != nil {
				t.Fatal(err)
			}
			ref, err := weights.Open(filepath.Join(modelsDir(), tc.name+".out.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			in, shape := man.InputData()
			ws := NewWorkspace()
			ws.Keep("backbone")
			hm, err := m.Forward(ws, tensor.FromSlice(in, shape...))
			if err != nil {
				t.Fatal(err)
			}
			compareTensor(t, label, hm, ref, "heatmaps")
			bb, _ := ws.Intermediate("backbone")
			compareTensor(t, label, bb, ref, "backbone")
		})
	}
}

// TestForwardDeterministic checks bit-identical heatmaps (and, with the
// side network, every dumped intermediate) across runs and for GOMAXPROCS 1
// and 2, for plain ViTPose and with the side network.
func TestForwardDeterministic(t *testing.T) {
	for _, name := range []string{"vitpose_tiny", "side_tiny", "side_small"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == "side_small" {
				t.Skip("-short")
			}
			m, man := loadManifestModel(t, name)
			in, shape := man.InputData()
			outputs := []string{"heatmaps"}
			if m.Cfg.Side != nil {
				outputs = append(outputs, "f_fre", "f_spa", "f_fv", "f_sv", "f_fus")
			}
			first := map[string][]float32{}
			for run, procs := range []int{2, 1, 2, 1} {
				old := runtime.GOMAXPROCS(procs)
				ws := NewWorkspace()
				ws.Keep(outputs[1:]...)
				hm, err := m.Forward(ws, tensor.FromSlice(in, shape...))
				runtime.GOMAXPROCS(old)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range outputs {
					var d []float32
					if o == "heatmaps" {
						d = hm.Data()
					} else {
						v, ok := ws.Intermediate(o)
						if !ok {
							t.Fatalf("no intermediate %q", o)
						}
						d = v.Data()
					}
					d = append([]float32(nil), d...)
					if first[o] == nil {
						first[o] = d
						continue
					}
					for i := range d {
						if math.Float32bits(d[i]) != math.Float32bits(first[o][i]) {
							t.Fatalf("run %d (GOMAXPROCS %d): %s value %d is %v, first run %v", run, procs, o, i, d[i], first[o][i])
						}
					}
				}
			}
		})
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
