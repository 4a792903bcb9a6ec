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
