package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
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
	// COCO results with one truncated: the message names it, not a count.
	kp17 := strings.TrimSuffix(strings.Repeat("1, 2, 1, ", 17), ", ")
	truncated := filepath.Join(t.TempDir(), "truncated.json")
	os.WriteFile(truncated, []byte(`[{"image_id": 21000, "category_id": 1, "keypoints": [`+kp17+`], "score": 1},
{"image_id": 21000, "category_id": 1, "keypoints": [`+strings.TrimSuffix(kp17, ", 1")+`], "score": 1}]`), 0o644)
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
		{[]string{"eval", "-gt", gt, "-dt", bad}, 1, "coco: evaluate: results have 1 keypoint: give their OKS sigmas (eval -sigmas)"},
		{[]string{"eval", "-gt", gt, "-dt", truncated}, 1, "results[1] (starting near byte 218): image_id 21000: keypoints has 50 values, want 51 (17 x, y, score triples)"},
		{[]string{"eval", "-type", "bbox", "-sigmas", "0.1", "-gt", gt, "-dt", dt}, 2, "-sigmas is for -type keypoints"},
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

// kGoldens holds the pycocotools cases of keypoint sets other than COCO's
// (tools/coco_k_goldens.py): 14 and 5 keypoints with given sigmas.
const kGoldens = "../../coco/testdata/oks_k"

type kGolden struct {
	Sigmas  []float64 `json:"sigmas"`
	Stats   []float64 `json:"stats"`
	Summary []string  `json:"summary"`
	AP      []float64 `json:"keypoint_ap"`
	AR      []float64 `json:"keypoint_ar"`
}

// evalRun runs "ladderpose eval" with args, failing the test on a non-zero
// exit, and returns stdout.
func evalRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"eval"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
	}
	return stdout.String()
}

// TestEvalSigmas runs "ladderpose eval -sigmas" on the 14- and 5-keypoint
// pycocotools cases: the summary equals COCOeval's (with
// params.kpt_oks_sigmas) byte for byte, -json carries the 10 stats and the
// per-keypoint AP and AR within 1e-12, named by the category's keypoint
// names, and the three ways of giving sigmas (list, JSON file, plain file)
// give the same output.
func TestEvalSigmas(t *testing.T) {
	for _, c := range []struct {
		name  string
		names []string // first and last keypoint names
	}{{"k14", []string{"left_shoulder", "neck"}}, {"k5", []string{"a", "e"}}} {
		t.Run(c.name, func(t *testing.T) {
			gt := filepath.Join(kGoldens, c.name+".gt.json")
			dt := filepath.Join(kGoldens, c.name+".dt.json")
			b, err := os.ReadFile(filepath.Join(kGoldens, c.name+".stats.json"))
			if err != nil {
				t.Fatalf("reading reference data: %v", err)
			}
			var want kGolden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			k := len(want.Sigmas)
			items := make([]string, k)
			for i, s := range want.Sigmas {
				items[i] = strconv.FormatFloat(s, 'g', -1, 64)
			}
			list := strings.Join(items, ",")
			dir := t.TempDir()
			jsonFile, plainFile := filepath.Join(dir, "sigmas.json"), filepath.Join(dir, "sigmas.txt")
			js, _ := json.Marshal(want.Sigmas)
			os.WriteFile(jsonFile, append(js, '\n'), 0o644)
			plain := strings.Join(items[:k/2], " ") + "\n" + strings.Join(items[k/2:], ",\t") + "\n"
			os.WriteFile(plainFile, []byte(plain), 0o644)

			text := evalRun(t, "-gt", gt, "-dt", dt, "-sigmas", list)
			summary := strings.Join(want.Summary, "\n") + "\n"
			if !strings.HasPrefix(text, summary) {
				t.Errorf("output does not start with COCOeval's summary:\n%s\nwant\n%s", text, summary)
			}
			for _, name := range c.names {
				if !strings.Contains(text, "\n "+name+" ") {
					t.Errorf("output lacks the row of keypoint %q:\n%s", name, text)
				}
			}
			if strings.Contains(text, "nose") {
				t.Errorf("COCO's keypoint names in the output:\n%s", text)
			}
			for _, arg := range []string{jsonFile, plainFile} {
				if got := evalRun(t, "-gt", gt, "-dt", dt, "-sigmas", arg); got != text {
					t.Errorf("-sigmas %s: output differs from -sigmas LIST:\n%s\nwant\n%s", arg, got, text)
				}
			}

			var got struct {
				Stats     []float64 `json:"stats"`
				Sigmas    []float64 `json:"sigmas"`
				Keypoints []struct {
					Name string  `json:"name"`
					AP   float64 `json:"ap"`
					AR   float64 `json:"ar"`
				} `json:"keypoints"`
			}
			if err := json.Unmarshal([]byte(evalRun(t, "-json", "-gt", gt, "-dt", dt, "-sigmas", list)), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Stats) != 10 || len(got.Keypoints) != k || !slices.Equal(got.Sigmas, want.Sigmas) {
				t.Fatalf("-json: %d stats, %d keypoints, sigmas %v", len(got.Stats), len(got.Keypoints), got.Sigmas)
			}
			for i, w := range want.Stats {
				if math.Abs(got.Stats[i]-w) > 1e-12 {
					t.Errorf("stats[%d] = %.17g, pycocotools %.17g", i, got.Stats[i], w)
				}
			}
			for i, kp := range got.Keypoints {
				if math.Abs(kp.AP-want.AP[i]) > 1e-12 || math.Abs(kp.AR-want.AR[i]) > 1e-12 {
					t.Errorf("keypoint %d (%s): AP %.17g AR %.17g, pycocotools %.17g %.17g", i, kp.Name, kp.AP, kp.AR, want.AP[i], want.AR[i])
				}
			}
			if got.Keypoints[0].Name != c.names[0] || got.Keypoints[k-1].Name != c.names[1] {
				t.Errorf("-json keypoint names %q ... %q, want %q", got.Keypoints[0].Name, got.Keypoints[k-1].Name, c.names)
			}
		})
	}
}

