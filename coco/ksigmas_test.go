package coco

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// kGoldenDir holds tools/coco_k_goldens.py's pycocotools cases for keypoint
// sets other than COCO's: 14 and 5 keypoints with given sigmas.
const kGoldenDir = "testdata/oks_k"

type kGolden struct {
	Sigmas  []float64              `json:"sigmas"`
	Stats   []float64              `json:"stats"`
	Summary []string               `json:"summary"`
	OKS     map[string][][]float64 `json:"oks_first_images"`
	AP      []float64              `json:"keypoint_ap"`
	AR      []float64              `json:"keypoint_ar"`
}

// loadKCase reads a case of kGoldenDir with its own keypoint count.
func loadKCase(t testing.TB, name string) (*Dataset, []Result, kGolden) {
	t.Helper()
	var want kGolden
	readJSON(t, filepath.Join(kGoldenDir, name+".stats.json"), &want)
	k := len(want.Sigmas)
	gt, err := ReadKeypointDataset(filepath.Join(kGoldenDir, name+".gt.json"), k)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ReadKeypointResults(filepath.Join(kGoldenDir, name+".dt.json"), k)
	if err != nil {
		t.Fatal(err)
	}
	return gt, dt, want
}

// TestGoldenOtherKeypointSets checks EvaluateWith against pycocotools
// with params.kpt_oks_sigmas set: the 10 stats and the per-keypoint AP and
// AR within 1e-12, the summary byte for byte, the OKS matrices of the first
// images within 1e-12.
func TestGoldenOtherKeypointSets(t *testing.T) {
	for _, name := range []string{"k14", "k5"} {
		t.Run(name, func(t *testing.T) {
			gt, dt, want := loadKCase(t, name)
			k := len(want.Sigmas)
			if k != map[string]int{"k14": 14, "k5": 5}[name] {
				t.Fatalf("%d sigmas", k)
			}
			r, err := EvaluateWith(gt, dt, EvalOptions{Sigmas: want.Sigmas})
			if err != nil {
				t.Fatal(err)
			}
			exact := checkStats(t, r.Stats, want.Stats)
			if got, w := r.Summary(), strings.Join(want.Summary, "\n")+"\n"; got != w {
				t.Errorf("summary:\n%s\npycocotools:\n%s", got, w)
			}
			if len(r.KeypointAP) != k || len(r.KeypointAR) != k || len(want.AP) != k || len(want.AR) != k {
				t.Fatalf("%d/%d per-keypoint AP/AR, reference %d/%d, want %d", len(r.KeypointAP), len(r.KeypointAR), len(want.AP), len(want.AR), k)
			}
			kpExact := 0
			var maxDiff float64
			for i := 0; i < k; i++ {
				for _, c := range []struct {
					what      string
					got, want float64
				}{{"AP", r.KeypointAP[i], want.AP[i]}, {"AR", r.KeypointAR[i], want.AR[i]}} {
					d := math.Abs(c.got - c.want)
					if !(d <= statsTol) {
						t.Errorf("keypoint %d %s = %.17g, pycocotools %.17g", i, c.what, c.got, c.want)
					}
					maxDiff = max(maxDiff, d)
					if c.got == c.want {
						kpExact++
					}
				}
			}
			cells, oksExact := 0, 0
			var oksDiff float64
			cat := sortedCats(gt)[0]
			for key, wm := range want.OKS {
				id, err := strconv.ParseInt(key, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				gm := oksMatrixWith(t, gt, dt, id, cat, want.Sigmas)
				if len(gm) != len(wm) {
					t.Fatalf("image %d: %d OKS rows, want %d", id, len(gm), len(wm))
				}
				for d := range wm {
					if len(gm[d]) != len(wm[d]) {
						t.Fatalf("image %d row %d: %d columns, want %d", id, d, len(gm[d]), len(wm[d]))
					}
					for g, w := range wm[d] {
						cells++
						diff := math.Abs(gm[d][g] - w)
						if !(diff <= statsTol) {
							t.Errorf("image %d OKS[%d][%d] = %.17g, pycocotools %.17g", id, d, g, gm[d][g], w)
						}
						oksDiff = max(oksDiff, diff)
						if gm[d][g] == w {
							oksExact++
						}
					}
				}
			}
			if cells == 0 {
				t.Error("the reference has no OKS values")
			}
			t.Logf("%d of 10 stats and %d of %d per-keypoint AP/AR bit-identical (max diff %.3g); %d of %d OKS values (max diff %.3g)",
				exact, kpExact, 2*k, maxDiff, oksExact, cells, oksDiff)

			// The sigmas are used: others give other stats.
			scaled := make([]float64, k)
			for i, s := range want.Sigmas {
				scaled[i] = s * 1.5
			}
			r2, err := EvaluateWith(gt, dt, EvalOptions{Sigmas: scaled})
			if err != nil {
				t.Fatal(err)
			}
			if r2.Stats == r.Stats {
				t.Error("stats do not depend on the sigmas")
			}
		})
	}
}

// TestOtherKeypointSetsNeedSigmas checks that data of another keypoint
// count is refused without sigmas, or with the wrong number of them, with
// an error naming the count, and that reading with k = 0 takes the count
// from the file.
func TestOtherKeypointSetsNeedSigmas(t *testing.T) {
	gt, dt, want := loadKCase(t, "k14")
	gt0, err := ReadKeypointDataset(filepath.Join(kGoldenDir, "k14.gt.json"), 0)
	if err != nil {
		t.Fatal(err)
	}
	dt0, err := ReadKeypointResults(filepath.Join(kGoldenDir, "k14.dt.json"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gt, gt0) || !reflect.DeepEqual(dt, dt0) {
		t.Error("reading with k = 0 differs from reading with k = 14")
	}
	if _, err := ReadDataset(filepath.Join(kGoldenDir, "k14.gt.json")); err == nil || !strings.Contains(err.Error(), "keypoints has 42 values, want 51 (17 x, y, v triples)") {
		t.Errorf("ReadDataset of 14 keypoints: %v", err)
	}
	if _, err := ReadKeypointResults(filepath.Join(kGoldenDir, "k14.dt.json"), 5); err == nil || !strings.Contains(err.Error(), "keypoints has 42 values, want 15 (5 x, y, score triples)") {
		t.Errorf("ReadKeypointResults(5) of 14 keypoints: %v", err)
	}
	coco17, dt17 := loadCase(t, goldenDir, "c03_crowd_nokp")
	for _, c := range []struct {
		name string
		gt   *Dataset
		dt   []Result
		o    EvalOptions
		want string
		kc   KeypointCountError
	}{
		{"gt without sigmas", gt, dt, EvalOptions{}, "coco: evaluate: ground truth has 14 keypoints: give their OKS sigmas",
			KeypointCountError{"ground truth", 14, 0}},
		{"results without sigmas", coco17, dt, EvalOptions{}, "coco: evaluate: results have 14 keypoints: give their OKS sigmas",
			KeypointCountError{"results", 14, 0}},
		{"gt with 5 sigmas", gt, dt, EvalOptions{Sigmas: want.Sigmas[:5]}, "ground truth has 14 keypoints, but 5 OKS sigmas are given",
			KeypointCountError{"ground truth", 14, 5}},
		{"COCO gt with 14 sigmas", coco17, dt17, EvalOptions{Sigmas: want.Sigmas}, "ground truth has 17 keypoints, but 14 OKS sigmas are given",
			KeypointCountError{"ground truth", 17, 14}},
		{"results with COCO sigmas", coco17, dt, EvalOptions{Sigmas: Sigmas[:]}, "results have 14 keypoints, but 17 OKS sigmas are given",
			KeypointCountError{"results", 14, 17}},
		{"empty sigmas", gt, dt, EvalOptions{Sigmas: []float64{}}, "no OKS sigmas given", KeypointCountError{}},
		{"zero sigma", gt, dt, EvalOptions{Sigmas: append(append([]float64{}, want.Sigmas[:13]...), 0)}, "OKS sigma 13 is 0, want a finite positive number", KeypointCountError{}},
		{"NaN sigma", gt, dt, EvalOptions{Sigmas: append([]float64{math.NaN()}, want.Sigmas[1:]...)}, "OKS sigma 0 is NaN", KeypointCountError{}},
	} {
		r, err := EvaluateWith(c.gt, c.dt, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, %v; want an error containing %q", c.name, r, err, c.want)
			continue
		}
		var kc *KeypointCountError
		if errors.As(err, &kc) != (c.kc.What != "") || (kc != nil && *kc != c.kc) {
			t.Errorf("%s: %#v: want KeypointCountError %+v", c.name, err, c.kc)
		}
	}
	if _, err := Evaluate(gt, dt); err == nil || !strings.Contains(err.Error(), "ground truth has 14 keypoints: give their OKS sigmas") {
		t.Errorf("Evaluate of 14 keypoints: %v", err)
	}
}

// TestEvaluateWithCOCOSigmas checks that EvaluateWith given COCO's sigmas,
// or nil, is Evaluate to the bit, and that one mixed-count input still gets
// Validate's element-naming error.
func TestEvaluateWithCOCOSigmas(t *testing.T) {
	gt, dt := loadCase(t, goldenDir, "c08_medium")
	want, err := Evaluate(gt, dt)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []EvalOptions{{}, {Sigmas: Sigmas[:]}} {
		r, err := EvaluateWith(gt, dt, o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("EvaluateWith(%v): %+v, Evaluate %+v", o.Sigmas != nil, r, want)
		}
	}
	dt[1].Keypoints = dt[1].Keypoints[:42]
	if _, err := Evaluate(gt, dt); err == nil || !strings.Contains(err.Error(), "results[1] (image_id") ||
		!strings.Contains(err.Error(), "keypoints has 42 values, want 51") {
		t.Errorf("one result of 14 keypoints: %v", err)
	}
}

// TestOtherKeypointSetsDeterministic checks bit-identical results for
// GOMAXPROCS 1 and 2.
func TestOtherKeypointSetsDeterministic(t *testing.T) {
	gt, dt, want := loadKCase(t, "k14")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first *EvalResult
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		r, err := EvaluateWith(gt, dt, EvalOptions{Sigmas: want.Sigmas})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = r
		} else if !reflect.DeepEqual(r, first) {
			t.Errorf("GOMAXPROCS %d: %+v, single-threaded %+v", procs, *r, *first)
		}
	}
}

