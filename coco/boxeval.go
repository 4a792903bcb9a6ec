package coco

import (
	"fmt"
	"strings"
)

// Box evaluation parameters: pycocotools' Params(iouType="bbox").
const (
	// BoxMaxDets is the number of highest-scoring detections per image and
	// category that the box evaluation considers (the largest of its
	// maxDets 1, 10, 100).
	BoxMaxDets  = 100
	numBoxAreas = 4 // all, small, medium, large
)

// boxMaxDets are COCOeval's maxDets for boxes: AR is reported for each,
// AP for the last.
var boxMaxDets = []int{1, 10, BoxMaxDets}

// boxAreaRanges are the object area ranges of the box evaluation, in the
// order all, small, medium, large: [0, 1e5^2], [0, 32^2], [32^2, 96^2],
// [96^2, 1e5^2], closed at both ends.
var boxAreaRanges = [numBoxAreas][2]float64{{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}}

// boxAreaLabels name boxAreaRanges as COCOeval prints them.
var boxAreaLabels = [numBoxAreas]string{"all", "small", "medium", "large"}

// BoxEvalResult is the outcome of EvaluateBoxes.
type BoxEvalResult struct {
	// Stats are COCOeval's 12 box summary numbers in its order: AP, AP50,
	// AP75, AP small, AP medium, AP large (maxDets 100), AR with maxDets 1,
	// 10 and 100, AR small, AR medium, AR large (maxDets 100). AP and AR are
	// averaged over IoU thresholds .50:.05:.95 unless named. -1 marks a
	// number without ground truth to measure it.
	Stats [12]float64

	// Images and Categories are the numbers of images and categories of the
	// ground truth, which are all evaluated.
	Images, Categories int
	// GroundTruth counts the annotations and IgnoredGroundTruth those of
	// them that COCOeval ignores in every area range (crowd regions).
	GroundTruth, IgnoredGroundTruth int
	// Results counts the detections given and EvaluatedResults those left
	// after keeping the BoxMaxDets best per image and category.
	Results, EvaluatedResults int
}

// Summary returns the 12 lines that COCOeval's summarize() prints for
// iouType "bbox", byte for byte, each ending in a newline.
func (r *BoxEvalResult) Summary() string {
	p := newParams(nil)
	all := fmt.Sprintf("%0.2f:%0.2f", p.iouThrs[0], p.iouThrs[numThrs-1])
	last := len(boxMaxDets) - 1
	rows := [12]struct {
		iou        string
		area, dets int
	}{
		{all, 0, last}, {"0.50", 0, last}, {"0.75", 0, last}, {all, 1, last}, {all, 2, last}, {all, 3, last},
		{all, 0, 0}, {all, 0, 1}, {all, 0, last}, {all, 1, last}, {all, 2, last}, {all, 3, last},
	}
	var b strings.Builder
	for i, row := range rows {
		b.WriteString(summaryLine(i < 6, row.iou, boxAreaLabels[row.area], boxMaxDets[row.dets], r.Stats[i]))
		b.WriteByte('\n')
	}
	return b.String()
}

// EvaluateBoxes scores detections against ground truth boxes exactly as
// pycocotools' COCOeval(iouType="bbox") with default parameters: every
// image and category of gt (useCats 1), the box IoU of pycocotools' mask
// API, the best 100 detections per image and category, IoU thresholds
// .50:.05:.95, area ranges all/small/medium/large, maxDets 1, 10, 100, 101
// recall thresholds, with the same float64 arithmetic in the same order.
//
// As in pycocotools, a detection's area is its box's width*height (loadRes),
// a ground truth's area is its "area" field (not its box's), and ground
// truth is ignored when it is a crowd region (an "ignore" key is not read:
// COCOeval overwrites it) or its area is outside the range. A crowd
// region's IoU with a detection is the intersection over the detection's
// area, and a crowd region can match any number of detections.
//
// Where pycocotools would silently ignore or misread input, EvaluateBoxes
// returns an error instead: a gt that fails ValidateInstances, detections
// that fail ValidateDetections, detections on an image or of a category
// the ground truth does not have. An empty detection list is allowed (AP
// and AR are 0 wherever there is ground truth). Images are evaluated in
// parallel; the result does not depend on the number of threads.
func EvaluateBoxes(gt *Dataset, dt []Detection) (*BoxEvalResult, error) {
	if err := gt.ValidateInstances(); err != nil {
		return nil, fmt.Errorf("coco: evaluate boxes: ground truth: %w", err)
	}
	if err := ValidateDetections(dt); err != nil {
		return nil, fmt.Errorf("coco: evaluate boxes: %w", err)
	}
	e := &evaluator{p: newParams(nil), gt: gt, boxes: dt, box: true}
	if err := e.group(); err != nil {
		return nil, fmt.Errorf("coco: evaluate boxes: %w", err)
	}
	e.order()
	e.evaluateImages()
	return e.boxResult(), nil
}

