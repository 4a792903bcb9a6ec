package coco_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/ladderpose/ladderpose/coco"
)

// Evaluate takes the ground truth and the results in memory (as a training
// loop has them) and returns COCOeval's numbers.
func ExampleEvaluate() {
	gt := &coco.Dataset{
		Images:     []coco.Image{{ID: 1, Width: 640, Height: 480}},
		Categories: []coco.Category{coco.PersonCategory()},
	}
	person := coco.Annotation{ID: 1, ImageID: 1, CategoryID: 1, NumKeypoints: 17,
		BBox: [4]float64{100, 50, 120, 300}, Area: 24000}
	for k := 0; k < coco.NumKeypoints; k++ {
		person.Keypoints = append(person.Keypoints, 110+5*float64(k), 60+15*float64(k), 2)
	}
	gt.Annotations = append(gt.Annotations, person)

	// One detection found the person exactly, a second one is spurious and
	// scores higher: precision 1/2 at full recall. With area=large the
	// spurious one is ignored: its keypoints span 16 x 0 pixels, area 0,
	// and an unmatched detection counts only within its own area range.
	found := coco.Result{ImageID: 1, CategoryID: 1, Score: 0.9, Keypoints: make([]float64, 51)}
	copy(found.Keypoints, person.Keypoints)
	spurious := coco.Result{ImageID: 1, CategoryID: 1, Score: 0.95, Keypoints: make([]float64, 51)}
	for k := 0; k < coco.NumKeypoints; k++ {
		spurious.Keypoints[3*k], spurious.Keypoints[3*k+1] = 500+float64(k), 400
	}

	r, err := coco.Evaluate(gt, []coco.Result{found, spurious})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(r.Summary())
	fmt.Printf("AP %.3f, nose AP %.3f\n", r.Stats[0], r.KeypointAP[0])
	// Output:
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 1.000
	// AP 0.500, nose AP 0.500
}

// EvaluateWith evaluates a keypoint set other than COCO's: here three
// keypoints with their OKS sigmas. The result's hand is 10 pixels off: its
// OKS term is exp(-10^2 / (2 * 24000 * (2*0.06)^2)) = 0.865, so the hand
// matches at the thresholds .50 to .85 (AP 0.8) and the whole person, OKS
// (1 + 0.865 + 1) / 3 = 0.955, at all ten.
func ExampleEvaluateWith() {
	gt := &coco.Dataset{
		Images: []coco.Image{{ID: 1, Width: 640, Height: 480}},
		Categories: []coco.Category{{ID: 1, Name: "person",
			Keypoints: []string{"head", "hand", "foot"}, Skeleton: [][2]int{{1, 2}, {1, 3}}}},
		Annotations: []coco.Annotation{{ID: 1, ImageID: 1, CategoryID: 1, NumKeypoints: 3,
			Keypoints: []float64{150, 70, 2, 200, 200, 2, 160, 340, 2},
			BBox:      [4]float64{100, 50, 120, 300}, Area: 24000}},
	}
	dt := []coco.Result{{ImageID: 1, CategoryID: 1, Score: 0.9,
		Keypoints: []float64{150, 70, 1, 210, 200, 1, 160, 340, 1}}}

	r, err := coco.EvaluateWith(gt, dt, coco.EvalOptions{Sigmas: []float64{0.03, 0.06, 0.09}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("AP %.3f, per keypoint %.3f\n", r.Stats[0], r.KeypointAP)

	// Without the sigmas, the count is refused.
	_, err = coco.Evaluate(gt, dt)
	fmt.Println(err)
	// Output:
	// AP 1.000, per keypoint [1.000 0.800 1.000]
	// coco: evaluate: ground truth has 3 keypoints: give their OKS sigmas
}

// ReadDetectionsFrom reads person boxes for top-down inference, keeping
// those at or above a score.
func ExampleReadDetectionsFrom() {
	in := `[{"image_id": 7, "category_id": 1, "bbox": [10, 20, 50, 120], "score": 0.93},
	        {"image_id": 7, "category_id": 1, "bbox": [300, 40, 45, 100], "score": 0.12}]`
	dets, err := coco.ReadDetectionsFrom(strings.NewReader(in), 0.5)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dets {
		fmt.Println(d.ImageID, d.BBox, d.Score)
	}
	// Output:
	// 7 [10 20 50 120] 0.93
}

// Readers name the element at fault and where it starts.
func ExampleReadResultsFrom() {
	_, err := coco.ReadResultsFrom(strings.NewReader(`[{"image_id": 1, "category_id": 1, "keypoints": [1, 2, 0.5], "score": 0.8}]`))
	fmt.Println(err)
	// Output:
	// results[0] (starting near byte 1): image_id 1: keypoints has 3 values, want 51 (17 x, y, score triples)
}

// EvaluateBoxes scores detections (for instance a detector's, with its
// class labels turned into COCO category ids) against COCO ground truth.
func ExampleEvaluateBoxes() {
	person, _ := coco.CategoryID("person")
	gt := &coco.Dataset{
		Images:     []coco.Image{{ID: 1, Width: 640, Height: 480}},
		Categories: []coco.Category{{ID: person, Name: "person"}},
		Annotations: []coco.Annotation{{ID: 1, ImageID: 1, CategoryID: person,
			BBox: [4]float64{100, 50, 120, 300}, Area: 36000}},
	}
	// The person found exactly, and a small spurious box scoring higher:
	// precision 1/2 at full recall. In the large range the small box is
	// ignored, and with maxDets 1 only it is kept.
	dt := []coco.Detection{
		{ImageID: 1, CategoryID: person, BBox: [4]float64{100, 50, 120, 300}, Score: 0.9},
		{ImageID: 1, CategoryID: person, BBox: [4]float64{500, 400, 20, 20}, Score: 0.95},
	}
	r, err := coco.EvaluateBoxes(gt, dt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(r.Summary())
	// Output:
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.500
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000
	//  Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000
	//  Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 1.000
}

// CategoryID and CategoryName map COCO's category names onto its ids
// 1..90 (with gaps); ClassCategoryID maps an 80-class detector's label.
func ExampleCategoryID() {
	id, _ := coco.CategoryID("toothbrush")
	name, _ := coco.CategoryName(13)
	fromLabel, _ := coco.ClassCategoryID(11) // label 11 of 0..79
	_, known := coco.CategoryName(12)
	fmt.Println(id, name, fromLabel, known)
	// Output:
	// 90 stop sign 13 false
}