// TestValidateKeypointCounts checks the keypoint-count rules of the
// readers and validators for sets other than COCO's.
func TestValidateKeypointCounts(t *testing.T) {
	ann := func(id int, kp string, nk int) string {
		return `{"id": ` + strconv.Itoa(id) + `, "image_id": 1, "category_id": 1, "keypoints": [` + kp +
			`], "num_keypoints": ` + strconv.Itoa(nk) + `, "bbox": [0, 0, 10, 10], "area": 50}`
	}
	ds := func(names string, anns ...string) string {
		return `{"images": [{"id": 1}], "categories": [{"id": 1, "name": "x"` + names + `}], "annotations": [` +
			strings.Join(anns, ", ") + `]}`
	}
	kp3 := "1, 2, 2, 3, 4, 1, 0, 0, 0"
	kp2 := "1, 2, 2, 3, 4, 1"
	for _, c := range []struct {
		name string
		k    int
		in   string
		want string // "" for success
	}{
		{"three", 3, ds("", ann(1, kp3, 2)), ""},
		{"three, any", 0, ds(`, "keypoints": ["a", "b", "c"], "skeleton": [[1, 3]]`, ann(1, kp3, 2), ann(2, kp3, 1)), ""},
		{"mixed", 0, ds("", ann(1, kp3, 2), ann(2, kp2, 2)),
			"): id 2: keypoints has 6 values, want 9 (3 x, y, v triples)"},
		{"not triples", 0, ds("", ann(1, "1, 2, 2, 3", 1)), "keypoints has 4 values, want a positive multiple of 3 (x, y, v triples)"},
		{"names", 0, ds(`, "keypoints": ["a", "b"]`, ann(1, kp3, 2)), "categories[0] (id 1): 2 keypoint names, want 3"},
		{"num_keypoints", 3, ds("", ann(1, kp3, 4)), "num_keypoints 4 not in 0..3"},
		{"visibility", 0, ds("", ann(1, "1, 2, 3, 3, 4, 1, 0, 0, 0", 2)), "keypoint 0: visibility 3 not in {0, 1, 2}"},
		{"COCO count", 17, ds("", ann(1, kp3, 2)), "keypoints has 9 values, want 51 (17 x, y, v triples)"},
	} {
		d, err := ReadKeypointDatasetFrom(strings.NewReader(c.in), c.k)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if err := d.ValidateKeypoints(c.k); err != nil {
				t.Errorf("%s: read, but ValidateKeypoints: %v", c.name, err)
			}
			// The writers take any keypoint count, the same for all.
			var buf bytes.Buffer
			if err := WriteDatasetTo(&buf, d); err != nil {
				t.Fatal(err)
			}
			if d2, err := ReadKeypointDatasetFrom(&buf, 0); err != nil || !reflect.DeepEqual(d, d2) {
				t.Errorf("%s: written and read back: %v", c.name, err)
			}
			if err := WriteDataset(filepath.Join(t.TempDir(), "gt.json"), d); err != nil {
				t.Errorf("%s: WriteDataset: %v", c.name, err)
			}
			if err := d.Validate(); err == nil {
				t.Errorf("%s: Validate accepts 3 keypoints", c.name)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := ReadKeypointDatasetFrom(strings.NewReader(ds("", ann(1, kp3, 2))), -1); err == nil {
		t.Error("k = -1 accepted")
	}

	res := func(kp string) string {
		return `{"image_id": 1, "category_id": 1, "keypoints": [` + kp + `], "score": 1}`
	}
	for _, c := range []struct {
		name, in string
		k        int
		want     string
	}{
		{"three", "[" + res(kp3) + ", " + res(kp3) + "]", 0, ""},
		{"mixed", "[" + res(kp3) + ", " + res(kp2) + "]", 0, "): image_id 1: keypoints has 6 values, want 9 (3 x, y, score triples)"},
		{"not triples", "[" + res("1, 2") + "]", 0, "keypoints has 2 values, want a positive multiple of 3 (x, y, score triples)"},
		{"COCO count", "[" + res(kp3) + "]", 17, "keypoints has 9 values, want 51 (17 x, y, score triples)"},
	} {
		rs, err := ReadKeypointResultsFrom(strings.NewReader(c.in), c.k)
		if c.want == "" {
			if err != nil || len(rs) != 2 {
				t.Errorf("%s: %d results, %v", c.name, len(rs), err)
				continue
			}
			if err := ValidateKeypointResults(rs, 3); err != nil {
				t.Errorf("%s: ValidateKeypointResults: %v", c.name, err)
			}
			if err := ValidateResults(rs); err == nil {
				t.Errorf("%s: ValidateResults accepts 3 keypoints", c.name)
			}
			if err := WriteResults(filepath.Join(t.TempDir(), "dt.json"), rs); err != nil {
				t.Errorf("%s: WriteResults: %v", c.name, err)
			}
			rs[1].Keypoints[8] = math.Inf(1)
			if err := ValidateKeypointResults(rs, 0); err == nil || !strings.Contains(err.Error(), "results[1] (image_id 1): keypoint 2: (0, 0, +Inf) is not finite") {
				t.Errorf("%s: an infinite keypoint score: %v", c.name, err)
			}
			rs[1].Keypoints = rs[1].Keypoints[:6]
			if err := WriteResults(filepath.Join(t.TempDir(), "dt.json"), rs); err == nil || !strings.Contains(err.Error(), "results[1] (image_id 1): keypoints has 6 values, want 9") {
				t.Errorf("%s: WriteResults of mixed counts: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
