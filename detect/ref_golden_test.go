package detect

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// refGoldenDir holds the cases written by our own PyTorch transcription of
// Hugging Face's RT-DETR (tools/ref/rtdetr_ref.py, gen_detr_goldens.py):
// F16 random weights, batch 2, non-square inputs, expected tensors computed in
// float64 from the stored values (see each case's checks.json).
const refGoldenDir = "../testdata/detr"

// refGoldenCases: an r18vd-like network (basic blocks 2-2-2-2, quarter widths,
// d_model 32, 320x416 with invalid anchors) and an r50-style one (bottleneck
// blocks 3-4-6-3, small widths, d_model 48, 288x224).
var refGoldenCases = []string{"r18vd_like", "r50_style"}

// refTol is the tolerance of every compared tensor: max |ours - ref| over
// max |ref|.
const refTol = 1e-4

func loadRefGolden(t testing.TB, name string) *goldenCase {
	t.Helper()
	dir := filepath.Join(refGoldenDir, name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("reference case %s: %v", name, err)
	}
	det, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	in, err := weights.Open(filepath.Join(dir, "input.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	px, shape, err := in.Float32("pixel_values")
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] < 2 || shape[1] != 3 || shape[2] == shape[3] {
		t.Fatalf("%s: pixel_values shape %v, want [B>=2, 3, H, W] with H != W", name, shape)
	}
	px = append([]float32(nil), px...)
	exp, err := weights.Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exp.Close() })
	return &goldenCase{name: name, det: det, px: px, b: shape[0], h: shape[2], w: shape[3], expected: exp}
}

// refRun is one Forward's outputs and captured intermediates (copies).
type refRun struct {
	logits, boxes []float32
	dumps         map[string][]float32
	shapes        map[string][]int
}

func runRefGolden(t testing.TB, g *goldenCase) *refRun {
	t.Helper()
	r := &refRun{dumps: map[string][]float32{}, shapes: map[string][]int{}}
	logits, boxes, err := g.det.Forward(context.Background(), g.px, g.b, g.h, g.w, func(n string, data []float32, shape ...int) {
		r.dumps[n] = append([]float32(nil), data...)
		r.shapes[n] = append([]int(nil), shape...)
	})
	if err != nil {
		t.Fatalf("%s: Forward: %v", g.name, err)
	}
	r.logits = append([]float32(nil), logits...)
	r.boxes = append([]float32(nil), boxes...)
	return r
}

// TestRefGolden compares the whole network with our PyTorch reference on
// both cases: encoder levels directly, the query selection (same selected
// set, scores and initial reference boxes) and logits and pred_boxes with
// rows matched through enc_topk_indices; each within refTol x max|ref|.
func TestRefGolden(t *testing.T) {
	for _, name := range refGoldenCases {
		t.Run(name, func(t *testing.T) {
			g := loadRefGolden(t, name)
			cfg := g.det.Config()
			q, c := cfg.NumQueries, cfg.NumLabels()
			r := runRefGolden(t, g)

			for l := 0; l < 3; l++ {
				n := levelName("encoder_level", l)
				ref, rs := g.ref(t, n)
				if !sameInts(rs, r.shapes[n]) {
					t.Errorf("%s: shape %v, want %v", n, r.shapes[n], rs)
					continue
				}
				m, d := maxAbs(ref), maxDiff(r.dumps[n], ref)
				t.Logf("%-22s max|diff| %.3g  max|ref| %.3g  ratio %.3g", n, d, m, d/m)
				if !(d <= refTol*m) {
					t.Errorf("%s: max|diff| %.3g > %g x max|ref| %.3g", n, d, refTol, m)
				}
			}

			refIdx, is := g.ref(t, "enc_topk_indices")
			if !sameInts(is, []int{g.b, q}) || !sameInts(r.shapes["enc_topk_indices"], is) {
				t.Fatalf("enc_topk_indices: shape %v, reference %v, want [%d %d]", r.shapes["enc_topk_indices"], is, g.b, q)
			}
			ours := make([]int, g.b*q)
			for i, v := range r.dumps["enc_topk_indices"] {
				ours[i] = int(v)
			}
			rows := rowMap(ours, refIdx, g.b, q)
			for i, rr := range rows {
				if rr < 0 {
					t.Fatalf("image %d row %d: selected position %d is not among the reference's", i/q, i%q, ours[i])
				}
			}
			// compare checks a [B, Q, k] tensor row by row through rows.
			compare := func(n string, got []float32, k int) {
				ref, shape := g.ref(t, n)
				if len(shape) < 2 || !sameInts(shape[:2], []int{g.b, q}) || len(got) != len(ref) || len(ref) != g.b*q*k {
					t.Errorf("%s: %d values, reference shape %v, want [%d %d %d]", n, len(got), shape, g.b, q, k)
					return
				}
				worst := 0.0
				for i := 0; i < g.b*q; i++ {
					img, rr := i/q, rows[i]
					e := ref[(img*q+rr)*k : (img*q+rr+1)*k]
					worst = math.Max(worst, maxDiff(got[i*k:(i+1)*k], e))
				}
				m := maxAbs(ref)
				t.Logf("%-22s max|diff| %.3g  max|ref| %.3g  ratio %.3g", n, worst, m, worst/m)
				if !(worst <= refTol*m) {
					t.Errorf("%s: max|diff| %.3g > %g x max|ref| %.3g", n, worst, refTol, m)
				}
			}
			compare("enc_topk_scores", r.dumps["enc_topk_scores"], 1)
			compare("init_reference_points", r.dumps["init_reference_points"], 4)
			compare("logits", r.logits, c)
			compare("pred_boxes", r.boxes, 4)
		})
	}
}

// TestRefGoldenGOMAXPROCS checks that both reference cases give bit-identical
// logits, boxes and encoder levels with GOMAXPROCS 1 and 2.
func TestRefGoldenGOMAXPROCS(t *testing.T) {
	for _, name := range refGoldenCases {
		t.Run(name, func(t *testing.T) {
			g := loadRefGolden(t, name)
			run := func(procs int) *refRun {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				return runRefGolden(t, g)
			}
			a, b := run(1), run(2)
			for _, p := range []struct {
				name string
				x, y []float32
			}{
				{"logits", a.logits, b.logits},
				{"pred_boxes", a.boxes, b.boxes},
				{"encoder_level0", a.dumps["encoder_level0"], b.dumps["encoder_level0"]},
				{"encoder_level2", a.dumps["encoder_level2"], b.dumps["encoder_level2"]},
				{"enc_topk_indices", a.dumps["enc_topk_indices"], b.dumps["enc_topk_indices"]},
			} {
				if len(p.x) != len(p.y) || len(p.x) == 0 {
					t.Fatalf("%s: lengths %d, %d", p.name, len(p.x), len(p.y))
				}
				for i := range p.x {
					if math.Float32bits(p.x[i]) != math.Float32bits(p.y[i]) {
						t.Fatalf("%s: GOMAXPROCS 1 vs 2 differ at %d: %v vs %v", p.name, i, p.x[i], p.y[i])
					}
				}
			}
		})
	}
}
