package coco

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestRoundTrip reads every reference case, writes it and reads it back:
// the datasets and results must be equal value for value (Go writes the
// shortest decimal that reads back to the same float64).
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, name := range goldenCases(t, goldenDir) {
		gt, dt := loadCase(t, goldenDir, name)
		if err := WriteDataset(filepath.Join(dir, "x.gt.json"), gt); err != nil {
			t.Fatal(err)
		}
		if err := WriteResults(filepath.Join(dir, "x.dt.json"), dt); err != nil {
			t.Fatal(err)
		}
		gt2, dt2 := loadCase(t, dir, "x")
		if !reflect.DeepEqual(gt, gt2) {
			t.Errorf("%s: dataset changed by a write and read", name)
		}
		if !reflect.DeepEqual(dt, dt2) {
			t.Errorf("%s: results changed by a write and read", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestReadDatasetContent checks what the reader keeps, skips and defaults.
func TestReadDatasetContent(t *testing.T) {
	kp := strings.TrimSuffix(strings.Repeat("1.5, 2, 2, ", 17), ", ")
	in := `{"licenses": [{"id": 1, "name": "x", "nested": {"a": [1, 2, {"b": null}]}}],
	"info": {"year": 2017, "description": "d"},
	"images": [{"id": 4, "file_name": "a.jpg", "width": 640, "height": 480, "license": 3, "coco_url": "u"}],
	"annotations": [{"segmentation": [[1, 2, 3, 4, 5, 6]], "num_keypoints": 17, "area": 12.5,
		"iscrowd": 0, "keypoints": [` + kp + `], "image_id": 4, "bbox": [1, 2, 3, 4], "category_id": 1, "id": 9},
		{"segmentation": {"counts": [1, 2], "size": [3, 4]}, "num_keypoints": 0, "area": 0,
		"keypoints": [` + strings.Repeat("0, ", 50) + `0], "image_id": 4, "bbox": [0, 0, 0, 0], "category_id": 1, "id": 10}],
	"categories": [{"supercategory": "person", "id": 1, "name": "person", "keypoints": ["a"` + strings.Repeat(`, "b"`, 16) + `],
		"skeleton": [[1, 2]]}],
	"extra": 5}`
	d, err := ReadDatasetFrom(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != 1 || d.Images[0] != (Image{ID: 4, FileName: "a.jpg", Width: 640, Height: 480}) {
		t.Errorf("images %+v", d.Images)
	}
	if d.Info["description"] != "d" || d.Info["year"] != 2017.0 {
		t.Errorf("info %v", d.Info)
	}
	a := d.Annotations[0]
	if a.ID != 9 || a.ImageID != 4 || a.Area != 12.5 || a.BBox != [4]float64{1, 2, 3, 4} ||
		len(a.Keypoints) != 51 || a.Keypoints[48] != 1.5 || a.Keypoints[50] != 2 || a.NumKeypoints != 17 {
		t.Errorf("annotation %+v", a)
	}
	if d.Annotations[1].IsCrowd != 0 {
		t.Errorf("missing iscrowd read as %d, want 0", d.Annotations[1].IsCrowd)
	}
	if cap(a.Keypoints) != 51 {
		t.Errorf("keypoints capacity %d: appending would overwrite the next person", cap(a.Keypoints))
	}
	if c := d.Categories[0]; c.ID != 1 || len(c.Keypoints) != 17 || !reflect.DeepEqual(c.Skeleton, [][2]int{{1, 2}}) {
		t.Errorf("category %+v", c)
	}
}

// TestReadErrors checks that malformed files are refused with an error
// naming the element (and its position) or the problem.
func TestReadErrors(t *testing.T) {
	kp := strings.TrimSuffix(strings.Repeat("1, 2, 2, ", 17), ", ")
	ann := func(fields string) string {
		return `{"id": 1, "image_id": 1, "category_id": 1, "num_keypoints": 17, "area": 100, "iscrowd": 0,
			"bbox": [0, 0, 10, 10], "keypoints": [` + kp + `]` + fields + `}`
	}
	ds := func(anns ...string) string {
		return `{"images": [{"id": 1}], "categories": [{"id": 1, "name": "person"}], "annotations": [` +
			strings.Join(anns, ",") + `]}`
	}
	good := ds(ann(""))
	if _, err := ReadDatasetFrom(strings.NewReader(good)); err != nil {
		t.Fatalf("the valid base case fails: %v", err)
	}
	cases := []struct{ name, in, want string }{
		{"empty", ``, "unexpected EOF"},
		{"array", `[]`, "want an object"},
		{"truncated", good[:len(good)-30], "unexpected EOF"},
		{"syntax", strings.Replace(good, `"area": 100`, `"area" 100`, 1), "annotations[0]"},
		{"trailing", good + ` {}`, "after the top-level value"},
		{"missing images", `{"annotations": [], "categories": []}`, `missing "images"`},
		{"images not array", `{"images": {}, "annotations": [], "categories": []}`, "images: at byte 12: want an array"},
		{"short keypoints", ds(ann(""), strings.Replace(ann(""), "1, 2, 2]", "1, 2]", 1)),
			"annotations[1] (starting near byte"},
		{"short keypoints message", ds(strings.Replace(ann(""), "1, 2, 2]", "1, 2]", 1)), "keypoints has 50 values, want 51"},
		{"visibility", ds(strings.Replace(ann(""), "1, 2, 2]", "1, 2, 5]", 1)), "keypoint 16 (right_ankle): visibility 5"},
		{"negative area", ds(strings.Replace(ann(""), `"area": 100`, `"area": -3`, 1)), "area -3"},
		{"negative width", ds(strings.Replace(ann(""), `[0, 0, 10, 10]`, `[0, 0, -10, 10]`, 1)), "negative width"},
		{"bbox length", ds(strings.Replace(ann(""), `[0, 0, 10, 10]`, `[0, 0, 10]`, 1)), "bbox has 3 values"},
		{"missing num_keypoints", ds(strings.Replace(ann(""), `"num_keypoints": 17,`, ``, 1)), `missing "num_keypoints"`},
		{"missing area", ds(strings.Replace(ann(""), `"area": 100,`, ``, 1)), `missing "area"`},
		{"fractional id", ds(strings.Replace(ann(""), `"id": 1,`, `"id": 1.5,`, 1)), "unmarshal 1.5 into Go struct field annotationJSON.id"},
		{"string id", ds(strings.Replace(ann(""), `"id": 1,`, `"id": "1",`, 1)), "annotationJSON.id"},
		{"huge number", ds(strings.Replace(ann(""), `"area": 100`, `"area": 1e999`, 1)), "1e999"},
		{"keypoint not a number", ds(strings.Replace(ann(""), "1, 2, 2]", `1, 2, "v"]`, 1)), "keypoints"},
		{"duplicate ann id", ds(ann(""), ann("")), "annotations[1]: id 1 already used by annotations[0]"},
		{"unknown image", strings.Replace(ds(ann("")), `"images": [{"id": 1}]`, `"images": [{"id": 2}]`, 1),
			"image_id 1 is not in images"},
		{"unknown category", ds(strings.Replace(ann(""), `"category_id": 1`, `"category_id": 5`, 1)),
			"category_id 5 is not in categories"},
		{"duplicate key", strings.Replace(good, `"images"`, `"images": [], "images"`, 1), `key "images" appears twice`},
		{"skeleton", strings.Replace(good, `"name": "person"`, `"name": "person", "skeleton": [[1, 2, 3]]`, 1),
			"skeleton[0] has 3 values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadDatasetFrom(strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadResults(t *testing.T) {
	kp := strings.TrimSuffix(strings.Repeat("1, 2, 0.5, ", 17), ", ")
	res := func(extra string) string {
		return `{"image_id": 3, "category_id": 1, "keypoints": [` + kp + `], "score": 0.25` + extra + `}`
	}
	rs, err := ReadResultsFrom(strings.NewReader(`[` + res(`, "bbox": [1, 2, 3, 4], "id": 8`) + `, ` + res("") + `]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].ImageID != 3 || rs[1].Score != .25 || rs[1].Keypoints[50] != .5 {
		t.Errorf("results %+v", rs)
	}
	if rs, err := ReadResultsFrom(strings.NewReader(`[]`)); err != nil || len(rs) != 0 {
		t.Errorf("empty list: %v, %v", rs, err)
	}
	cases := []struct{ name, in, want string }{
		{"object", `{}`, "want an array"},
		{"negative score", `[` + res("") + `, ` + strings.Replace(res(""), "0.25", "-1", 1) + `]`,
			"results[1] (starting near byte"},
		{"negative score message", `[` + strings.Replace(res(""), "0.25", "-1", 1) + `]`, "score -1"},
		{"missing score", `[` + strings.Replace(res(""), `, "score": 0.25`, "", 1) + `]`, `missing "score"`},
		{"missing image", `[` + strings.Replace(res(""), `"image_id": 3,`, "", 1) + `]`, `missing "image_id"`},
		{"long keypoints", `[` + strings.Replace(res(""), "0.5]", "0.5, 1]", 1) + `]`, "keypoints has 52 values"},
		{"not an object", `[1]`, "results[0]"},
		{"truncated", `[` + res(""), "unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadResultsFrom(strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadDetections(t *testing.T) {
	in := `[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9, "segmentation": {"counts": "abc"}},
		{"image_id": 2, "category_id": 1, "bbox": [5, 6, 7, 8], "score": 0.1},
		{"image_id": 2, "category_id": 3, "bbox": [5, 6, 7, 8], "score": 0.5}]`
	for _, c := range []struct {
		min  float64
		want []Detection
	}{
		{0, []Detection{{1, 1, [4]float64{1, 2, 3, 4}, .9}, {2, 1, [4]float64{5, 6, 7, 8}, .1}, {2, 3, [4]float64{5, 6, 7, 8}, .5}}},
		{.5, []Detection{{1, 1, [4]float64{1, 2, 3, 4}, .9}, {2, 3, [4]float64{5, 6, 7, 8}, .5}}},
		{.95, nil},
	} {
		got, err := ReadDetectionsFrom(strings.NewReader(in), c.min)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("minScore %v: %+v, want %+v", c.min, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.9}]`, "negative width"},
		{`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.9}]`, "bbox has 3 values"},
		{`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": -0.9}]`, "score -0.9"},
		{`[{"image_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]`, `missing "category_id"`},
	} {
		if _, err := ReadDetectionsFrom(strings.NewReader(c.in), 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.in, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "det.json")
	os.WriteFile(path, []byte(in), 0o644)
	if ds, err := ReadDetections(path, .5); err != nil || len(ds) != 2 {
		t.Errorf("ReadDetections: %v, %v", ds, err)
	}
	if _, err := ReadDetections(path+".missing", 0); err == nil || !strings.Contains(err.Error(), "det.json.missing") {
		t.Errorf("missing file: %v", err)
	}
}

// TestWriteRefusesInvalid checks that writers validate and leave no file.
func TestWriteRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	p := person(1, 1, 0, 0, 200, 300, 36000)
	p.Area = math.NaN()
	if err := WriteDataset(filepath.Join(dir, "gt.json"), dataset([]int64{1}, p)); err == nil {
		t.Error("a NaN area was written")
	}
	r := copyOf(person(1, 1, 0, 0, 200, 300, 36000), math.Inf(1))
	if err := WriteResults(filepath.Join(dir, "dt.json"), []Result{r}); err == nil {
		t.Error("an infinite score was written")
	}
	if err := WriteResults(filepath.Join(dir, "nodir", "dt.json"), nil); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}

// segmentedStream generates a COCO file of n annotations, each with a
// polygon "segmentation" of segLen numbers, without holding it in memory.
func segmentedStream(n, segLen int) io.Reader {
	kp := strings.TrimSuffix(strings.Repeat("123.45, 67.89, 2, ", 17), ", ")
	seg := strings.TrimSuffix(strings.Repeat("512.25, ", segLen), ", ")
	parts := []io.Reader{strings.NewReader(`{"images": [{"id": 1, "file_name": "x.jpg", "width": 640, "height": 480}], "annotations": [`)}
	for i := 0; i < n; i++ {
		sep := ","
		if i == 0 {
			sep = ""
		}
		parts = append(parts, strings.NewReader(fmt.Sprintf(`%s{"segmentation": [[%s]], "num_keypoints": 17, "area": 1000.5,
			"iscrowd": 0, "keypoints": [%s], "image_id": 1, "bbox": [1, 2, 30, 40], "category_id": 1, "id": %d}`,
			sep, seg, kp, i+1)))
	}
	parts = append(parts, strings.NewReader(`], "categories": [{"id": 1, "name": "person"}]}`))
	return io.MultiReader(parts...)
}

// TestReadMemory reads a 60 MB stream whose bulk is segmentation polygons:
// what the reader allocates must stay far below the input size (the
// polygons are scanned, never stored).
func TestReadMemory(t *testing.T) {
	const n, segLen = 20000, 300
	cr := &countingReader{r: segmentedStream(n, segLen)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := ReadDatasetFrom(cr)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	kept := uint64(n) * (3*NumKeypoints*8 + uint64(reflect.TypeFor[Annotation]().Size()))
	t.Logf("input %.1f MB, allocated %.1f MB, kept about %.1f MB", float64(cr.n)/1e6, float64(alloc)/1e6, float64(kept)/1e6)
	if len(d.Annotations) != n {
		t.Fatalf("%d annotations", len(d.Annotations))
	}
	if alloc > uint64(cr.n)/2 {
		t.Errorf("allocated %d bytes reading %d: the segmentation is being materialised", alloc, cr.n)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkReadDataset reads a generated annotation stream with
// segmentation polygons, like person_keypoints_train2017.json.
func BenchmarkReadDataset(b *testing.B) {
	var buf bytes.Buffer
	io.Copy(&buf, segmentedStream(5000, 300))
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadDatasetFrom(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
