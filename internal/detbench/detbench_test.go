package detbench

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/ladderpose/ladderpose/detect"
)

// TestFLOPs pins the analytic counts of the two layouts at 640x640 and
// checks them against the RT-DETR paper's figures (60 and 136 GFLOP for
// r18vd and r50vd, which count the box head on all positions: 2.2 GFLOP
// more than detect computes).
func TestFLOPs(t *testing.T) {
	for _, c := range []struct {
		name  string
		paper float64
	}{{"r18", 60}, {"r50", 136}} {
		cfg, err := Config(c.name)
		if err != nil {
			t.Fatal(err)
		}
		g := float64(FLOPs(cfg, 640, 640)) / 1e9
		t.Logf("%s: %.2f GFLOP at 640x640", c.name, g)
		if full := g + 2.2; math.Abs(full-c.paper)/c.paper > 0.03 {
			t.Errorf("%s: %.2f + 2.2 GFLOP, the paper says %.0f", c.name, g, c.paper)
		}
	}
}

// TestRandomSane runs the random r18 layout at 320x320 and checks that
// every intermediate tensor is finite, not constant and of moderate size,
// and that the same seed gives the same output.
func TestRandomSane(t *testing.T) {
	d, err := Random("r18", 1)
	if err != nil {
		t.Fatal(err)
	}
	in := Input(1, 320, 320, 1)
	dump := func(name string, data []float32, shape ...int) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range data {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("%s: %v", name, f)
			}
			lo, hi = min(lo, f), max(hi, f)
		}
		t.Logf("%-30s %v [%.3g, %.3g]", name, shape, lo, hi)
		if name != "enc_topk_indices" && (hi == lo || max(-lo, hi) > 1e3) {
			t.Errorf("%s ranges over [%g, %g]", name, lo, hi)
		}
	}
	logits, boxes, err := d.Forward(context.Background(), in, 1, 320, 320, dump)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Random("r18", 1)
	if err != nil {
		t.Fatal(err)
	}
	l2, b2, err := d2.Forward(context.Background(), in, 1, 320, 320, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(logits, l2) || !slices.Equal(boxes, b2) {
		t.Error("two models of the same seed differ")
	}
}

// TestWriteFolder checks that the folder WriteFolder writes loads (through
// detect.Load, as a published checkpoint) into the same network as Random:
// the same outputs, bit for bit.
func TestWriteFolder(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFolder(dir, "r18", 3); err != nil {
		t.Fatal(err)
	}
	loaded, err := detect.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	random, err := Random("r18", 3)
	if err != nil {
		t.Fatal(err)
	}
	in := Input(1, 256, 256, 2)
	l1, b1, err := loaded.Forward(context.Background(), in, 1, 256, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	l2, b2, err := random.Forward(context.Background(), in, 1, 256, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l1, l2) || !slices.Equal(b1, b2) {
		t.Error("the written folder loads into a different network")
	}
}
