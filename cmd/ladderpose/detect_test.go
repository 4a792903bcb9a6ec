package main

import (
	"bytes"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

func detrGolden(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "goldens", "detr", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no RT-DETR goldens: %v", err)
	}
	return dir
}

// TestForwardDetectorGolden runs "forward" on the RT-DETR goldens computed
// by Hugging Face's own code and compares logits (2e-4 absolute) and
// pred_boxes (2e-5 absolute), rows matched by the selected query
// (enc_topk_indices), as the goldens' README asks.
func TestForwardDetectorGolden(t *testing.T) {
	for _, name := range []string{"r18_small", "r50_tiny"} {
		t.Run(name, func(t *testing.T) {
			dir := detrGolden(t, name)
			out := filepath.Join(t.TempDir(), "out.safetensors")
			var stderr bytes.Buffer
			if err := runForward([]string{"-weights", dir, "-input", filepath.Join(dir, "input.safetensors"), "-output", out, "-dump", "enc_topk_indices,encoder_level0"}, &bytes.Buffer{}, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			exp := filepath.Join(dir, "expected.safetensors")
			wantIdx, shape := readTensor(t, exp, "enc_topk_indices")
			gotIdx, _ := readTensor(t, out, "enc_topk_indices")
			b, q := shape[0], shape[1]
			for _, tc := range []struct {
				name string
				tol  float64
			}{{"logits", 2e-4}, {"pred_boxes", 2e-5}} {
				want, ws := readTensor(t, exp, tc.name)
				got, gs := readTensor(t, out, tc.name)
				if len(gs) != 3 || gs[0] != ws[0] || gs[1] != ws[1] || gs[2] != ws[2] {
					t.Fatalf("%s: shape %v, want %v", tc.name, gs, ws)
				}
				width := ws[2]
				var maxErr float64
				for bi := 0; bi < b; bi++ {
					rowOf := map[float32]int{}
					for r := 0; r < q; r++ {
						rowOf[wantIdx[bi*q+r]] = r
					}
					for r := 0; r < q; r++ {
						wr, ok := rowOf[gotIdx[bi*q+r]]
						if !ok {
							t.Fatalf("image %d: our query %d selects memory position %v, which Hugging Face did not select", bi, r, gotIdx[bi*q+r])
						}
						for k := 0; k < width; k++ {
							maxErr = math.Max(maxErr, math.Abs(float64(got[(bi*q+r)*width+k]-want[(bi*q+wr)*width+k])))
						}
					}
				}
				t.Logf("%s: max abs err %.3g (tolerance %g)", tc.name, maxErr, tc.tol)
				if !(maxErr <= tc.tol) {
					t.Errorf("%s: max abs err %.3g > %g", tc.name, maxErr, tc.tol)
				}
			}
			lv, _ := readTensor(t, out, "encoder_level0")
			want, _ := readTensor(t, exp, "encoder_level0")
			if rel := relErr(lv, want); !(rel <= 3e-5) {
				t.Errorf("encoder_level0: rel err %.3g > 3e-5", rel)
			}
		})
	}
	dir := detrGolden(t, "r18_small")
	err := runForward([]string{"-weights", dir, "-input", filepath.Join(dir, "input.safetensors"), "-output", filepath.Join(t.TempDir(), "x.safetensors"), "-dump", "f_fus"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "an RT-DETR model has") {
		t.Errorf("-dump f_fus on a detector: err %v", err)
	}
}

func relErr(got, want []float32) float64 {
	var e, m float64
	for i := range want {
		e = math.Max(e, math.Abs(float64(got[i]-want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return e / m
}

// personDetector copies a golden RT-DETR folder with class 0 renamed
// "person", so that its (random-weight) boxes of class 0 are people.
func personDetector(t *testing.T) string {
	t.Helper()
	src := detrGolden(t, "r18_small")
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["id2label"].(map[string]any)["0"] = "person"
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(mustAbs(t, src), "model.safetensors"), filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDetectCommand runs "detect" and "predict -detector" on the sample
// photo with a random-weight detector: the detections file is valid COCO
// detection results that eval reads back, -person keeps class 0 only,
// predict estimates one pose per person box, and bad flags are refused.
func TestDetectCommand(t *testing.T) {
	det := personDetector(t)
	tmp := t.TempDir()
	img := filepath.Join("..", "..", "testdata", "sample", "people.jpg")
	all := filepath.Join(tmp, "all.json")
	var stderr bytes.Buffer
	// Grayscale and CMYK JPEGs and a 1x1 picture go through as well.
	imgs := filepath.Join("..", "..", "testdata", "pipeline", "images")
	tiny := filepath.Join(tmp, "tiny.png")
	if err := pipeline.WritePNG(tiny, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	if err := runDetect([]string{"-weights", det, "-threshold", "0.2", "-out", all, "-draw", filepath.Join(tmp, "pics"), img,
		filepath.Join(imgs, "gray.jpg"), filepath.Join(imgs, "cmyk.jpg"), tiny}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "not a COCO category name") {
		t.Errorf("no warning about LABEL_ names: %s", stderr.String())
	}
	ds, err := coco.ReadBoxResults(all)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 {
		t.Fatal("no detections at threshold 0.2")
	}
	if _, err := os.Stat(filepath.Join(tmp, "pics", "people.png")); err != nil {
		t.Errorf("no drawing: %v", err)
	}
	persons := filepath.Join(tmp, "persons.json")
	if err := runDetect([]string{"-weights", det, "-threshold", "0.05", "-person", "-out", persons, img}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	pd, err := coco.ReadBoxResults(persons)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.CategoryID == 1 {
			n++
		}
	}
	if len(pd) < n || len(pd) == 0 {
		t.Errorf("-person at threshold 0.05 kept %d boxes, fewer than the %d of class 0 at 0.2 (or none)", len(pd), n)
	}
	for _, d := range pd {
		if d.CategoryID != 1 || !(d.Score > 0.05) {
			t.Errorf("-person kept %+v", d)
		}
	}
	// predict -detector: one pose per person box kept by OKS-NMS at most.
	res := filepath.Join(tmp, "poses.json")
	stderr.Reset()
	if err := runPredict([]string{"-detector", det, "-person-threshold", "0.05", "-out", res, img}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rs, err := coco.ReadResults(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || len(rs) > len(pd) {
		t.Errorf("predict -detector: %d poses for %d person boxes", len(rs), len(pd))
	}
	for _, bad := range [][]string{
		{"-weights", det, "-threshold", "1", img},
		{"-threshold", "0.5", img},
		{"-weights", det},
	} {
		if err := runDetect(bad, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("detect %q: no error", bad)
		}
	}
	if err := runPredict([]string{"-detector", det, "-box", "1,1,5,5", img}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("predict -detector with -box: no error")
	}
	if err := runPredict([]string{"-detector", detrGolden(t, "r18_small"), img}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"person"`) {
		t.Errorf("predict -detector without a person class: err %v", err)
	}
}
