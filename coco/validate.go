package coco

import (
	"fmt"
	"math"
)

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate checks what keypoint evaluation and training rely on: unique
// image, category and annotation ids; every annotation on a listed image
// and category; 17 keypoint triples with finite coordinates and visibility
// 0, 1 or 2; num_keypoints in 0..17; a finite bbox with non-negative width
// and height; a finite non-negative area; iscrowd 0 or 1. Categories that
// name keypoints must name 17, and skeleton edges must join two of them.
// The error names the first offending element by its index and id.
func (d *Dataset) Validate() error { return d.validate(true) }

// ValidateInstances checks what box evaluation relies on: everything that
// Validate checks, except that keypoints are optional (COCO's instances
// files have none): an annotation without keypoints passes, one with
// keypoints must have 17 valid triples.
func (d *Dataset) ValidateInstances() error { return d.validate(false) }

// validate is Validate, with keypoints optional unless needKeypoints.
func (d *Dataset) validate(needKeypoints bool) error {
	images := make(map[int64]int, len(d.Images))
	for i, im := range d.Images {
		if j, dup := images[im.ID]; dup {
			return fmt.Errorf("images[%d]: id %d already used by images[%d]", i, im.ID, j)
		}
		images[im.ID] = i
		if im.Width < 0 || im.Height < 0 {
			return fmt.Errorf("images[%d] (id %d): negative size %dx%d", i, im.ID, im.Width, im.Height)
		}
	}
	cats := make(map[int]int, len(d.Categories))
	for i, c := range d.Categories {
		if j, dup := cats[c.ID]; dup {
			return fmt.Errorf("categories[%d]: id %d already used by categories[%d]", i, c.ID, j)
		}
		cats[c.ID] = i
		if n := len(c.Keypoints); n != 0 && n != NumKeypoints {
			return fmt.Errorf("categories[%d] (id %d): %d keypoint names, want %d", i, c.ID, n, NumKeypoints)
		}
		for e, edge := range c.Skeleton {
			for _, k := range edge {
				if k < 1 || k > len(c.Keypoints) {
					return fmt.Errorf("categories[%d] (id %d): skeleton[%d] = %v: keypoint %d not in 1..%d",
						i, c.ID, e, edge, k, len(c.Keypoints))
				}
			}
		}
	}
	anns := make(map[int64]int, len(d.Annotations))
	for i := range d.Annotations {
		a := &d.Annotations[i]
		if j, dup := anns[a.ID]; dup {
			return fmt.Errorf("annotations[%d]: id %d already used by annotations[%d]", i, a.ID, j)
		}
		anns[a.ID] = i
		if err := checkAnnotation(a, needKeypoints); err != nil {
			return fmt.Errorf("annotations[%d] (id %d): %w", i, a.ID, err)
		}
		if _, ok := images[a.ImageID]; !ok {
			return fmt.Errorf("annotations[%d] (id %d): image_id %d is not in images", i, a.ID, a.ImageID)
		}
		if _, ok := cats[a.CategoryID]; !ok {
			return fmt.Errorf("annotations[%d] (id %d): category_id %d is not in categories", i, a.ID, a.CategoryID)
		}
	}
	return nil
}

// validateAnnotation checks one annotation's values (not its references).
func validateAnnotation(a *Annotation) error { return checkAnnotation(a, true) }

// checkAnnotation is validateAnnotation, with the keypoints optional
// unless needKeypoints.
func checkAnnotation(a *Annotation, needKeypoints bool) error {
	if (needKeypoints || len(a.Keypoints) != 0) && len(a.Keypoints) != 3*NumKeypoints {
		return fmt.Errorf("keypoints has %d values, want %d (17 x, y, v triples)", len(a.Keypoints), 3*NumKeypoints)
	}
	for k := 0; k < len(a.Keypoints)/3; k++ {
		x, y, v := a.Keypoints[3*k], a.Keypoints[3*k+1], a.Keypoints[3*k+2]
		if !finite(x) || !finite(y) {
			return fmt.Errorf("keypoint %d (%s): coordinates (%v, %v) are not finite", k, KeypointNames[k], x, y)
		}
		if v != 0 && v != 1 && v != 2 {
			return fmt.Errorf("keypoint %d (%s): visibility %v not in {0, 1, 2}", k, KeypointNames[k], v)
		}
	}
	if a.NumKeypoints < 0 || a.NumKeypoints > NumKeypoints {
		return fmt.Errorf("num_keypoints %d not in 0..%d", a.NumKeypoints, NumKeypoints)
	}
	for _, v := range a.BBox {
		if !finite(v) {
			return fmt.Errorf("bbox %v is not finite", a.BBox)
		}
	}
	if a.BBox[2] < 0 || a.BBox[3] < 0 {
		return fmt.Errorf("bbox %v has a negative width or height", a.BBox)
	}
	if !finite(a.Area) || a.Area < 0 {
		return fmt.Errorf("area %v is not a finite non-negative number", a.Area)
	}
	if a.IsCrowd != 0 && a.IsCrowd != 1 {
		return fmt.Errorf("iscrowd %d not 0 or 1", a.IsCrowd)
	}
	return nil
}

// ValidateResults checks keypoint results: 17 (x, y, score) triples of
// finite numbers and a finite non-negative score per result. Whether the
// results refer to images and categories of a dataset is checked by
// Evaluate.
func ValidateResults(rs []Result) error {
	for i := range rs {
		if err := validateResult(&rs[i]); err != nil {
			return fmt.Errorf("results[%d] (image_id %d): %w", i, rs[i].ImageID, err)
		}
	}
	return nil
}

func validateResult(r *Result) error {
	if len(r.Keypoints) != 3*NumKeypoints {
		return fmt.Errorf("keypoints has %d values, want %d (17 x, y, score triples)", len(r.Keypoints), 3*NumKeypoints)
	}
	for k := 0; k < NumKeypoints; k++ {
		x, y, s := r.Keypoints[3*k], r.Keypoints[3*k+1], r.Keypoints[3*k+2]
		if !finite(x) || !finite(y) || !finite(s) {
			return fmt.Errorf("keypoint %d (%s): (%v, %v, %v) is not finite", k, KeypointNames[k], x, y, s)
		}
	}
	if !finite(r.Score) || r.Score < 0 {
		return fmt.Errorf("score %v is not a finite non-negative number", r.Score)
	}
	return nil
}

// ValidateDetections checks detected boxes (person boxes for top-down pose
// estimation, or any category's for box evaluation): a finite bbox with
// non-negative width and height and a finite non-negative score. The error
// names the first offending detection by its index and image id.
func ValidateDetections(ds []Detection) error {
	for i := range ds {
		if err := validateDetection(&ds[i]); err != nil {
			return fmt.Errorf("detections[%d] (image_id %d): %w", i, ds[i].ImageID, err)
		}
	}
	return nil
}

func validateDetection(d *Detection) error {
	for _, v := range d.BBox {
		if !finite(v) {
			return fmt.Errorf("bbox %v is not finite", d.BBox)
		}
	}
	if d.BBox[2] < 0 || d.BBox[3] < 0 {
		return fmt.Errorf("bbox %v has a negative width or height", d.BBox)
	}
	if !finite(d.Score) || d.Score < 0 {
		return fmt.Errorf("score %v is not a finite non-negative number", d.Score)
	}
	return nil
}