// boxIoU is the IoU of detection box d and ground truth box g (x, y, w, h)
// as pycocotools' maskApi.c bbIou computes it, operation for operation in
// float64: for a crowd region the union is the detection's area. The
// explicit conversions keep the compiler from fusing a product and a sum
// into an FMA, which C (and numpy) do not do here.
func boxIoU(d, g [4]float64, crowd bool) float64 {
	w := min(d[2]+d[0], g[2]+g[0]) - max(d[0], g[0])
	if w <= 0 {
		return 0
	}
	h := min(d[3]+d[1], g[3]+g[1]) - max(d[1], g[1])
	if h <= 0 {
		return 0
	}
	i := float64(w * h)
	da := float64(d[2] * d[3])
	if crowd {
		return i / da
	}
	ga := float64(g[2] * g[3])
	return i / (float64(da+ga) - i)
}

// computeIoU fills s.oks [D][G] with the box IoU of the results (by
// descending score) and the ground truth in s.gts (file order), as
// pycocotools' computeIoU.
func (e *evaluator) computeIoU(s *imageScratch, res []int32) {
	D, G := len(res), len(s.gts)
	s.oks = grow(s.oks, D*G)
	for d, ri := range res {
		db := e.boxes[ri].BBox
		for gi, g := range s.gts {
			s.oks[d*G+gi] = boxIoU(db, g.a.BBox, g.a.IsCrowd != 0)
		}
	}
}

// evaluateBoxUnit evaluates one (category, image) unit for every area
// range, as evaluateImg does for iouType "bbox".
func (e *evaluator) evaluateBoxUnit(s *imageScratch, u int) {
	gtIdx := e.gtIdx[e.gtOff[u]:e.gtOff[u+1]]
	pos0, pos1 := e.posOff[u], e.posOff[u+1]
	res := e.posRes[pos0:pos1]
	G, D := len(gtIdx), len(res)
	if G == 0 && D == 0 {
		return
	}
	s.gts = s.gts[:0]
	for _, j := range gtIdx {
		s.gts = append(s.gts, gtInfo{a: &e.gt.Annotations[j]})
	}
	if G > 0 && D > 0 {
		e.computeIoU(s, res)
	}
	s.dtArea = grow(s.dtArea, D)
	for d, ri := range res {
		bb := e.boxes[ri].BBox
		s.dtArea[d] = bb[2] * bb[3] // loadRes
	}
	s.ign = grow(s.ign, G)
	s.outside = grow(s.outside, D)
	rank := e.rank[pos0:pos1]
	for v, rng := range boxAreaRanges {
		n := int32(0)
		for gi, g := range s.gts {
			s.ign[gi] = g.a.IsCrowd != 0 || g.a.Area < rng[0] || g.a.Area > rng[1]
			if !s.ign[gi] {
				n++
			}
		}
		for d, a := range s.dtArea[:D] {
			s.outside[d] = a < rng[0] || a > rng[1]
		}
		e.npig[v][u] = n
		e.match(s, s.oks, D, G, rank, &e.status[v])
	}
}

// boxResult computes the box summary numbers and counts.
func (e *evaluator) boxResult() *BoxEvalResult {
	tb := e.accumulate(boxMaxDets)
	res := &BoxEvalResult{
		Images: e.nImg, Categories: e.nCat,
		GroundTruth: len(e.gt.Annotations), Results: len(e.boxes),
		EvaluatedResults: len(e.posRes),
	}
	for i := range e.gt.Annotations {
		if e.gt.Annotations[i].IsCrowd != 0 {
			res.IgnoredGroundTruth++
		}
	}
	last := len(boxMaxDets) - 1
	t50, t75 := tb.thrIndex(.5), tb.thrIndex(.75)
	res.Stats = [12]float64{
		tb.meanP(0, last, -1), tb.meanP(0, last, t50), tb.meanP(0, last, t75),
		tb.meanP(1, last, -1), tb.meanP(2, last, -1), tb.meanP(3, last, -1),
		tb.meanR(0, 0, -1), tb.meanR(0, 1, -1), tb.meanR(0, last, -1),
		tb.meanR(1, last, -1), tb.meanR(2, last, -1), tb.meanR(3, last, -1),
	}
	return res
}
