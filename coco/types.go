// Package coco reads and writes COCO person-keypoint datasets and keypoint
// results, and evaluates results exactly as pycocotools' COCOeval does for
// iouType "keypoints" (Evaluate); other keypoint sets than COCO's 17 are
// read, written and evaluated with their OKS sigmas given
// (ReadKeypointDataset, ReadKeypointResults, EvaluateWith). It also reads COCO instances files and
// detection results and evaluates boxes exactly as COCOeval does for
// iouType "bbox" (EvaluateBoxes), and maps COCO's 80 category names onto
// their ids (CategoryID).
package coco

// NumKeypoints is the number of COCO person keypoints.
const NumKeypoints = 17

// KeypointNames are the 17 COCO keypoints in order.
var KeypointNames = [NumKeypoints]string{
	"nose", "left_eye", "right_eye", "left_ear", "right_ear",
	"left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
	"left_wrist", "right_wrist", "left_hip", "right_hip",
	"left_knee", "right_knee", "left_ankle", "right_ankle",
}

// Skeleton is COCO's person skeleton as in the annotation files (1-based
// keypoint indices).
var Skeleton = [][2]int{
	{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7},
	{6, 8}, {7, 9}, {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3}, {2, 4}, {3, 5},
	{4, 6}, {5, 7},
}

// Sigmas are the per-keypoint OKS constants of COCO's keypoint evaluation,
// bit for bit the float64 values pycocotools (and mmpose's OKS-NMS) use:
// np.array([.26, .25, ...]) / 10.0, each rounded after a float64 division.
// Five of them differ by one ulp from the exactly rounded decimals (Go's
// constant arithmetic would give 0.026, not 0.026000000000000002), which is
// why they are spelled out.
var Sigmas = [NumKeypoints]float64{
	0.026000000000000002, 0.025, 0.025, 0.034999999999999996, 0.034999999999999996,
	0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
	0.10700000000000001, 0.10700000000000001, 0.087, 0.087, 0.089, 0.089,
}

// Dataset is a COCO annotation file: person keypoints (ReadDataset), or
// object instances (ReadInstances), whose annotations have no keypoints.
type Dataset struct {
	Info        map[string]any `json:"info,omitempty"`
	Images      []Image        `json:"images"`
	Annotations []Annotation   `json:"annotations"`
	Categories  []Category     `json:"categories"`
}

// Image is one entry of a dataset's "images".
type Image struct {
	ID       int64  `json:"id"`
	FileName string `json:"file_name"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

// Annotation is one person (or crowd region) of a dataset. Keypoints holds
// 17 (x, y, v) triples (K for a keypoint set of K keypoints) with v the COCO
// visibility: 0 not labelled, 1 labelled but occluded, 2 visible. BBox is
// (x, y, width, height) in pixels.
type Annotation struct {
	ID           int64      `json:"id"`
	ImageID      int64      `json:"image_id"`
	CategoryID   int        `json:"category_id"`
	Keypoints    []float64  `json:"keypoints"`
	NumKeypoints int        `json:"num_keypoints"`
	BBox         [4]float64 `json:"bbox"`
	Area         float64    `json:"area"`
	IsCrowd      int        `json:"iscrowd"`
}

// Category is one entry of a dataset's "categories".
type Category struct {
	ID            int      `json:"id"`
	Name          string   `json:"name"`
	Supercategory string   `json:"supercategory,omitempty"`
	Keypoints     []string `json:"keypoints,omitempty"`
	Skeleton      [][2]int `json:"skeleton,omitempty"`
}

// Result is one detected person in the COCO keypoint results format.
// Keypoints holds 17 (x, y, score) triples (K for a keypoint set of K
// keypoints).
type Result struct {
	ImageID    int64     `json:"image_id"`
	CategoryID int       `json:"category_id"`
	Keypoints  []float64 `json:"keypoints"`
	Score      float64   `json:"score"`
}

// Detection is one box in the COCO detection results format: a person box
// as top-down pose estimation takes its input, or any category's box for
// EvaluateBoxes. BBox is (x, y, width, height).
type Detection struct {
	ImageID    int64      `json:"image_id"`
	CategoryID int        `json:"category_id"`
	BBox       [4]float64 `json:"bbox"`
	Score      float64    `json:"score"`
}

// PersonCategory returns the standard COCO person category with keypoint
// names and skeleton.
func PersonCategory() Category {
	return Category{
		ID: 1, Name: "person", Supercategory: "person",
		Keypoints: append([]string(nil), KeypointNames[:]...),
		Skeleton:  append([][2]int(nil), Skeleton...),
	}
}
