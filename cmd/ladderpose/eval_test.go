package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalGoldens holds the pycocotools reference cases (shared/goldens).
const evalGoldens = "../../../shared/goldens/cocoeval"

// TestEvalGolden runs "ladderpose eval" on pycocotools cases: the printed
// summary must equal COCOeval's byte for byte, and -json must carry the
// same 10 numbers (within 1e-12) and the per-keypoint table.
func TestEvalGolden(t *testing.T) {
	for _, name := range []string{"c03_crowd_nokp", "c08_medium"} {
		t.Run(name, func(t *testing.T) {
			gt := filepath.Join(evalGoldens, name+".gt.json")
			dt := filepath.Join(evalGoldens, name+".dt.json")
			b, err := os.ReadFile(filepath.Join(evalGoldens, name+".stats.json"))
			if err != nil {
				t.Fatalf("reading reference data: %v", err)
			}
			var want struct {
				Stats   []float64 `json:"stats"`
				Summary []string  `json:"summary"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}

			var stdout, stderr bytes.Buffer
			if code := run([]string{"eval", "-gt", gt, "-dt", dt}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			summary := strings.Join(want.Summary, "\n") + "\n"
			if !strings.HasPrefix(stdout.String(), summary) {
				t.Errorf("output does not start with COCOeval's summary:\n%s\nwant\n%s", stdout.String(), summary)
			}
			for _, s := range []string{"Per keypoint", "left_shoulder", "right_ankle", "ground truth annotations"} {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("output lacks %q", s)
				}
			}

			stdout.Reset()
			if code := run([]string{"eval", "-json", "-gt", gt, "-dt", dt}, &stdout, &stderr); code != 0 {
				t.Fatalf("-json: exit %d: %s", code, stderr.String())
			}
			var got struct {
				Stats     []float64 `json:"stats"`
				StatNames []string  `json:"stat_names"`
				Keypoints []struct {
					Name string  `json:"name"`
					AP   float64 `json:"ap"`
					AR   float64 `json:"ar"`
				} `json:"keypoints"`
				Images      int `json:"images"`
				GroundTruth int `json:"ground_truth"`
				Results     int `json:"results"`
			}
			dec := json.NewDecoder(&stdout)
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("-json output: %v", err)
			}
			if dec.More() {
				t.Error("-json printed more than one value")
			}
			if len(got.Stats) != 10 || len(got.StatNames) != 10 || len(got.Keypoints) != 17 {
				t.Fatalf("-json: %d stats, %d names, %d keypoints", len(got.Stats), len(got.StatNames), len(got.Keypoints))
			}
			for i, w := range want.Stats {
				if math.Abs(got.Stats[i]-w) > 1e-12 {
					t.Errorf("stats[%d] (%s) = %.17g, pycocotools %.17g", i, got.StatNames[i], got.Stats[i], w)
				}
			}
			if got.Images == 0 || got.GroundTruth == 0 || got.Results == 0 || got.Keypoints[0].Name != "nose" {
				t.Errorf("counts or names missing: %+v", got)
			}
		})
	}
}

// TestEvalErrors checks exit codes and messages for bad invocations.
func TestEvalErrors(t *testing.T) {
	gt := filepath.Join(evalGoldens, "c02_few.gt.json")
	dt := filepath.Join(evalGoldens, "c02_few.dt.json")
	otherDt := filepath.Join(evalGoldens, "c01_single.dt.json") // other image ids
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"image_id": 21000, "category_id": 1, "keypoints": [1, 2, 3], "score": 1}]`), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval"}, 2, "both -gt and -dt are required"},
		{[]string{"eval", "-gt", gt}, 2, "both -gt and -dt are required"},
		{[]string{"eval", "-gt", gt, "-dt", dt, "extra"}, 2, "unexpected arguments"},
		{[]string{"eval", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"eval", "-gt", gt + ".missing", "-dt", dt}, 1, "c02_few.gt.json.missing"},
		{[]string{"eval", "-gt", gt, "-dt", otherDt}, 1, "image_id 11000 is not an image of the ground truth"},
		{[]string{"eval", "-gt", gt, "-dt", bad}, 1, "keypoints has 3 values, want 51"},
		{[]string{"eval", "-gt", dt, "-dt", dt}, 1, "want an object"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: printed %q on stdout", c.args, stdout.String())
		}
	}
}

// boxGoldens holds the pycocotools bbox reference cases (shared/goldens).
const boxGoldens = "../../../shared/goldens/cocoeval_bbox"

// TestEvalBoxGolden runs "ladderpose eval -type bbox" on pycocotools
// cases: the printed summary must equal COCOeval's byte for byte, and
// -json must carry the same 12 numbers (within 1e-12), their names and the
// counts, without a keypoint table.
func TestEvalBoxGolden(t *testing.T) {
	if _, err := os.Stat(boxGoldens); os.IsNotExist(err) {
		t.Skipf("%s not found", boxGoldens)
	}
	for _, name := range []string{"c03_crowd", "c08_mixed"} {
		t.Run(name, func(t *testing.T) {
			gt := filepath.Join(boxGoldens, name+".gt.json")
			dt := filepath.Join(boxGoldens, name+".dt.json")
			b, err := os.ReadFile(filepath.Join(boxGoldens, name+".stats.json"))
			if err != nil {
				t.Fatalf("reading reference data: %v", err)
			}
			var want struct {
				Stats   []float64 `json:"stats"`
				Summary []string  `json:"summary"`
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}

			var stdout, stderr bytes.Buffer
			if code := run([]string{"eval", "-type", "bbox", "-gt", gt, "-dt", dt}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			summary := strings.Join(want.Summary, "\n") + "\n"
			if !strings.HasPrefix(stdout.String(), summary) {
				t.Errorf("output does not start with COCOeval's summary:\n%s\nwant\n%s", stdout.String(), summary)
			}
			for _, s := range []string{"ground truth annotations", "ignored: crowd regions", "the best 100 per image"} {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, stdout.String())
				}
			}
			if strings.Contains(stdout.String(), "Per keypoint") {
				t.Error("bbox output has a keypoint table")
			}

			stdout.Reset()
			if code := run([]string{"eval", "-json", "-type", "bbox", "-gt", gt, "-dt", dt}, &stdout, &stderr); code != 0 {
				t.Fatalf("-json: exit %d: %s", code, stderr.String())
			}
			var got map[string]json.RawMessage
			dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("-json output: %v", err)
			}
			if dec.More() {
				t.Error("-json printed more than one value")
			}
			if _, ok := got["keypoints"]; ok {
				t.Error(`-json -type bbox has "keypoints"`)
			}
			var v struct {
				Stats              []float64 `json:"stats"`
				StatNames          []string  `json:"stat_names"`
				Images             int       `json:"images"`
				Categories         int       `json:"categories"`
				GroundTruth        int       `json:"ground_truth"`
				IgnoredGroundTruth int       `json:"ignored_ground_truth"`
				Results            int       `json:"results"`
				EvaluatedResults   int       `json:"evaluated_results"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if len(v.Stats) != 12 || len(v.StatNames) != 12 || v.StatNames[6] != "AR1" || v.StatNames[3] != "AP_small" {
				t.Fatalf("-json: stats %v, names %v", v.Stats, v.StatNames)
			}
			for i, w := range want.Stats {
				if math.Abs(v.Stats[i]-w) > 1e-12 {
					t.Errorf("stats[%d] (%s) = %.17g, pycocotools %.17g", i, v.StatNames[i], v.Stats[i], w)
				}
			}
			if v.Images == 0 || v.Categories == 0 || v.GroundTruth == 0 || v.IgnoredGroundTruth == 0 ||
				v.Results == 0 || v.EvaluatedResults == 0 || v.EvaluatedResults > v.Results {
				t.Errorf("counts %+v", v)
			}
		})
	}
}

// TestEvalTypeErrors checks -type: anything but keypoints and bbox is
// refused, and each type refuses the other's files with a clear error.
func TestEvalTypeErrors(t *testing.T) {
	if _, err := os.Stat(boxGoldens); os.IsNotExist(err) {
		t.Skipf("%s not found", boxGoldens)
	}
	boxGT := filepath.Join(boxGoldens, "c02_single_category.gt.json")
	boxDT := filepath.Join(boxGoldens, "c02_single_category.dt.json")
	otherDT := filepath.Join(boxGoldens, "c01_perfect.dt.json") // other image ids
	kpGT := filepath.Join(evalGoldens, "c02_few.gt.json")
	kpDT := filepath.Join(evalGoldens, "c02_few.dt.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"image_id": 1, "category_id": 18, "bbox": [1, 2, 3], "score": 1}]`), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", "-type", "segm", "-gt", boxGT, "-dt", boxDT}, 2, `-type "segm": want keypoints or bbox`},
		{[]string{"eval", "-type", "", "-gt", boxGT, "-dt", boxDT}, 2, `-type "": want keypoints or bbox`},
		{[]string{"eval", "-type", "bbox", "-gt", boxGT}, 2, "both -gt and -dt are required"},
		{[]string{"eval", "-type", "bbox", "-gt", boxGT, "-dt", otherDT}, 1, "is not an image of the ground truth"},
		{[]string{"eval", "-type", "bbox", "-gt", boxGT, "-dt", bad}, 1, "detections[0] (starting near byte 1): bbox has 3 values, want 4"},
		{[]string{"eval", "-type", "bbox", "-gt", boxGT, "-dt", kpDT}, 1, `detections[0] (starting near byte 1): missing "bbox"`},
		{[]string{"eval", "-type", "bbox", "-gt", boxDT, "-dt", boxDT}, 1, "want an object"},
		{[]string{"eval", "-gt", boxGT, "-dt", boxDT}, 1, `missing "num_keypoints"`},
		{[]string{"eval", "-type", "keypoints", "-gt", kpGT, "-dt", boxDT}, 1, `missing "keypoints"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: printed %q on stdout", c.args, stdout.String())
		}
	}
}
