package coco

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestBoxIoU checks the box IoU on hand-computed cases, crowd regions
// included (intersection over the detection's area).
func TestBoxIoU(t *testing.T) {
	g := [4]float64{10, 20, 40, 30} // area 1200
	cases := []struct {
		name  string
		d     [4]float64
		crowd bool
		want  float64
	}{
		{"same", g, false, 1},
		{"half width", [4]float64{30, 20, 40, 30}, false, 600.0 / 1800},
		{"inside", [4]float64{20, 25, 10, 10}, false, 100.0 / 1200},
		{"inside crowd", [4]float64{20, 25, 10, 10}, true, 1},
		{"half out of crowd", [4]float64{45, 20, 10, 10}, true, 0.5},
		{"touching", [4]float64{50, 20, 10, 10}, false, 0},
		{"touching crowd", [4]float64{10, 50, 10, 10}, true, 0},
		{"apart", [4]float64{100, 100, 10, 10}, false, 0},
		{"empty", [4]float64{20, 25, 0, 0}, false, 0},
	}
	for _, c := range cases {
		if got := boxIoU(c.d, g, c.crowd); got != c.want {
			t.Errorf("%s: IoU %.17g, want %.17g", c.name, got, c.want)
		}
	}
}

// boxGT is a one-image ground truth with the given boxes (category 1).
func boxGT(anns ...Annotation) *Dataset {
	d := &Dataset{
		Images:     []Image{{ID: 1, Width: 640, Height: 480}},
		Categories: []Category{{ID: 1, Name: "person"}, {ID: 3, Name: "car"}},
	}
	for i, a := range anns {
		a.ID, a.ImageID = int64(i+1), 1
		if a.CategoryID == 0 {
			a.CategoryID = 1
		}
		d.Annotations = append(d.Annotations, a)
	}
	return d
}

// TestEvaluateBoxesRules checks maxDets, the area ranges and crowd regions
// on hand-computed cases.
func TestEvaluateBoxesRules(t *testing.T) {
	big := Annotation{BBox: [4]float64{100, 50, 120, 300}, Area: 36000}
	hit := Detection{ImageID: 1, CategoryID: 1, BBox: big.BBox, Score: 0.9}
	cases := []struct {
		name string
		gt   *Dataset
		dt   []Detection
		want [12]float64
	}{
		// A small false positive scores higher than the hit: AP 1/2 (the
		// precision at full recall), but in the large range the small
		// detection is ignored; with maxDets 1 only it is kept: AR1 0.
		{"false positive first", boxGT(big), []Detection{hit, {ImageID: 1, CategoryID: 1, BBox: [4]float64{500, 400, 20, 20}, Score: 0.95}},
			[12]float64{.5, .5, .5, -1, -1, 1, 0, 1, 1, -1, -1, 1}},
		// A detection of the car category does not match the person.
		{"wrong category", boxGT(big, Annotation{CategoryID: 3, BBox: [4]float64{0, 0, 10, 10}, Area: 100}),
			[]Detection{{ImageID: 1, CategoryID: 3, BBox: big.BBox, Score: 0.9}},
			[12]float64{0, 0, 0, 0, -1, 0, 0, 0, 0, 0, -1, 0}},
		// The area field, not the box, decides the range: 1000 is small.
		{"area field", boxGT(Annotation{BBox: [4]float64{0, 0, 100, 100}, Area: 1000}),
			[]Detection{{ImageID: 1, CategoryID: 1, BBox: [4]float64{0, 0, 100, 100}, Score: 0.5}},
			[12]float64{1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1}},
		// Two detections inside a crowd region are both ignored; the
		// person is found by the third: AP 1, but with maxDets 1 only the
		// first crowd detection is kept: AR1 0.
		{"crowd", boxGT(big, Annotation{BBox: [4]float64{300, 0, 200, 200}, Area: 40000, IsCrowd: 1}),
			[]Detection{{ImageID: 1, CategoryID: 1, BBox: [4]float64{310, 10, 50, 50}, Score: 0.99},
				{ImageID: 1, CategoryID: 1, BBox: [4]float64{400, 100, 50, 50}, Score: 0.98}, hit},
			[12]float64{1, 1, 1, -1, -1, 1, 0, 1, 1, -1, -1, 1}},
		// No detections: 0 wherever there is ground truth.
		{"none", boxGT(big), nil, [12]float64{0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := EvaluateBoxes(c.gt, c.dt)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if math.Abs(r.Stats[i]-w) > 1e-12 {
					t.Errorf("stats[%d] = %.15g, want %v\n%s", i, r.Stats[i], w, r.Summary())
				}
			}
		})
	}
}

