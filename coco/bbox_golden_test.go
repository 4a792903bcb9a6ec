package coco

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// boxGoldenDir holds the pycocotools COCOeval(iouType="bbox") reference
// cases (see its README).
const boxGoldenDir = "../../shared/goldens/cocoeval_bbox"

type boxGolden struct {
	Stats   []float64 `json:"stats"`
	Summary []string  `json:"summary"`
	IoUs    []struct {
		ImageID    int64       `json:"image_id"`
		CategoryID int         `json:"category_id"`
		DtIDs      []int       `json:"dt_ids"`
		GtIDs      []int64     `json:"gt_ids"`
		GtIsCrowd  []int       `json:"gt_iscrowd"`
		IoU        [][]float64 `json:"iou"`
	} `json:"ious_first_images"`
}

// boxGoldenCases lists the cases, skipping the test when the shared
// goldens are absent.
func boxGoldenCases(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(boxGoldenDir); os.IsNotExist(err) {
		t.Skipf("%s not found: the shared goldens are not beside the repository", boxGoldenDir)
	}
	names := goldenCases(t, boxGoldenDir)
	if len(names) != 8 {
		t.Fatalf("%d cases in %s, want 8", len(names), boxGoldenDir)
	}
	return names
}

// loadBoxCase reads NAME.gt.json and NAME.dt.json of the box goldens.
func loadBoxCase(t testing.TB, name string) (*Dataset, []Detection) {
	t.Helper()
	gt, err := ReadInstances(filepath.Join(boxGoldenDir, name+".gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ReadBoxResults(filepath.Join(boxGoldenDir, name+".dt.json"))
	if err != nil {
		t.Fatal(err)
	}
	return gt, dt
}

// iouMatrix returns what pycocotools' computeIoU stores for one image and
// category: rows are the unit's detections by descending score (stable,
// first 100), columns its ground truth in file order; with the detection
// ids (1-based positions in the results, as loadRes gives them) and the
// ground truth ids.
func iouMatrix(t *testing.T, gt *Dataset, dt []Detection, imgID int64, catID int) (m [][]float64, dtIDs []int, gtIDs []int64) {
	t.Helper()
	e := &evaluator{p: newParams(nil), gt: gt, boxes: dt, box: true}
	if err := e.group(); err != nil {
		t.Fatal(err)
	}
	e.order()
	k := slices.Index(sortedCats(gt), catID)
	i := slices.Index(sortedImages(gt), imgID)
	if k < 0 || i < 0 {
		t.Fatalf("image %d or category %d not in the ground truth", imgID, catID)
	}
	u := k*e.nImg + i
	var s imageScratch
	for _, j := range e.gtIdx[e.gtOff[u]:e.gtOff[u+1]] {
		s.gts = append(s.gts, gtInfo{a: &gt.Annotations[j]})
		gtIDs = append(gtIDs, gt.Annotations[j].ID)
	}
	res := e.posRes[e.posOff[u]:e.posOff[u+1]]
	for _, r := range res {
		dtIDs = append(dtIDs, int(r)+1)
	}
	D, G := len(res), len(s.gts)
	if D == 0 || G == 0 {
		return nil, dtIDs, gtIDs
	}
	e.computeIoU(&s, res)
	for d := 0; d < D; d++ {
		m = append(m, slices.Clone(s.oks[d*G:(d+1)*G]))
	}
	return m, dtIDs, gtIDs
}

// TestGoldenBoxCOCOeval checks every shared pycocotools bbox case: the 12
// stats within 1e-12 (and how many are bit-identical), the printed summary
// byte for byte, and the stored IoU matrices (with their row and column
// order) bit for bit.
func TestGoldenBoxCOCOeval(t *testing.T) {
	maxDiff := 0.0
	for _, name := range boxGoldenCases(t) {
		t.Run(name, func(t *testing.T) {
			gt, dt := loadBoxCase(t, name)
			var want boxGolden
			readJSON(t, filepath.Join(boxGoldenDir, name+".stats.json"), &want)
			if len(want.Stats) != 12 || len(want.Summary) != 12 {
				t.Fatalf("reference has %d stats and %d summary lines", len(want.Stats), len(want.Summary))
			}
			r, err := EvaluateBoxes(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			exact := 0
			for i, w := range want.Stats {
				d := math.Abs(r.Stats[i] - w)
				if !(d <= statsTol) {
					t.Errorf("stats[%d] = %.17g, pycocotools %.17g (diff %.3g)", i, r.Stats[i], w, d)
				}
				maxDiff = max(maxDiff, d)
				if r.Stats[i] == w {
					exact++
				}
			}
			if got, w := r.Summary(), strings.Join(want.Summary, "\n")+"\n"; got != w {
				t.Errorf("summary:\n%s\npycocotools:\n%s", got, w)
			}
			if len(want.IoUs) == 0 {
				t.Fatal("reference has no IoU matrices")
			}
			cells := 0
			for _, w := range want.IoUs {
				m, dtIDs, gtIDs := iouMatrix(t, gt, dt, w.ImageID, w.CategoryID)
				if !slices.Equal(dtIDs, w.DtIDs) || !slices.Equal(gtIDs, w.GtIDs) {
					t.Errorf("image %d category %d: detections %v, ground truth %v; pycocotools %v, %v",
						w.ImageID, w.CategoryID, dtIDs, gtIDs, w.DtIDs, w.GtIDs)
					continue
				}
				for g, id := range gtIDs {
					if c := gt.Annotations[slices.IndexFunc(gt.Annotations, func(a Annotation) bool { return a.ID == id })].IsCrowd; c != w.GtIsCrowd[g] {
						t.Errorf("image %d: ground truth %d iscrowd %d, pycocotools %d", w.ImageID, id, c, w.GtIsCrowd[g])
					}
				}
				if len(m) != len(w.IoU) {
					t.Fatalf("image %d category %d: %d IoU rows, want %d", w.ImageID, w.CategoryID, len(m), len(w.IoU))
				}
				for d := range w.IoU {
					for g, wv := range w.IoU[d] {
						cells++
						if m[d][g] != wv {
							t.Errorf("image %d category %d: IoU[%d][%d] = %.17g, pycocotools %.17g", w.ImageID, w.CategoryID, d, g, m[d][g], wv)
						}
					}
				}
			}
			t.Logf("%d of 12 stats bit-identical; %d IoU values checked bit for bit", exact, cells)
		})
	}
	t.Logf("max |stats - pycocotools| over the cases: %.3g", maxDiff)
}

// TestEvaluateBoxesDeterministic checks that the box evaluation of the
// largest case is bit-identical with 1, 2 and 3 threads and across runs,
// and leaves its inputs alone.
func TestEvaluateBoxesDeterministic(t *testing.T) {
	boxGoldenCases(t)
	gt, dt := loadBoxCase(t, "c08_mixed")
	gt2, dt2 := loadBoxCase(t, "c08_mixed")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first *BoxEvalResult
	for i, procs := range []int{1, 2, 2, 3} {
		runtime.GOMAXPROCS(procs)
		r, err := EvaluateBoxes(gt, dt)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
		} else if *r != *first {
			t.Errorf("GOMAXPROCS %d: %+v, single-threaded %+v", procs, *r, *first)
		}
	}
	if !slices.EqualFunc(gt.Annotations, gt2.Annotations, func(a, b Annotation) bool { return a.BBox == b.BBox && a.Area == b.Area }) ||
		!slices.Equal(dt, dt2) {
		t.Error("EvaluateBoxes modified its inputs")
	}
	if first.Images != 200 || first.Results != len(dt) || first.EvaluatedResults >= first.Results || first.IgnoredGroundTruth != 76 {
		t.Errorf("counts %+v", *first)
	}
}

// BenchmarkEvaluateBoxes evaluates the largest box golden (200 images, 1400
// objects, 2381 detections, 5 categories).
func BenchmarkEvaluateBoxes(b *testing.B) {
	if _, err := os.Stat(boxGoldenDir); os.IsNotExist(err) {
		b.Skipf("%s not found", boxGoldenDir)
	}
	gt, dt := loadBoxCase(b, "c08_mixed")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := EvaluateBoxes(gt, dt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(gt.Images))*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
