package posemodel

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// TestInitSideKeepsViTPose: a fresh side network (zero output projection)
// leaves the heatmaps of the plain model unchanged, bit for bit, and the
// initialisation is a function of the seed.
func TestInitSideKeepsViTPose(t *testing.T) {
	man, err := testmodel.Read(filepath.Join(modelsDir(), "vitpose_tiny.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	plain, err := Load(p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in, shape := man.InputData()
	want, err := plain.Forward(NewWorkspace(), tensor.FromSlice(in, shape...))
	if err != nil {
		t.Fatal(err)
	}
	wantData := append([]float32(nil), want.Data()...)

	withSide, err := Load(p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	side := SideConfig{Channels: 32, FusionWidth: 16, FusionHeads: 4, Nodes: 8}
	if err := withSide.InitSide(&side, 7); err != nil {
		t.Fatal(err)
	}
	ws := NewWorkspace()
	ws.Keep("f_fus")
	got, err := withSide.Forward(ws, tensor.FromSlice(in, shape...))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data() {
		if math.Float32bits(v) != math.Float32bits(wantData[i]) {
			t.Fatalf("heatmap %d: %v with a fresh side network, %v without", i, v, wantData[i])
		}
	}
	// The side network did run (its features are not all zero).
	fus, _ := ws.Intermediate("f_fus")
	nonzero := 0
	for _, v := range fus.Data() {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("f_fus is all zero: the side network did not run")
	}

	// Same seed, same parameters; another seed, other parameters.
	again, _ := Load(p, LoadOptions{})
	other, _ := Load(p, LoadOptions{})
	if err := again.InitSide(&side, 7); err != nil {
		t.Fatal(err)
	}
	if err := other.InitSide(&side, 8); err != nil {
		t.Fatal(err)
	}
	pa, pb, po := withSide.Params(), again.Params(), other.Params()
	differs := false
	for i := range pa {
		for j := range pa[i].Data {
			if pa[i].Data[j] != pb[i].Data[j] {
				t.Fatalf("%s differs between two inits with seed 7", pa[i].Name)
			}
			if pa[i].Data[j] != po[i].Data[j] {
				differs = true
			}
		}
	}
	if !differs {
		t.Fatal("seeds 7 and 8 gave the same side network")
	}
}