// TestEvaluateBoxesMaxDets: 150 detections, the hit ranked 120th. It is
// past the 100 kept per image: AP and AR are 0.
func TestEvaluateBoxesMaxDets(t *testing.T) {
	big := Annotation{BBox: [4]float64{100, 50, 120, 300}, Area: 36000}
	var dt []Detection
	for i := 0; i < 150; i++ {
		d := Detection{ImageID: 1, CategoryID: 1, BBox: [4]float64{500, 400, 20, 20}, Score: 1 - float64(i)/1000}
		if i == 119 {
			d.BBox = big.BBox
		}
		dt = append(dt, d)
	}
	r, err := EvaluateBoxes(boxGT(big), dt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stats[0] != 0 || r.Stats[8] != 0 || r.EvaluatedResults != BoxMaxDets || r.Results != 150 {
		t.Errorf("AP %v AR100 %v, %d of %d evaluated", r.Stats[0], r.Stats[8], r.EvaluatedResults, r.Results)
	}
	// Tied with the first detection, the hit stays behind it (stable
	// sort): AP 1/2 and AR1 0; with a higher score it is found at rank 1.
	for _, c := range []struct{ score, ap, ar1 float64 }{{1, .5, 0}, {2, 1, 1}} {
		dt[119].Score = c.score
		if r, _ = EvaluateBoxes(boxGT(big), dt); r.Stats[6] != c.ar1 || math.Abs(r.Stats[0]-c.ap) > 1e-12 {
			t.Errorf("hit score %v: AR1 %v AP %v, want %v %v", c.score, r.Stats[6], r.Stats[0], c.ar1, c.ap)
		}
	}
}

// TestEvaluateBoxesErrors checks that bad input is refused with a message
// that names the problem and the record.
func TestEvaluateBoxesErrors(t *testing.T) {
	good := func() (*Dataset, []Detection) {
		return boxGT(Annotation{BBox: [4]float64{1, 2, 30, 40}, Area: 1200}),
			[]Detection{{ImageID: 1, CategoryID: 1, BBox: [4]float64{1, 2, 30, 40}, Score: .5}}
	}
	cases := []struct {
		name   string
		modify func(*Dataset, []Detection)
		want   string
	}{
		{"unknown image", func(d *Dataset, r []Detection) { r[0].ImageID = 7 }, "detections[0]: image_id 7 is not an image of the ground truth"},
		{"unknown category", func(d *Dataset, r []Detection) { r[0].CategoryID = 2 }, "detections[0] (image_id 1): category_id 2 is not a category"},
		{"NaN score", func(d *Dataset, r []Detection) { r[0].Score = math.NaN() }, "detections[0] (image_id 1): score NaN"},
		{"negative score", func(d *Dataset, r []Detection) { r[0].Score = -1 }, "score -1"},
		{"infinite box", func(d *Dataset, r []Detection) { r[0].BBox[1] = math.Inf(1) }, "bbox [1 +Inf 30 40] is not finite"},
		{"negative height", func(d *Dataset, r []Detection) { r[0].BBox[3] = -4 }, "negative width or height"},
		{"gt NaN box", func(d *Dataset, r []Detection) { d.Annotations[0].BBox[0] = math.NaN() }, "ground truth: annotations[0] (id 1): bbox [NaN 2 30 40]"},
		{"gt negative area", func(d *Dataset, r []Detection) { d.Annotations[0].Area = -1 }, "area -1"},
		{"gt iscrowd 2", func(d *Dataset, r []Detection) { d.Annotations[0].IsCrowd = 2 }, "iscrowd 2"},
		{"gt short keypoints", func(d *Dataset, r []Detection) { d.Annotations[0].Keypoints = []float64{1, 2, 2} }, "keypoints has 3 values"},
		{"gt duplicate image", func(d *Dataset, r []Detection) { d.Images = append(d.Images, d.Images[0]) }, "images[1]: id 1 already used"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gt, dt := good()
			c.modify(gt, dt)
			_, err := EvaluateBoxes(gt, dt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if gt, dt := good(); true {
		if _, err := EvaluateBoxes(gt, dt); err != nil {
			t.Errorf("the valid base case fails: %v", err)
		}
	}
}

// TestReadInstances checks the instances reader: keypoints optional (kept
// when present), "ignore" and "segmentation" skipped, errors naming the
// annotation; the keypoint reader still requires keypoints.
func TestReadInstances(t *testing.T) {
	kp := strings.TrimSuffix(strings.Repeat("1, 2, 2, ", 17), ", ")
	ds := func(anns ...string) string {
		return `{"images": [{"id": 1}], "categories": [{"id": 1, "name": "person"}, {"id": 62, "name": "chair"}], "annotations": [` +
			strings.Join(anns, ",") + `]}`
	}
	box := `{"id": 1, "image_id": 1, "category_id": 62, "bbox": [1, 2, 3, 4], "area": 12, "ignore": 1, "segmentation": [[1, 2, 3, 4]]}`
	person := `{"id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 1, "num_keypoints": 17, "keypoints": [` + kp + `]}`
	d, err := ReadInstancesFrom(strings.NewReader(ds(box, person)))
	if err != nil {
		t.Fatal(err)
	}
	want := []Annotation{
		{ID: 1, ImageID: 1, CategoryID: 62, BBox: [4]float64{1, 2, 3, 4}, Area: 12},
		{ID: 2, ImageID: 1, CategoryID: 1, BBox: [4]float64{1, 2, 3, 4}, Area: 12, IsCrowd: 1, NumKeypoints: 17},
	}
	if len(d.Annotations) != 2 || len(d.Annotations[1].Keypoints) != 51 {
		t.Fatalf("annotations %+v", d.Annotations)
	}
	d.Annotations[1].Keypoints = nil
	if !reflect.DeepEqual(d.Annotations, want) {
		t.Errorf("annotations %+v, want %+v", d.Annotations, want)
	}
	if _, err := ReadDatasetFrom(strings.NewReader(ds(box))); err == nil || !strings.Contains(err.Error(), `missing "num_keypoints"`) {
		t.Errorf("keypoint reader on a box annotation: %v", err)
	}
	cases := []struct{ name, in, want string }{
		{"missing area", ds(strings.Replace(box, `"area": 12,`, ``, 1)), `annotations[0] (starting near byte 114): missing "area"`},
		{"bbox length", ds(strings.Replace(box, `[1, 2, 3, 4], "area"`, `[1, 2, 3], "area"`, 1)), "bbox has 3 values"},
		{"negative width", ds(strings.Replace(box, `[1, 2, 3, 4], "area"`, `[1, 2, -3, 4], "area"`, 1)), "id 1: bbox [1 2 -3 4] has a negative width"},
		{"short keypoints", ds(strings.Replace(person, "1, 2, 2]", "1, 2]", 1)), "keypoints has 50 values, want 51"},
		{"unknown category", ds(strings.Replace(box, `"category_id": 62`, `"category_id": 63`, 1)), "category_id 63 is not in categories"},
		{"missing image_id", ds(strings.Replace(box, `"image_id": 1,`, ``, 1)), `missing "image_id"`},
	}
	for _, c := range cases {
		if _, err := ReadInstancesFrom(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestReadBoxResults checks that every detection is kept whatever its
// score, that errors name the record, and that a write and a read give the
// same detections (the goldens' largest case).
func TestReadBoxResults(t *testing.T) {
	in := `[{"image_id": 7, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0},
	        {"image_id": 7, "category_id": 90, "bbox": [1.5, 2, 3, 4], "score": 1e-9, "segmentation": []}]`
	ds, err := ReadBoxResultsFrom(strings.NewReader(in))
	if err != nil || len(ds) != 2 || ds[1].CategoryID != 90 || ds[1].BBox[0] != 1.5 {
		t.Fatalf("%+v, %v", ds, err)
	}
	for _, c := range []struct{ in, want string }{
		{`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 1}]`, "detections[0] (starting near byte 1): bbox has 3 values, want 4"},
		{`[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1}, {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]`, `detections[1] (starting near byte 68): missing "score"`},
		{`[{"image_id": 5, "category_id": 1, "bbox": [1, 2, 3, 4], "score": -1}]`, "image_id 5: score -1"},
		{`{"image_id": 5}`, "want an array"},
	} {
		if _, err := ReadBoxResultsFrom(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	boxGoldenCases(t)
	_, dt := loadBoxCase(t, "c08_mixed")
	path := filepath.Join(t.TempDir(), "dt.json")
	if err := WriteDetections(path, dt); err != nil {
		t.Fatal(err)
	}
	dt2, err := ReadBoxResults(path)
	if err != nil || !reflect.DeepEqual(dt, dt2) {
		t.Errorf("write and read changed the detections (%v)", err)
	}
	if err := WriteDetections(path, []Detection{{Score: math.NaN()}}); err == nil {
		t.Error("WriteDetections accepted a NaN score")
	}
}
