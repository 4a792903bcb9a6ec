package detect

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenDet is one entry of detections.json / detections_top100.json.
type goldenDet struct {
	Image, Rank, Query, Label int
	Score                     float64
	Box                       [4]float64
}

func readGoldenDets(t *testing.T, g *decGolden, file string) []goldenDet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(decGoldenDir, g.name, file))
	if err != nil {
		t.Fatal(err)
	}
	var dets []goldenDet
	if err := json.Unmarshal(data, &dets); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return dets
}

// detKey identifies a detection: image, selected position (the query's
// anchor, so that rows in another order still match) and label.
type detKey struct{ image, pos, label int }

// TestPostprocessGoldenOutputs runs postprocess on the reference logits and
// pred_boxes (float32-rounded float64 outputs) and compares with Hugging
// Face's post_process_object_detection on the float64 ones: the same
// detections in the same order, scores within 5e-7 (float32 rounding of a
// logit below 11 in magnitude moves it by at most 6.6e-7, its sigmoid by a
// quarter of that) and boxes within 1e-4 pixels (rounding moves cx and w
// by at most 3e-8, a corner by 1.5 times that times the image size).
func TestPostprocessGoldenOutputs(t *testing.T) {
	for _, name := range []string{"r18_small", "r50_tiny"} {
		t.Run(name, func(t *testing.T) {
			g := loadDecGolden(t, name)
			logits, _ := g.ref(t, "logits")
			boxes, _ := g.ref(t, "pred_boxes")
			nq, nc := g.cfg.NumQueries, g.cfg.NumLabels()
			sizes := make([][2]int, g.batch)
			for i := range sizes {
				sizes[i] = [2]int{g.imgH, g.imgW}
			}
			for _, c := range []struct {
				file      string
				threshold float64
				maxDet    int
			}{{"detections.json", 0.3, 0}, {"detections_top100.json", math.Inf(-1), 100}} {
				want := readGoldenDets(t, g, c.file)
				got, err := postprocess(logits, boxes, g.batch, nq, nc, sizes, c.threshold, c.maxDet, g.cfg.Labels)
				if err != nil {
					t.Fatal(err)
				}
				var ours []Detection
				var images []int
				for i, dets := range got {
					for _, d := range dets {
						ours = append(ours, d)
						images = append(images, i)
					}
				}
				if len(ours) != len(want) {
					t.Fatalf("%s: %d detections, want %d", c.file, len(ours), len(want))
				}
				var maxScore, maxBox float64
				for i, w := range want {
					o := ours[i]
					if images[i] != w.Image || o.Query != w.Query || o.Label != w.Label {
						t.Fatalf("%s entry %d: image %d query %d label %d, want image %d query %d label %d",
							c.file, i, images[i], o.Query, o.Label, w.Image, w.Query, w.Label)
					}
					if o.Name != g.cfg.Labels[o.Label] {
						t.Errorf("%s entry %d: name %q, want %q", c.file, i, o.Name, g.cfg.Labels[o.Label])
					}
					maxScore = math.Max(maxScore, math.Abs(o.Score-w.Score))
					for j := range w.Box {
						maxBox = math.Max(maxBox, math.Abs(o.Box[j]-w.Box[j]))
					}
				}
				t.Logf("%s: %d detections, max |score err| %.3g, max |box err| %.3g px", c.file, len(ours), maxScore, maxBox)
				if maxScore > 5e-7 || maxBox > 1e-4 {
					t.Errorf("%s: score error %.3g (tolerance 5e-7), box error %.3g px (tolerance 1e-4)", c.file, maxScore, maxBox)
				}
			}
		})
	}
}

// TestPostprocessGoldenEndToEnd postprocesses the decoder's own outputs
// (from the reference encoder levels) and compares with the reference
// detections, matched by (image, selected position, label). Tolerances
// follow from the decoder's: logits within 2e-4 move a score by at most
// 5e-5 (the sigmoid's slope is at most 1/4); pred_boxes within 2e-5 move a
// corner (cx -/+ w/2, times the image width or height) by at most 3e-5 x
// the image size: 9.6e-3 px at 320, 1.25e-2 px at 416. The detection set
// over the 0.3 threshold must be the same (the reference scores are at
// least 2e-3 from it); for the top 100, every detection scoring more than
// 1e-4 above the reference's 100th must be in both.
func TestPostprocessGoldenEndToEnd(t *testing.T) {
	for _, name := range []string{"r18_small", "r50_tiny"} {
		t.Run(name, func(t *testing.T) {
			g := loadDecGolden(t, name)
			var out decoderOut
			if err := g.net.forward(g.levels, g.sizes, g.batch, &out); err != nil {
				t.Fatal(err)
			}
			nq, nc := g.cfg.NumQueries, g.cfg.NumLabels()
			refIdx, _ := g.ref(t, "enc_topk_indices")
			sizes := make([][2]int, g.batch)
			for i := range sizes {
				sizes[i] = [2]int{g.imgH, g.imgW}
			}
			scoreTol := 0.25 * 2e-4
			boxTol := 1.5 * 2e-5 * float64(max(g.imgH, g.imgW))
			for _, c := range []struct {
				file      string
				threshold float64
				maxDet    int
			}{{"detections.json", 0.3, 0}, {"detections_top100.json", math.Inf(-1), 100}} {
				want := readGoldenDets(t, g, c.file)
				got, err := postprocess(out.Logits, out.Boxes, g.batch, nq, nc, sizes, c.threshold, c.maxDet, g.cfg.Labels)
				if err != nil {
					t.Fatal(err)
				}
				// The score a detection must beat to be surely in both lists.
				floor := make([]float64, g.batch)
				for i := range floor {
					floor[i] = math.Inf(-1)
				}
				if c.maxDet > 0 {
					for _, w := range want {
						if w.Rank == c.maxDet-1 {
							floor[w.Image] = w.Score + 2*scoreTol
						}
					}
				}
				ref := map[detKey]goldenDet{}
				for _, w := range want {
					ref[detKey{w.Image, int(refIdx[w.Image*nq+w.Query]), w.Label}] = w
				}
				var maxScore, maxBox float64
				matched := 0
				seen := map[detKey]bool{}
				for i, dets := range got {
					for _, d := range dets {
						k := detKey{i, out.TopkIndices[i*nq+d.Query], d.Label}
						seen[k] = true
						w, ok := ref[k]
						if !ok {
							if d.Score > floor[i] {
								t.Errorf("%s: image %d query %d (position %d) label %d score %.6f is not in the reference", c.file, i, d.Query, k.pos, d.Label, d.Score)
							}
							continue
						}
						matched++
						maxScore = math.Max(maxScore, math.Abs(d.Score-w.Score))
						for j := range w.Box {
							maxBox = math.Max(maxBox, math.Abs(d.Box[j]-w.Box[j]))
						}
					}
				}
				for k, w := range ref {
					if !seen[k] && w.Score > floor[k.image] {
						t.Errorf("%s: reference image %d query %d label %d score %.6f is missing", c.file, w.Image, w.Query, w.Label, w.Score)
					}
				}
				t.Logf("%s: %d of %d reference detections matched, max |score err| %.3g (tolerance %.3g), max |box err| %.3g px (tolerance %.3g)",
					c.file, matched, len(want), maxScore, scoreTol, maxBox, boxTol)
				if maxScore > scoreTol || maxBox > boxTol {
					t.Errorf("%s: errors beyond tolerance", c.file)
				}
			}
		})
	}
}

