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
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadDatasetFrom(bytes.NewReader(data))
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
