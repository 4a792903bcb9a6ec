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
func (d *Dataset) Validate() error { return d.validate(true, NumKeypoints) }

// ValidateKeypoints is Validate for a keypoint set of k keypoints (k
// triples per annotation, num_keypoints in 0..k, k names in categories
// that name keypoints). With k = 0 any number of keypoints is accepted, the
// same for the whole dataset: that of the first annotation (or, without
// annotations, of the first category naming keypoints).
func (d *Dataset) ValidateKeypoints(k int) error {
	if k < 0 {
		return fmt.Errorf("keypoint count %d is negative", k)
	}
	return d.validate(true, k)
}

// ValidateInstances checks what box evaluation relies on: everything that
// Validate checks, except that keypoints are optional (COCO's instances
// files have none): an annotation without keypoints passes, one with
// keypoints must have 17 valid triples.
func (d *Dataset) ValidateInstances() error { return d.validate(false, NumKeypoints) }

// tripleCount returns the number of keypoint triples of n values: n/3 if n
// is a positive multiple of 3, else 0.
func tripleCount(n int) int {
	if n <= 0 || n%3 != 0 {
		return 0
	}
	return n / 3
}

// keypointCount is the number of keypoints of the dataset as
// ValidateKeypoints(0) takes it: that of the first annotation with
// keypoints, else of the first category naming keypoints; 0 if neither
// says (or the first annotation's keypoints are not triples).
func (d *Dataset) keypointCount() int {
	for i := range d.Annotations {
		if n := len(d.Annotations[i].Keypoints); n > 0 {
			return tripleCount(n)
		}
	}
	for _, c := range d.Categories {
		if len(c.Keypoints) > 0 {
			return len(c.Keypoints)
		}
	}
	return 0
}

// uniformKeypoints returns the number of keypoint triples that every
// annotation has, 0 if there are none or they differ or are not triples.
func (d *Dataset) uniformKeypoints() int {
	k := 0
	for i := range d.Annotations {
		n := tripleCount(len(d.Annotations[i].Keypoints))
		if n == 0 || (k != 0 && n != k) {
			return 0
		}
		k = n
	}
	return k
}

// validate is Validate with k keypoints (0: as many as the data says),
// the keypoints optional unless needKeypoints.
func (d *Dataset) validate(needKeypoints bool, k int) error {
	if k == 0 {
		k = d.keypointCount()
	}
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
		if n := len(c.Keypoints); n != 0 && n != k {
			return fmt.Errorf("categories[%d] (id %d): %d keypoint names, want %d", i, c.ID, n, k)
		}
		for e, edge := range c.Skeleton {
			for _, kk := range edge {
				if kk < 1 || kk > len(c.Keypoints) {
					return fmt.Errorf("categories[%d] (id %d): skeleton[%d] = %v: keypoint %d not in 1..%d",
						i, c.ID, e, edge, kk, len(c.Keypoints))
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
		if err := checkAnnotation(a, needKeypoints, k); err != nil {
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

// checkLength checks that n keypoint values are k (x, y, third) triples;
// k = 0 accepts any positive multiple of 3.
func checkLength(n, k int, third string) error {
	switch {
	case k == 0 && tripleCount(n) == 0:
		return fmt.Errorf("keypoints has %d values, want a positive multiple of 3 (x, y, %s triples)", n, third)
	case k != 0 && n != 3*k:
		return fmt.Errorf("keypoints has %d values, want %d (%d x, y, %s triples)", n, 3*k, k, third)
	}
	return nil
}

// keypointName names keypoint i of a set of k in error messages: with
// COCO's name when the set has 17.
func keypointName(i, k int) string {
	if k == NumKeypoints {
		return fmt.Sprintf("keypoint %d (%s)", i, KeypointNames[i])
	}
	return fmt.Sprintf("keypoint %d", i)
}

// checkAnnotation checks one annotation's values (not its references) for
// k keypoints (0: any number of triples), with the keypoints optional
// unless needKeypoints.
func checkAnnotation(a *Annotation, needKeypoints bool, k int) error {
	if needKeypoints || len(a.Keypoints) != 0 {
		if err := checkLength(len(a.Keypoints), k, "v"); err != nil {
			return err
		}
	}
	nk := len(a.Keypoints) / 3
	for i := 0; i < nk; i++ {
		x, y, v := a.Keypoints[3*i], a.Keypoints[3*i+1], a.Keypoints[3*i+2]
		if !finite(x) || !finite(y) {
			return fmt.Errorf("%s: coordinates (%v, %v) are not finite", keypointName(i, nk), x, y)
		}
		if v != 0 && v != 1 && v != 2 {
			return fmt.Errorf("%s: visibility %v not in {0, 1, 2}", keypointName(i, nk), v)
		}
	}
	maxLabelled := k
	if len(a.Keypoints) != 0 || k == 0 {
		maxLabelled = nk
	}
	if a.NumKeypoints < 0 || a.NumKeypoints > maxLabelled {
		return fmt.Errorf("num_keypoints %d not in 0..%d", a.NumKeypoints, maxLabelled)
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
func ValidateResults(rs []Result) error { return ValidateKeypointResults(rs, NumKeypoints) }

// ValidateKeypointResults is ValidateResults for a keypoint set of k
// keypoints: k triples per result. With k = 0 any number is accepted, the
// same for every result: that of the first.
func ValidateKeypointResults(rs []Result, k int) error {
	if k < 0 {
		return fmt.Errorf("keypoint count %d is negative", k)
	}
	if k == 0 && len(rs) > 0 {
		k = tripleCount(len(rs[0].Keypoints))
	}
	for i := range rs {
		if err := validateResult(&rs[i], k); err != nil {
			return fmt.Errorf("results[%d] (image_id %d): %w", i, rs[i].ImageID, err)
		}
	}
	return nil
}

// uniformResultKeypoints returns the number of keypoint triples that every
// result has, 0 if there are none or they differ or are not triples.
func uniformResultKeypoints(rs []Result) int {
	k := 0
	for i := range rs {
		n := tripleCount(len(rs[i].Keypoints))
		if n == 0 || (k != 0 && n != k) {
			return 0
		}
		k = n
	}
	return k
}

// validateResult checks one result with k keypoints (0: any number of
// triples).
func validateResult(r *Result, k int) error {
	if err := checkLength(len(r.Keypoints), k, "score"); err != nil {
		return err
	}
	nk := len(r.Keypoints) / 3
	for i := 0; i < nk; i++ {
		x, y, s := r.Keypoints[3*i], r.Keypoints[3*i+1], r.Keypoints[3*i+2]
		if !finite(x) || !finite(y) || !finite(s) {
			return fmt.Errorf("%s: (%v, %v, %v) is not finite", keypointName(i, nk), x, y, s)
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
