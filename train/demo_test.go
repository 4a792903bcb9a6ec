package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/synth"
)

// TestHoldsDataset checks the demo's test for reusing a dataset folder: the
// same options are recognised, other sizes, interference, yaw bounds, a
// dataset written by the generator before its info listed every option, and
// a missing or broken file are not.
func TestHoldsDataset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "interference")
	o := synth.Options{Dir: dir, N: 4, Seed: 3, Width: 96, Height: 72, Interference: synth.Heavy, Val: 0.25, MaxYaw: DemoMaxYaw}
	if same, err := holdsDataset(o); err != nil || same {
		t.Fatalf("empty folder: holds %v, err %v", same, err)
	}
	if _, err := synth.Generate(o, nil); err != nil {
		t.Fatal(err)
	}
	if same, err := holdsDataset(o); err != nil || !same {
		t.Fatalf("same options: holds %v, err %v", same, err)
	}
	for name, change := range map[string]func(*synth.Options){
		"N":            func(o *synth.Options) { o.N = 5 },
		"interference": func(o *synth.Options) { o.Interference = synth.Mixed },
		"max yaw":      func(o *synth.Options) { o.MaxYaw = 0 },
		"val":          func(o *synth.Options) { o.Val = 0.5 },
		"seed":         func(o *synth.Options) { o.Seed = 4 },
	} {
		other := o
		change(&other)
		if same, err := holdsDataset(other); err != nil || same {
			t.Errorf("other %s: holds %v, err %v", name, same, err)
		}
	}
	// A dataset from the generator before "images", "val", "people",
	// "quality" and "max_yaw" were recorded.
	p := filepath.Join(dir, "val.json")
	d, err := coco.ReadDataset(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"images", "val", "people", "quality", "max_yaw"} {
		delete(d.Info, k)
	}
	if err := coco.WriteDataset(p, d); err != nil {
		t.Fatal(err)
	}
	if same, err := holdsDataset(o); err != nil || same {
		t.Errorf("older info: holds %v, err %v", same, err)
	}
	if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if same, err := holdsDataset(o); err != nil || same {
		t.Errorf("broken val.json: holds %v, err %v", same, err)
	}
	if _, err := holdsDataset(synth.Options{Dir: dir, N: 4, Quality: 101}); err == nil {
		t.Error("invalid options: no error")
	}
}
