package coco

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenDir holds the pycocotools reference cases (see its README).
const goldenDir = "../../shared/goldens/cocoeval"

// statsTol is the tolerance on every summary number against pycocotools.
const statsTol = 1e-12

type goldenStats struct {
	Stats   []float64              `json:"stats"`
	Summary []string               `json:"summary"`
	OKS     map[string][][]float64 `json:"oks_first_images"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading reference data: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// goldenCases lists the case names of a golden folder.
func goldenCases(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.stats.json"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no reference cases in %s (the shared goldens must sit beside the repository): %v", dir, err)
	}
	for i, p := range m {
		m[i] = strings.TrimSuffix(filepath.Base(p), ".stats.json")
	}
	return m
}

// loadCase reads NAME.gt.json and NAME.dt.json of a golden folder.
func loadCase(t testing.TB, dir, name string) (*Dataset, []Result) {
	t.Helper()
	gt, err := ReadDataset(filepath.Join(dir, name+".gt.json"))
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ReadResults(filepath.Join(dir, name+".dt.json"))
	if err != nil {
		t.Fatal(err)
	}
	return gt, dt
}

// checkStats compares 10 stats within statsTol and counts exact matches.
func checkStats(t *testing.T, got [10]float64, want []float64) (exact int) {
	t.Helper()
	if len(want) != 10 {
		t.Fatalf("reference has %d stats", len(want))
	}
	for i, w := range want {
		if d := math.Abs(got[i] - w); !(d <= statsTol) {
			t.Errorf("stats[%d] = %.17g, pycocotools %.17g (diff %.3g)", i, got[i], w, d)
		}
		if got[i] == w {
			exact++
		}
	}
	return exact
}

// oksMatrix returns the OKS matrix that pycocotools' computeOks gives for
// one image and category: results by descending score (first MaxDets) by
// ground truth in file order; nil when either side is empty.
func oksMatrix(t *testing.T, gt *Dataset, dt []Result, imgID int64, catID int) [][]float64 {
	t.Helper()
	return oksMatrixWith(t, gt, dt, imgID, catID, Sigmas[:])
}

// oksMatrixWith is oksMatrix for the keypoint set of the given sigmas.
func oksMatrixWith(t *testing.T, gt *Dataset, dt []Result, imgID int64, catID int, sigmas []float64) [][]float64 {
	t.Helper()
	e := &evaluator{p: newParams(sigmas), gt: gt, dt: dt, nk: len(sigmas)}
	if err := e.group(); err != nil {
		t.Fatal(err)
	}
	e.order()
	u := -1
	for k, c := range sortedCats(gt) {
		for i, id := range sortedImages(gt) {
			if id == imgID && c == catID {
				u = k*e.nImg + i
			}
		}
	}
	if u < 0 {
		t.Fatalf("image %d not in the ground truth", imgID)
	}
	var s imageScratch
	for _, j := range e.gtIdx[e.gtOff[u]:e.gtOff[u+1]] {
		a := &gt.Annotations[j]
		g := gtInfo{a: a, areaEps: a.Area + eps, x0: a.BBox[0] - a.BBox[2], x1: a.BBox[0] + a.BBox[2]*2,
			y0: a.BBox[1] - a.BBox[3], y1: a.BBox[1] + a.BBox[3]*2}
		for k := 0; k < e.nk; k++ {
			if a.Keypoints[3*k+2] > 0 {
				g.visible++
			}
		}
		s.gts = append(s.gts, g)
	}
	res := e.posRes[e.posOff[u]:e.posOff[u+1]]
	D, G := len(res), len(s.gts)
	if D == 0 || G == 0 {
		return nil
	}
	e.computeOKS(&s, res)
	m := make([][]float64, D)
	for d := range m {
		m[d] = append([]float64(nil), s.oks[d*G:(d+1)*G]...)
	}
	return m
}

func sortedImages(gt *Dataset) []int64 {
	ids := make([]int64, 0, len(gt.Images))
	for _, im := range gt.Images {
		ids = append(ids, im.ID)
	}
	for i := range ids { // insertion sort: small test data
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

func sortedCats(gt *Dataset) []int {
	ids := make([]int, 0, len(gt.Categories))
	for _, c := range gt.Categories {
		ids = append(ids, c.ID)
	}
	for i := range ids {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

// TestGoldenCOCOeval checks every shared pycocotools case: the 10 stats
// within 1e-12, the printed summary byte for byte, and the OKS matrices of
// the first images within 1e-12.
func TestGoldenCOCOeval(t *testing.T) {
	for _, name := range goldenCases(t, goldenDir) {
		t.Run(name, func(t *testing.T) {
			gt, dt := loadCase(t, goldenDir, name)
			var want goldenStats
			readJSON(t, filepath.Join(goldenDir, name+".stats.json"), &want)
			r, err := Evaluate(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			exact := checkStats(t, r.Stats, want.Stats)
			if got, w := r.Summary(), strings.Join(want.Summary, "\n")+"\n"; got != w {
				t.Errorf("summary:\n%s\npycocotools:\n%s", got, w)
			}
			if len(want.OKS) == 0 {
				t.Fatal("reference has no OKS matrices")
			}
			cells, oksExact := 0, 0
			for key, wm := range want.OKS {
				id, err := strconv.ParseInt(key, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				gm := oksMatrix(t, gt, dt, id, gt.Categories[0].ID)
				if len(gm) != len(wm) {
					t.Errorf("image %d: %d OKS rows, want %d", id, len(gm), len(wm))
					continue
				}
				for d := range wm {
					if len(gm[d]) != len(wm[d]) {
						t.Errorf("image %d row %d: %d columns, want %d", id, d, len(gm[d]), len(wm[d]))
						continue
					}
					for g, w := range wm[d] {
						cells++
						if gm[d][g] == w {
							oksExact++
						}
						if diff := math.Abs(gm[d][g] - w); !(diff <= statsTol) {
							t.Errorf("image %d OKS[%d][%d] = %.17g, pycocotools %.17g", id, d, g, gm[d][g], w)
						}
					}
				}
			}
			t.Logf("%d of 10 stats and %d of %d OKS values bit-identical to pycocotools", exact, oksExact, cells)
		})
	}
}

// ownGoldenDir holds this package's pycocotools cases, written by
// tools/coco_goldens.py (ten categories, a gt with id 0, integer
// coordinates) and the per-keypoint references of every case.
const ownGoldenDir = "../testdata/coco"

// TestOwnGoldens checks the cases of tools/coco_goldens.py like the shared
// ones: stats within 1e-12, summary byte for byte, OKS within 1e-12.
func TestOwnGoldens(t *testing.T) {
	for _, name := range goldenCases(t, ownGoldenDir) {
		t.Run(name, func(t *testing.T) {
			gt, dt := loadCase(t, ownGoldenDir, name)
			var want goldenStats
			readJSON(t, filepath.Join(ownGoldenDir, name+".stats.json"), &want)
			r, err := Evaluate(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			exact := checkStats(t, r.Stats, want.Stats)
			// The mean of categories10 runs over 10100 values, and numpy's
			// block rule changes its last bit: only equality tests the rule.
			if name == "categories10" && r.Stats[0] != want.Stats[0] {
				t.Errorf("stats[0] = %.17g, pycocotools %.17g: not bit-identical", r.Stats[0], want.Stats[0])
			}
			if got, w := r.Summary(), strings.Join(want.Summary, "\n")+"\n"; got != w {
				t.Errorf("summary:\n%s\npycocotools:\n%s", got, w)
			}
			cat := sortedCats(gt)[0]
			for key, wm := range want.OKS {
				id, _ := strconv.ParseInt(key, 10, 64)
				gm := oksMatrix(t, gt, dt, id, cat)
				if len(gm) != len(wm) {
					t.Fatalf("image %d: %d OKS rows, want %d", id, len(gm), len(wm))
				}
				for d := range wm {
					for g, w := range wm[d] {
						if diff := math.Abs(gm[d][g] - w); !(diff <= statsTol) {
							t.Errorf("image %d OKS[%d][%d] = %.17g, pycocotools %.17g", id, d, g, gm[d][g], w)
						}
					}
				}
			}
			t.Logf("%d of 10 stats bit-identical", exact)
		})
	}
}

// TestGoldenPerKeypoint checks KeypointAP and KeypointAR against
// pycocotools run on the data reduced to one keypoint (see EvalResult), for
// the shared cases and this package's own, within 1e-12.
func TestGoldenPerKeypoint(t *testing.T) {
	var want map[string]struct {
		AP []float64 `json:"keypoint_ap"`
		AR []float64 `json:"keypoint_ar"`
	}
	readJSON(t, filepath.Join(ownGoldenDir, "perkeypoint.json"), &want)
	if len(want) < 10 {
		t.Fatalf("perkeypoint.json has %d cases, want the 8 shared and 3 own ones", len(want))
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			dir := goldenDir
			if _, err := os.Stat(filepath.Join(ownGoldenDir, name+".gt.json")); err == nil {
				dir = ownGoldenDir
			}
			gt, dt := loadCase(t, dir, name)
			r, err := Evaluate(gt, dt)
			if err != nil {
				t.Fatal(err)
			}
			exact := 0
			for k := 0; k < NumKeypoints; k++ {
				for _, c := range []struct {
					what      string
					got, want float64
				}{{"AP", r.KeypointAP[k], w.AP[k]}, {"AR", r.KeypointAR[k], w.AR[k]}} {
					if d := math.Abs(c.got - c.want); !(d <= statsTol) {
						t.Errorf("keypoint %d (%s) %s = %.17g, pycocotools %.17g", k, KeypointNames[k], c.what, c.got, c.want)
					}
					if c.got == c.want {
						exact++
					}
				}
			}
			t.Logf("%d of 34 bit-identical", exact)
		})
	}
}