// TestPostprocessBadInput checks that malformed arguments give errors.
func TestPostprocessBadInput(t *testing.T) {
	lg, bx := make([]float32, 2*3*4), make([]float32, 2*3*4)
	ok := [][2]int{{10, 20}, {10, 20}}
	for _, tc := range []struct {
		name      string
		logits    []float32
		boxes     []float32
		b, q, c   int
		sizes     [][2]int
		threshold float64
		want      string
	}{
		{"logits length", lg[:5], bx, 2, 3, 4, ok, 0.5, "5 logits"},
		{"boxes length", lg, bx[:7], 2, 3, 4, ok, 0.5, "7 box values"},
		{"sizes count", lg, bx, 2, 3, 4, ok[:1], 0.5, "1 target sizes for 2 images"},
		{"zero size", lg, bx, 2, 3, 4, [][2]int{{10, 20}, {0, 20}}, 0.5, "target size 1 is 0x20"},
		{"zero batch", nil, nil, 0, 3, 4, nil, 0.5, "batch 0"},
		{"NaN threshold", lg, bx, 2, 3, 4, ok, math.NaN(), "threshold is NaN"},
	} {
		_, err := postprocess(tc.logits, tc.boxes, tc.b, tc.q, tc.c, tc.sizes, tc.threshold, 0, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestPostprocessOrderAndBoxes checks the ranking (by score, ties by
// flattened index), labels and queries from the flattened index, maxDet
// and the box conversion on a small hand-made case.
func TestPostprocessOrderAndBoxes(t *testing.T) {
	// One image, 2 queries, 3 classes.
	logits := []float32{0, 2, -1, 2, 5, 0}
	boxes := []float32{0.5, 0.5, 0.2, 0.4, 0.25, 0.75, 0.5, 0.5}
	res, err := postprocess(logits, boxes, 1, 2, 3, [][2]int{{100, 200}}, 0.5, 0, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	// k = Q = 2: the two best of {0:0.5, 1:0.88, 2:0.27, 3:0.88, 4:0.99, 5:0.5} are 4 and 1 (1 before 3).
	if len(res) != 1 || len(res[0]) != 2 {
		t.Fatalf("got %+v, want 2 detections", res)
	}
	d0, d1 := res[0][0], res[0][1]
	if d0.Query != 1 || d0.Label != 1 || d0.Name != "b" || d1.Query != 0 || d1.Label != 1 {
		t.Errorf("got %+v, %+v: want query 1 label 1 then query 0 label 1", d0, d1)
	}
	if want := [4]float64{0, 50, 100, 100}; d0.Box != want {
		t.Errorf("box %v, want %v", d0.Box, want)
	}
	// 0.2 and 0.4 are not exact in float32: within 1e-5 px.
	for j, w := range [4]float64{80, 30, 120, 70} {
		if math.Abs(d1.Box[j]-w) > 1e-5 {
			t.Errorf("box %v, want [80 30 120 70]", d1.Box)
		}
	}
	if math.Abs(d0.Score-1/(1+math.Exp(-5))) > 1e-15 {
		t.Errorf("score %v", d0.Score)
	}
	// maxDet 4 over a threshold of 0.4: 4, 1, 3, then 0 (score 0.5).
	res, err = postprocess(logits, boxes, 1, 2, 3, [][2]int{{100, 200}}, 0.4, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, d := range res[0] {
		got = append(got, d.Query*3+d.Label)
	}
	if len(got) != 4 || got[0] != 4 || got[1] != 1 || got[2] != 3 || got[3] != 0 {
		t.Errorf("flattened indices %v, want [4 1 3 0]", got)
	}
}
