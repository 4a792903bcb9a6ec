package posemodel

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// splitCheckpoint writes a manifest's backbone + head into one file and its
// side network into another, as `-side side.safetensors` uses them.
func splitCheckpoint(t *testing.T, man *testmodel.Manifest, dir string) (string, string) {
	t.Helper()
	var bb, side []weights.Tensor
	for _, r := range man.Tensors {
		wt := weights.Tensor{Name: r.Name, DType: weights.F32, Shape: r.Shape, Data: r.Data()}
		if strings.HasPrefix(r.Name, "side.") {
			side = append(side, wt)
		} else {
			bb = append(bb, wt)
		}
	}
	cfg, err := ParseConfig(string(man.Config))
	if err != nil {
		t.Fatal(err)
	}
	plain := cfg
	plain.Side = nil
	bp, sp := filepath.Join(dir, "backbone.safetensors"), filepath.Join(dir, "side.safetensors")
	if err := weights.Write(bp, bb, map[string]string{MetadataKey: plain.JSON()}); err != nil {
		t.Fatal(err)
	}
	if err := weights.Write(sp, side, map[string]string{MetadataKey: cfg.JSON()}); err != nil {
		t.Fatal(err)
	}
	return bp, sp
}

func TestSideGoldens(t *testing.T) {
	cases := []struct {
		name  string
		split bool
	}{{"side_tiny", false}, {"side_tiny", true}, {"side_small", false}}
	if testing.Short() {
		cases = cases[:2]
	}
	dumps := []string{"backbone", "f_vit", "f_fre", "f_spa", "f_fv", "f_sv", "f_fus"}
	for _, tc := range cases {
		label := tc.name
		if tc.split {
			label += "/split"
		}
		t.Run(label, func(t *testing.T) {
			man, err := testmodel.Read(filepath.Join(modelsDir(), tc.name+".manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var m *Model
			if tc.split {
				bp, sp := splitCheckpoint(t, man, dir)
				m, err = Load(bp, LoadOptions{SidePath: sp})
			} else {
				p := filepath.Join(dir, "model.safetensors")
				if err := man.WriteCheckpoint(p, false, true); err != nil {
					t.Fatal(err)
				}
				m, err = Load(p, LoadOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if !m.HasSide() {
				t.Fatal("model loaded without its side network")
			}
			ref, err := weights.Open(filepath.Join(modelsDir(), tc.name+".out.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			in, shape := man.InputData()
			ws := NewWorkspace()
			ws.Keep(m.IntermediateNames()...)
			hm, err := m.Forward(ws, tensor.FromSlice(in, shape...))
			if err != nil {
				t.Fatal(err)
			}
			compareTensor(t, label, hm, ref, "heatmaps")
			for _, name := range dumps {
				got, ok := ws.Intermediate(name)
				if !ok {
					t.Fatalf("intermediate %s not kept", name)
				}
				compareTensor(t, label, got, ref, name)
			}
			for _, name := range []string{"level_fre", "level_spa"} {
				got, _ := ws.Intermediate(name)
				want, _, err := ref.Float32(name)
				if err != nil {
					t.Fatal(err)
				}
				g := got.Data()
				for i := range want {
					if g[i] != want[i] {
						t.Errorf("%s: %s[%d] = %v, PyTorch chose %v", label, name, i, g[i], want[i])
					}
				}
				t.Logf("%s: %s = %v (PyTorch %v)", label, name, g, want)
			}
		})
	}
}
