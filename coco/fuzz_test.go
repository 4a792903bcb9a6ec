package coco

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bytes to the readers: they must return a
// value or an error, never panic, and whatever they accept must survive a
// write and a read unchanged and be evaluable. Seed corpora live in
// testdata/fuzz/<FuzzName>/.

func FuzzReadDataset(f *testing.F) {
	f.Add([]byte(`{"images": [], "annotations": [], "categories": []}`))
	f.Add([]byte(`{"images": [{"id": 1}], "annotations": [{"id": 1}], "categories": [{"id": 1}]}`))
	f.Add([]byte(`{"images": [{"id": 1}], "categories": [{"id": 1, "keypoints": ["a", "b"]}], "annotations": [` +
		`{"id": 1, "image_id": 1, "category_id": 1, "keypoints": [1, 2, 2, 3, 4, 0], "num_keypoints": 1, "bbox": [0, 0, 5, 5], "area": 9}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadDatasetFrom(bytes.NewReader(data))
		checkAnyKeypoints(t, data, err == nil)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteDatasetTo(&buf, d); err != nil {
			t.Fatalf("accepted dataset cannot be written: %v", err)
		}
		d2, err := ReadDatasetFrom(&buf)
		if err != nil {
			t.Fatalf("written dataset cannot be read: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("dataset changed by a write and read:\n%+v\n%+v", d, d2)
		}
		r, err := Evaluate(d, nil)
		if err != nil {
			t.Fatalf("accepted dataset cannot be evaluated: %v", err)
		}
		for i, s := range r.Stats {
			if s != -1 && s != 0 {
				t.Fatalf("stats[%d] = %v without results", i, s)
			}
		}
	})
}

// checkAnyKeypoints reads data as a dataset of any keypoint count: it must
// accept what the 17-keypoint reader accepted, survive a write and a read,
// and be evaluable with sigmas for its count.
func checkAnyKeypoints(t *testing.T, data []byte, coco17 bool) {
	d, err := ReadKeypointDatasetFrom(bytes.NewReader(data), 0)
	if err != nil {
		if coco17 {
			t.Fatalf("read as 17 keypoints but not as any count: %v", err)
		}
		return
	}
	var buf bytes.Buffer
	if err := WriteDatasetTo(&buf, d); err != nil {
		t.Fatalf("accepted dataset cannot be written: %v", err)
	}
	if d2, err := ReadKeypointDatasetFrom(&buf, 0); err != nil || !reflect.DeepEqual(d, d2) {
		t.Fatalf("dataset changed by a write and read (%v):\n%+v\n%+v", err, d, d2)
	}
	k := d.keypointCount()
	if k == 0 {
		k = 1 // nothing says: any count evaluates an empty dataset
	}
	sigmas := make([]float64, k)
	for i := range sigmas {
		sigmas[i] = .05
	}
	if _, err := EvaluateWith(d, nil, EvalOptions{Sigmas: sigmas}); err != nil {
		t.Fatalf("accepted dataset (%d keypoints) cannot be evaluated: %v", k, err)
	}
}

// fuzzGT is the ground truth results are evaluated against in
// FuzzReadResults: images 1 and 2, a person and a crowd region.
func fuzzGT() *Dataset {
	return dataset([]int64{1, 2}, person(1, 1, 10, 20, 50, 120, 4000),
		unlabelled(2, 2, 0, 0, 100, 100, 9000, true), person(3, 2, 5, 5, 30, 60, 1500))
}

func FuzzReadResults(f *testing.F) {
	kp := strings.TrimSuffix(strings.Repeat("30, 60, 0.5, ", 17), ", ")
	f.Add([]byte(`[{"image_id": 1, "category_id": 1, "keypoints": [` + kp + `], "score": 0.5}]`))
	f.Add([]byte(`[]`))
	gt := fuzzGT()
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ReadResultsFrom(bytes.NewReader(data))
		rsAny, errAny := ReadKeypointResultsFrom(bytes.NewReader(data), 0)
		switch {
		case err == nil && errAny != nil:
			t.Fatalf("read as 17 keypoints but not as any count: %v", errAny)
		case errAny == nil:
			if err := ValidateKeypointResults(rsAny, 0); err != nil {
				t.Fatalf("accepted results fail ValidateKeypointResults: %v", err)
			}
			if n := uniformResultKeypoints(rsAny); len(rsAny) > 0 && n == 0 {
				t.Fatal("accepted results with differing keypoint counts")
			}
		}
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteResultsTo(&buf, rs); err != nil {
			t.Fatalf("accepted results cannot be written: %v", err)
		}
		rs2, err := ReadResultsFrom(&buf)
		if err != nil {
			t.Fatalf("written results cannot be read: %v\n%s", err, buf.Bytes())
		}
		if len(rs) != len(rs2) || (len(rs) > 0 && !reflect.DeepEqual(rs, rs2)) {
			t.Fatalf("results changed by a write and read")
		}
		r, err := Evaluate(gt, rs)
		if err != nil {
			return // results on other images or categories
		}
		// fuzzGT has no large person: stats 4 and 9 are undefined.
		for i, s := range r.Stats {
			if undefined := i == 4 || i == 9; undefined != (s == -1) || !(s == -1 || s >= 0 && s <= 1) {
				t.Fatalf("stats[%d] = %v", i, s)
			}
		}
	})
}

func FuzzReadDetections(f *testing.F) {
	f.Add([]byte(`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]`), 0.5)
	f.Fuzz(func(t *testing.T, data []byte, minScore float64) {
		ds, err := ReadDetectionsFrom(bytes.NewReader(data), minScore)
		if err != nil {
			return
		}
		if err := ValidateDetections(ds); err != nil {
			t.Fatalf("accepted an invalid detection: %v", err)
		}
		for _, d := range ds {
			if !(d.Score >= minScore) {
				t.Fatalf("score %v below %v kept", d.Score, minScore)
			}
		}
	})
}

// fuzzBoxGT is the ground truth detections are evaluated against in
// FuzzReadBoxResults: images 1 and 2, categories person (1) and car (3), a
// person and a crowd region of people, a car; all objects medium-sized.
func fuzzBoxGT() *Dataset {
	return &Dataset{
		Images:     []Image{{ID: 1, Width: 640, Height: 480}, {ID: 2, Width: 640, Height: 480}},
		Categories: []Category{{ID: 1, Name: "person"}, {ID: 3, Name: "car"}},
		Annotations: []Annotation{
			{ID: 1, ImageID: 1, CategoryID: 1, BBox: [4]float64{10, 20, 50, 120}, Area: 6000},
			{ID: 2, ImageID: 2, CategoryID: 1, BBox: [4]float64{0, 0, 100, 100}, Area: 9000, IsCrowd: 1},
			{ID: 3, ImageID: 2, CategoryID: 3, BBox: [4]float64{5, 5, 30, 60}, Area: 1500},
		},
	}
}

// FuzzReadBoxResults feeds arbitrary bytes to the box results reader: it
// must return detections or an error, never panic; what it accepts must be
// valid, survive a write and a read unchanged, and evaluate to stats in
// [0, 1], or -1 exactly where fuzzBoxGT has no ground truth (small and
// large objects).
func FuzzReadBoxResults(f *testing.F) {
	f.Add([]byte(`[{"image_id": 1, "category_id": 1, "bbox": [10, 20, 50, 120], "score": 0.9}]`))
	f.Add([]byte(`[]`))
	gt := fuzzBoxGT()
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ReadBoxResultsFrom(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := ValidateDetections(ds); err != nil {
			t.Fatalf("accepted an invalid detection: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteDetectionsTo(&buf, ds); err != nil {
			t.Fatalf("accepted detections cannot be written: %v", err)
		}
		ds2, err := ReadBoxResultsFrom(&buf)
		if err != nil {
			t.Fatalf("written detections cannot be read: %v\n%s", err, buf.Bytes())
		}
		if len(ds) != len(ds2) || (len(ds) > 0 && !reflect.DeepEqual(ds, ds2)) {
			t.Fatalf("detections changed by a write and read")
		}
		r, err := EvaluateBoxes(gt, ds)
		if err != nil {
			return // detections on other images or categories
		}
		for i, s := range r.Stats {
			undefined := i == 3 || i == 5 || i == 9 || i == 11
			if undefined != (s == -1) || !(s == -1 || s >= 0 && s <= 1) {
				t.Fatalf("stats[%d] = %v", i, s)
			}
		}
	})
}