// TestEvalSigmasCOCO checks that -sigmas with COCO's 17 sigmas prints what
// eval prints without it, byte for byte (the -json output adds "sigmas").
func TestEvalSigmasCOCO(t *testing.T) {
	gt := filepath.Join(evalGoldens, "c08_medium.gt.json")
	dt := filepath.Join(evalGoldens, "c08_medium.dt.json")
	items := make([]string, len(coco.Sigmas))
	for i, s := range coco.Sigmas {
		items[i] = strconv.FormatFloat(s, 'g', -1, 64)
	}
	if a, b := evalRun(t, "-gt", gt, "-dt", dt), evalRun(t, "-gt", gt, "-dt", dt, "-sigmas", strings.Join(items, ",")); a != b {
		t.Errorf("-sigmas COCO's:\n%s\nwithout:\n%s", b, a)
	}
	a := evalRun(t, "-json", "-gt", gt, "-dt", dt)
	b := evalRun(t, "-json", "-gt", gt, "-dt", dt, "-sigmas", strings.Join(items, ","))
	if strings.Contains(a, "sigmas") || !strings.Contains(b, `"sigmas": [`) {
		t.Errorf("-json sigmas: without -sigmas %t, with %t", strings.Contains(a, "sigmas"), strings.Contains(b, "sigmas"))
	}
	var va, vb map[string]any
	json.Unmarshal([]byte(a), &va)
	json.Unmarshal([]byte(b), &vb)
	delete(vb, "sigmas")
	if !reflect.DeepEqual(va, vb) {
		t.Errorf("-json differs beyond sigmas:\n%s\n%s", a, b)
	}
}

// TestEvalSigmasErrors checks the refusals: another keypoint count without
// -sigmas (naming the count), the wrong number of sigmas, and bad -sigmas.
func TestEvalSigmasErrors(t *testing.T) {
	k14gt := filepath.Join(kGoldens, "k14.gt.json")
	k14dt := filepath.Join(kGoldens, "k14.dt.json")
	cocoGT := filepath.Join(evalGoldens, "c02_few.gt.json")
	cocoDT := filepath.Join(evalGoldens, "c02_few.dt.json")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	five := "0.1,0.2,0.3,0.4,0.5"
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-gt", k14gt, "-dt", k14dt}, 1, "ground truth has 14 keypoints: give their OKS sigmas (eval -sigmas)"},
		{[]string{"-gt", cocoGT, "-dt", k14dt}, 1, "results have 14 keypoints: give their OKS sigmas (eval -sigmas)"},
		{[]string{"-gt", k14gt, "-dt", k14dt, "-sigmas", five}, 1, "ground truth has 14 keypoints, but 5 OKS sigmas are given"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", five}, 1, "ground truth has 17 keypoints, but 5 OKS sigmas are given"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", "0.1,abc"}, 1, `-sigmas "0.1,abc" is neither a comma-separated list of numbers (item 1 "abc" is not a number) nor a file`},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", "0.1,,0.2"}, 1, `item 1 "" is not a number`},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", "0.1,0,0.2"}, 1, "-sigmas: sigma 1 is 0, want a finite positive number"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", "0.1,NaN"}, 1, "-sigmas: sigma 1 is NaN"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", file("bad.json", `[0.1, "x"]`)}, 1, "bad.json: want a JSON array of numbers"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", file("empty.txt", " \n")}, 1, "empty.txt: no sigmas"},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", file("words.txt", "0.1 zero")}, 1, `words.txt: item 1 "zero" is not a number`},
		{[]string{"-gt", cocoGT, "-dt", cocoDT, "-sigmas", file("neg.json", "[0.1, -0.2]")}, 1, "neg.json: sigma 1 is -0.2"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"eval"}, c.args...), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: printed %q on stdout", c.args, stdout.String())
		}
	}
}
