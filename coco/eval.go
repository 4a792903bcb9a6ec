package coco

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Evaluation parameters: pycocotools' Params(iouType="keypoints").
const (
	// MaxDets is the number of highest-scoring results per image and
	// category that the evaluation considers.
	MaxDets  = 20
	numThrs  = 10  // OKS thresholds .50:.05:.95
	numRec   = 101 // recall thresholds 0:.01:1
	numAreas = 3   // all, medium, large
)

// areaRanges are the object area ranges of the keypoint evaluation, in the
// order all, medium, large: [0, 1e5^2], [32^2, 96^2], [96^2, 1e5^2].
var areaRanges = [numAreas][2]float64{{0, 1e10}, {32 * 32, 96 * 96}, {96 * 96, 1e10}}

// areaLabels name areaRanges as COCOeval prints them.
var areaLabels = [numAreas]string{"all", "medium", "large"}

// params are the float64 tables COCOeval computes with numpy.
type params struct {
	iouThrs [numThrs]float64 // np.linspace(.5, .95, 10)
	recThrs [numRec]float64  // np.linspace(0, 1, 101)
	vars    []float64        // per keypoint: (sigmas * 2)**2
	iouCap  float64          // 1 - 1e-10, the upper bound of the matching threshold
}

// newParams returns the parameters for keypoints with the given OKS sigmas
// (none for boxes).
func newParams(sigmas []float64) *params {
	p := &params{vars: make([]float64, len(sigmas))}
	copy(p.iouThrs[:], linspace(.5, .95, numThrs))
	copy(p.recThrs[:], linspace(0, 1, numRec))
	for k, s := range sigmas {
		s2 := s * 2
		p.vars[k] = s2 * s2 // (sigmas * 2)**2
	}
	one, tiny := 1.0, 1e-10
	p.iouCap = one - tiny
	return p
}

// EvalOptions are the parameters of EvaluateWith.
type EvalOptions struct {
	// Sigmas are the per-keypoint OKS constants of the keypoint set, one
	// per keypoint, each finite and positive: their number is the number of
	// keypoints that every ground truth person and every result must have.
	// Nil means COCO's 17 Sigmas. pycocotools takes them as
	// COCOeval.params.kpt_oks_sigmas.
	Sigmas []float64
}

// KeypointCountError reports ground truth or results whose people have a
// number of keypoints that the OKS sigmas do not cover: not 17 when no
// sigmas are given (COCO's), or not as many as the sigmas given.
type KeypointCountError struct {
	What      string // "ground truth" or "results"
	Keypoints int    // keypoints per person in the data
	Sigmas    int    // number of sigmas given, 0 for none
}

// Error implements error.
func (e *KeypointCountError) Error() string {
	verb := "have"
	if e.What == "ground truth" {
		verb = "has"
	}
	kp := "keypoints"
	if e.Keypoints == 1 {
		kp = "keypoint"
	}
	if e.Sigmas == 0 {
		return fmt.Sprintf("%s %s %d %s: give their OKS sigmas", e.What, verb, e.Keypoints, kp)
	}
	sg := "OKS sigmas are"
	if e.Sigmas == 1 {
		sg = "OKS sigma is"
	}
	return fmt.Sprintf("%s %s %d %s, but %d %s given", e.What, verb, e.Keypoints, kp, e.Sigmas, sg)
}

// EvalResult is the outcome of Evaluate and EvaluateWith.
type EvalResult struct {
	// Stats are COCOeval's 10 keypoint summary numbers in its order: AP,
	// AP50, AP75, AP medium, AP large, AR, AR50, AR75, AR medium, AR large
	// (AP and AR averaged over OKS thresholds .50:.05:.95 unless named;
	// maxDets 20). -1 marks a number without ground truth to measure it.
	Stats [10]float64

	// KeypointAP and KeypointAR are per-keypoint AP and AR (OKS .50:.05:.95,
	// area all, maxDets 20), one per keypoint of the set (17 for COCO's), -1
	// where no ground truth person has that keypoint labelled. For keypoint
	// k they are exactly what COCOeval reports (Stats[0] and Stats[5]) on
	// the data reduced to keypoint k: every person keeps only keypoint k,
	// with its sigma, so the similarity of a result and a ground truth
	// person is that keypoint's OKS term exp(-d^2 / (2 s^2 k^2)) (d
	// measured to the ground truth point if it is labelled, else to the box
	// expanded as COCOeval does for people without labelled keypoints), and
	// a person whose keypoint k is unlabelled (v = 0) is ignored, as
	// COCOeval ignores people with num_keypoints 0. Crowd regions are ignored as usual; the scores, the
	// maxDets cut and the matching rules are unchanged.
	KeypointAP []float64
	KeypointAR []float64

	// Images and Categories are the numbers of images and categories of the
	// ground truth, which are all evaluated.
	Images, Categories int
	// GroundTruth counts the annotations and IgnoredGroundTruth those of
	// them that COCOeval ignores (crowd regions, or num_keypoints 0).
	GroundTruth, IgnoredGroundTruth int
	// Results counts the results given and EvaluatedResults those left
	// after keeping the MaxDets best per image and category.
	Results, EvaluatedResults int
}

// summaryLine formats one of COCOeval's summary lines.
func summaryLine(ap bool, iou, area string, maxDets int, v float64) string {
	title, typ := "Average Recall", "(AR)"
	if ap {
		title, typ = "Average Precision", "(AP)"
	}
	return fmt.Sprintf(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f", title, typ, iou, area, maxDets, v)
}

// Summary returns the 10 lines that COCOeval's summarize() prints for
// keypoints, byte for byte, each ending in a newline.
func (r *EvalResult) Summary() string {
	p := newParams(nil)
	all := fmt.Sprintf("%0.2f:%0.2f", p.iouThrs[0], p.iouThrs[numThrs-1])
	rows := [10]struct {
		iou  string
		area int
	}{{all, 0}, {"0.50", 0}, {"0.75", 0}, {all, 1}, {all, 2}}
	for i := 5; i < 10; i++ {
		rows[i] = rows[i-5]
	}
	var b strings.Builder
	for i, row := range rows {
		b.WriteString(summaryLine(i < 5, row.iou, areaLabels[row.area], MaxDets, r.Stats[i]))
		b.WriteByte('\n')
	}
	return b.String()
}

// Detection status of one evaluated result at one threshold.
const (
	stIgnored uint8 = iota // matched to an ignored ground truth, or unmatched outside the area range
	stTP
	stFP
)

// Similarity variants evaluated per image: the three area ranges with the
// full OKS, then the single-keypoint similarities (area all), one per
// keypoint from variantKpt on.
const variantKpt = numAreas

// evaluator holds the per-image grouping and the outputs of Evaluate and
// EvaluateBoxes. The two share everything but the similarity (OKS or box
// IoU), the variants evaluated per unit, the number of results kept per
// unit and the maxDets values accumulated.
type evaluator struct {
	p     *params
	gt    *Dataset
	dt    []Result    // keypoint results (Evaluate)
	boxes []Detection // box results (EvaluateBoxes, with box set)
	box   bool
	nk    int       // keypoints per person (keypoint evaluation)
	score []float64 // each result's score, set by group

	nImg   int
	nCat   int
	nUnits int // units are (category, image) pairs, u = k*nImg + i

	gtOff, gtIdx []int32 // annotations of unit u: gtIdx[gtOff[u]:gtOff[u+1]], file order
	dtOff, dtIdx []int32 // results of unit u: dtIdx[dtOff[u]:dtOff[u+1]], file order

	// Evaluated results: unit u has min(maxDet(), its results) positions
	// posOff[u]..posOff[u+1], highest score first. A category's positions
	// are contiguous; rank maps a position to its place in the category's
	// global score order (the order accumulate() walks).
	posOff []int32
	posRes []int32 // result index at each position
	rank   []int32
	catPos []int32 // positions of category k: catPos[k]..catPos[k+1]
	slot   []int32 // by rank: the position's place in its unit (0 = best)

	status [][numThrs][]uint8 // [variant][threshold], by rank
	npig   [][]int32          // [variant]: non-ignored ground truth per unit
}

// maxDet is the number of results per unit that are evaluated (the last
// of COCOeval's maxDets).
func (e *evaluator) maxDet() int {
	if e.box {
		return BoxMaxDets
	}
	return MaxDets
}

// numVariants is the number of variants evaluated per unit.
func (e *evaluator) numVariants() int {
	if e.box {
		return numBoxAreas
	}
	return numAreas + e.nk
}

// resultsName names the results in error messages.
func (e *evaluator) resultsName() string {
	if e.box {
		return "detections"
	}
	return "results"
}

// Evaluate scores COCO keypoint results against ground truth exactly as
// pycocotools' COCOeval(iouType="keypoints") with default parameters: every
// image and category of gt, OKS with the COCO sigmas, maxDets 20, OKS
// thresholds .50:.05:.95, area ranges all/medium/large, 101 recall
// thresholds, with the same float64 arithmetic in the same order, so that
// Stats match pycocotools' to the last bit. The one operation that cannot be
// copied is numpy's exp (the C library's): Evaluate uses a correctly
// rounded exp, which glibc's matches for all but about 0.1% of arguments,
// so an OKS value may rarely differ in its last bit (which changes the
// Stats only if it sits exactly on a threshold). It also computes
// per-keypoint AP and AR (see EvalResult).
//
// Where pycocotools would silently ignore or misread input, Evaluate
// returns an error instead: a gt that fails Validate, results that fail
// ValidateResults, results for an image or category the ground truth does
// not have. An empty result list is allowed (AP and AR are 0 wherever there
// is ground truth). Images are evaluated in parallel; the result does not
// depend on the number of threads. Ground truth or results whose people all
// have another number of keypoints than 17 get a *KeypointCountError: see
// EvaluateWith for other keypoint sets.
func Evaluate(gt *Dataset, dt []Result) (*EvalResult, error) {
	return EvaluateWith(gt, dt, EvalOptions{})
}

// EvaluateWith is Evaluate with the given options: for a keypoint set of K
// keypoints other than COCO's, o.Sigmas holds their K OKS sigmas, and
// EvaluateWith computes what COCOeval computes with
// params.kpt_oks_sigmas = np.array(o.Sigmas): OKS with variances
// (2 sigma)^2, and K per-keypoint AP and AR. Every ground truth annotation
// and every result must have K keypoint triples (ValidateKeypoints and
// ValidateKeypointResults with K); data whose people all have another count
// get a *KeypointCountError naming it. Nil o.Sigmas is Evaluate.
func EvaluateWith(gt *Dataset, dt []Result, o EvalOptions) (*EvalResult, error) {
	sigmas := o.Sigmas
	if sigmas == nil {
		sigmas = Sigmas[:]
	} else if err := checkSigmas(sigmas); err != nil {
		return nil, fmt.Errorf("coco: evaluate: %w", err)
	}
	k := len(sigmas)
	if n := gt.uniformKeypoints(); n != 0 && n != k {
		return nil, fmt.Errorf("coco: evaluate: %w", &KeypointCountError{What: "ground truth", Keypoints: n, Sigmas: len(o.Sigmas)})
	}
	if n := uniformResultKeypoints(dt); n != 0 && n != k {
		return nil, fmt.Errorf("coco: evaluate: %w", &KeypointCountError{What: "results", Keypoints: n, Sigmas: len(o.Sigmas)})
	}
	if err := gt.validate(true, k); err != nil {
		return nil, fmt.Errorf("coco: evaluate: ground truth: %w", err)
	}
	if err := ValidateKeypointResults(dt, k); err != nil {
		return nil, fmt.Errorf("coco: evaluate: %w", err)
	}
	e := &evaluator{p: newParams(sigmas), gt: gt, dt: dt, nk: k}
	if err := e.group(); err != nil {
		return nil, fmt.Errorf("coco: evaluate: %w", err)
	}
	e.order()
	e.evaluateImages()
	return e.keypointResult(), nil
}

// checkSigmas checks OKS sigmas given in EvalOptions.
func checkSigmas(sigmas []float64) error {
	if len(sigmas) == 0 {
		return fmt.Errorf("no OKS sigmas given (nil for COCO's)")
	}
	for i, s := range sigmas {
		if !finite(s) || s <= 0 {
			return fmt.Errorf("OKS sigma %d is %v, want a finite positive number", i, s)
		}
	}
	return nil
}

// group sorts annotations and results into (category, image) units.
func (e *evaluator) group() error {
	imgIDs := make([]int64, len(e.gt.Images))
	for i, im := range e.gt.Images {
		imgIDs[i] = im.ID
	}
	slices.Sort(imgIDs) // ids are unique (Validate)
	catIDs := make([]int, len(e.gt.Categories))
	for i, c := range e.gt.Categories {
		catIDs[i] = c.ID
	}
	slices.Sort(catIDs)
	e.nImg, e.nCat = len(imgIDs), len(catIDs)
	e.nUnits = e.nImg * e.nCat
	imgIdx := make(map[int64]int32, len(imgIDs))
	for i, id := range imgIDs {
		imgIdx[id] = int32(i)
	}
	catIdx := make(map[int]int32, len(catIDs))
	for k, id := range catIDs {
		catIdx[id] = int32(k)
	}
	unit := func(img int64, cat int) (int32, bool) {
		i, ok1 := imgIdx[img]
		k, ok2 := catIdx[cat]
		return k*int32(e.nImg) + i, ok1 && ok2
	}
	gtUnit := make([]int32, len(e.gt.Annotations))
	for j := range e.gt.Annotations {
		a := &e.gt.Annotations[j]
		gtUnit[j], _ = unit(a.ImageID, a.CategoryID) // Validate checked both
	}
	n := len(e.dt)
	if e.box {
		n = len(e.boxes)
	}
	dtUnit := make([]int32, n)
	e.score = make([]float64, n)
	for j := range n {
		var img int64
		var cat int
		if e.box {
			b := &e.boxes[j]
			img, cat, e.score[j] = b.ImageID, b.CategoryID, b.Score
		} else {
			r := &e.dt[j]
			img, cat, e.score[j] = r.ImageID, r.CategoryID, r.Score
		}
		u, ok := unit(img, cat)
		if !ok {
			if _, isImg := imgIdx[img]; !isImg {
				return fmt.Errorf("%s[%d]: image_id %d is not an image of the ground truth", e.resultsName(), j, img)
			}
			return fmt.Errorf("%s[%d] (image_id %d): category_id %d is not a category of the ground truth", e.resultsName(), j, img, cat)
		}
		dtUnit[j] = u
	}
	e.gtOff, e.gtIdx = bucket(gtUnit, e.nUnits)
	e.dtOff, e.dtIdx = bucket(dtUnit, e.nUnits)
	return nil
}

// bucket is a stable counting sort of item indices by unit.
func bucket(unitOf []int32, nUnits int) (off, idx []int32) {
	off = make([]int32, nUnits+1)
	for _, u := range unitOf {
		off[u+1]++
	}
	for u := 0; u < nUnits; u++ {
		off[u+1] += off[u]
	}
	next := slices.Clone(off[:nUnits])
	idx = make([]int32, len(unitOf))
	for j, u := range unitOf {
		idx[next[u]] = int32(j)
		next[u]++
	}
	return off, idx
}

// byScore orders result indices by descending score; ties keep their order
// only under a stable sort (np.argsort(-scores, kind='mergesort')).
func (e *evaluator) byScore(a, b int32) int {
	return cmp.Compare(e.score[b], e.score[a])
}

// order picks each unit's evaluated results (stable sort by descending
// score, first maxDet()) and ranks them within their category as
// accumulate() orders them: a stable sort by descending score of the
// units' lists concatenated in image order. For a smaller maxDets m,
// accumulate() keeps the positions whose place in their unit is below m:
// their order under the same stable sort is this one with the others left
// out.
func (e *evaluator) order() {
	maxDet := int32(e.maxDet())
	e.posOff = make([]int32, e.nUnits+1)
	for u := 0; u < e.nUnits; u++ {
		e.posOff[u+1] = e.posOff[u] + min(e.dtOff[u+1]-e.dtOff[u], maxDet)
	}
	nPos := int(e.posOff[e.nUnits])
	e.posRes = make([]int32, nPos)
	for u := 0; u < e.nUnits; u++ {
		all := slices.Clone(e.dtIdx[e.dtOff[u]:e.dtOff[u+1]])
		slices.SortStableFunc(all, e.byScore)
		copy(e.posRes[e.posOff[u]:e.posOff[u+1]], all)
	}
	e.catPos = make([]int32, e.nCat+1)
	for k := 0; k <= e.nCat; k++ {
		e.catPos[k] = e.posOff[k*e.nImg]
	}
	e.rank = make([]int32, nPos)
	e.slot = make([]int32, nPos)
	perm := make([]int32, nPos)
	for j := range perm {
		perm[j] = int32(j)
	}
	for k := 0; k < e.nCat; k++ {
		seg := perm[e.catPos[k]:e.catPos[k+1]]
		// Ties broken by position make the unstable sort equal the stable one.
		slices.SortFunc(seg, func(a, b int32) int {
			if c := e.byScore(e.posRes[a], e.posRes[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for j, pos := range seg {
			e.rank[pos] = e.catPos[k] + int32(j)
		}
	}
	for u := 0; u < e.nUnits; u++ {
		for pos := e.posOff[u]; pos < e.posOff[u+1]; pos++ {
			e.slot[e.rank[pos]] = pos - e.posOff[u]
		}
	}
	nv := e.numVariants()
	e.status = make([][numThrs][]uint8, nv)
	e.npig = make([][]int32, nv)
	for v := range e.status {
		for t := range e.status[v] {
			e.status[v][t] = make([]uint8, nPos)
		}
		e.npig[v] = make([]int32, e.nUnits)
	}
}

// parallel runs work(w, i) for i in [0, n) on GOMAXPROCS workers; each
// worker w gets its own index for scratch space. Items are independent, so
// the outcome does not depend on the scheduling.
func parallel(n, chunk int, work func(w, i int)) int {
	workers := max(1, min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					work(w, i)
				}
			}
		}()
	}
	wg.Wait()
	return workers
}

// imageScratch is one worker's memory for evaluating units.
type imageScratch struct {
	ks      []float64 // [k][d][g] single-keypoint similarities
	oks     []float64 // [d][g]
	terms   []float64 // one OKS term per keypoint
	gts     []gtInfo
	outside []bool // per evaluated result: area outside the range
	dtArea  []float64
	ign     []bool
	order   []int
	matched []bool
	// match's copies of the ground truth flags and similarities in
	// matching order, and each result's best similarity.
	ordIgn, ordCrowd, ordID0 []bool
	simO, best               []float64
}

// gtInfo is what the OKS needs of one ground truth annotation.
type gtInfo struct {
	a              *Annotation
	visible        int // keypoints with v > 0
	x0, x1, y0, y1 float64
	areaEps        float64 // area + np.spacing(1)
}

// evaluateImages runs computeOks (computeIoU) and evaluateImg on every
// unit.
func (e *evaluator) evaluateImages() {
	scratch := make([]imageScratch, runtime.GOMAXPROCS(0))
	unit := e.evaluateUnit
	if e.box {
		unit = e.evaluateBoxUnit
	}
	parallel(e.nUnits, 64, func(w, u int) { unit(&scratch[w], u) })
}

// computeOKS fills s.oks [D][G] (results by descending score, ground truth
// in file order) and s.ks [k][D][G] as pycocotools' computeOks, for the
// given results and annotations. s.gts must hold the annotations.
func (e *evaluator) computeOKS(s *imageScratch, res []int32) {
	D, G := len(res), len(s.gts)
	s.oks = grow(s.oks, D*G)
	K := e.nk
	s.ks = grow(s.ks, K*D*G)
	s.terms = grow(s.terms, K)
	vars := e.p.vars[:K]
	for gi := range s.gts {
		g := &s.gts[gi]
		gk := g.a.Keypoints
		for d, ri := range res {
			dk := e.dt[ri].Keypoints
			n := 0
			for k := 0; k < K; k++ {
				xd, yd := dk[3*k], dk[3*k+1]
				var dx, dy float64
				if gk[3*k+2] > 0 {
					dx, dy = xd-gk[3*k], yd-gk[3*k+1]
				} else { // distance to the box expanded by 2x
					dx = max(0, g.x0-xd) + max(0, xd-g.x1)
					dy = max(0, g.y0-yd) + max(0, yd-g.y1)
				}
				ek := (float64(dx*dx) + float64(dy*dy)) / vars[k] / g.areaEps / 2
				ks := expCR(-ek)
				s.ks[(k*D+d)*G+gi] = ks
				if g.visible == 0 || gk[3*k+2] > 0 {
					s.terms[n] = ks
					n++
				}
			}
			s.oks[d*G+gi] = pairwiseSum(s.terms[:n]) / float64(n)
		}
	}
}

// grow returns a slice of length n, reusing buf's memory when it can.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// evaluateUnit evaluates one (category, image) unit for every variant.
func (e *evaluator) evaluateUnit(s *imageScratch, u int) {
	gtIdx := e.gtIdx[e.gtOff[u]:e.gtOff[u+1]]
	pos0, pos1 := e.posOff[u], e.posOff[u+1]
	res := e.posRes[pos0:pos1]
	G, D := len(gtIdx), len(res)
	if G == 0 && D == 0 {
		return
	}
	s.gts = s.gts[:0]
	for _, j := range gtIdx {
		a := &e.gt.Annotations[j]
		bb := a.BBox
		g := gtInfo{a: a, areaEps: a.Area + eps,
			x0: bb[0] - bb[2], x1: bb[0] + float64(bb[2]*2),
			y0: bb[1] - bb[3], y1: bb[1] + float64(bb[3]*2)}
		for k := 0; k < e.nk; k++ {
			if a.Keypoints[3*k+2] > 0 {
				g.visible++
			}
		}
		s.gts = append(s.gts, g)
	}
	if G > 0 && D > 0 {
		e.computeOKS(s, res)
	}
	s.dtArea = grow(s.dtArea, D)
	for d, ri := range res {
		kp := e.dt[ri].Keypoints
		x0, x1, y0, y1 := kp[0], kp[0], kp[1], kp[1]
		for k := 1; k < e.nk; k++ {
			x0, x1 = min(x0, kp[3*k]), max(x1, kp[3*k])
			y0, y1 = min(y0, kp[3*k+1]), max(y1, kp[3*k+1])
		}
		s.dtArea[d] = (x1 - x0) * (y1 - y0) // loadRes
	}
	s.ign = grow(s.ign, G)
	s.outside = grow(s.outside, D)
	rank := e.rank[pos0:pos1]
	for v := 0; v < e.numVariants(); v++ {
		sim := s.oks
		if v < variantKpt {
			rng := areaRanges[v]
			for gi, g := range s.gts {
				s.ign[gi] = g.a.IsCrowd != 0 || g.a.NumKeypoints == 0 || g.a.Area < rng[0] || g.a.Area > rng[1]
			}
			for d, a := range s.dtArea[:D] {
				s.outside[d] = a < rng[0] || a > rng[1]
			}
		} else {
			k := v - variantKpt
			for gi, g := range s.gts {
				s.ign[gi] = g.a.IsCrowd != 0 || g.a.Keypoints[3*k+2] == 0
			}
			// A single point has area 0, inside the range "all".
			clear(s.outside[:D])
			if G > 0 && D > 0 {
				sim = s.ks[k*D*G : (k+1)*D*G]
			}
		}
		n := int32(0)
		for _, ig := range s.ign[:G] {
			if !ig {
				n++
			}
		}
		e.npig[v][u] = n
		e.match(s, sim, D, G, rank, &e.status[v])
	}
}

// match is evaluateImg's greedy matching for one unit and one variant at
// every threshold, writing each result's status at its rank.
func (e *evaluator) match(s *imageScratch, sim []float64, D, G int, rank []int32, out *[numThrs][]uint8) {
	// Ground truth by ignore flag, ignored last (stable), with what the
	// loop needs laid out in that order.
	s.order = s.order[:0]
	for pass := 0; pass < 2; pass++ {
		for gi := 0; gi < G; gi++ {
			if s.ign[gi] == (pass == 1) {
				s.order = append(s.order, gi)
			}
		}
	}
	s.ordIgn, s.ordCrowd, s.ordID0 = grow(s.ordIgn, G), grow(s.ordCrowd, G), grow(s.ordID0, G)
	for oi, gi := range s.order {
		s.ordIgn[oi] = s.ign[gi]
		s.ordCrowd[oi] = s.gts[gi].a.IsCrowd != 0
		// pycocotools records a match as the gt's id and tests it against
		// 0, so a match to an id-0 person looks unmatched.
		s.ordID0[oi] = s.gts[gi].a.ID == 0
	}
	s.simO, s.best = grow(s.simO, D*G), grow(s.best, D)
	for d := 0; d < D; d++ {
		best := math.Inf(-1)
		for oi, gi := range s.order {
			v := sim[d*G+gi]
			s.simO[d*G+oi] = v
			best = max(best, v)
		}
		s.best[d] = best
	}
	s.matched = grow(s.matched, G)
	for t, thr := range e.p.iouThrs {
		clear(s.matched)
		st := out[t]
		thr = min(thr, e.p.iouCap)
		for d := 0; d < D; d++ {
			m := -1
			if s.best[d] >= thr { // otherwise nothing can match
				iou := thr
				row := s.simO[d*G : (d+1)*G]
				for oi, v := range row {
					// A matched ground truth is taken unless it is a crowd.
					if s.matched[oi] && !s.ordCrowd[oi] {
						continue
					}
					// Matched to a regular one, ignored ones cannot replace it.
					if m > -1 && !s.ordIgn[m] && s.ordIgn[oi] {
						break
					}
					if v < iou {
						continue
					}
					iou, m = v, oi
				}
			}
			var status uint8
			switch {
			case m > -1 && !s.ordID0[m]:
				s.matched[m] = true
				status = stTP
				if s.ordIgn[m] {
					status = stIgnored
				}
			case m > -1: // matched to id 0: counts as unmatched, but dtIg holds
				s.matched[m] = true
				status = stFP
				if s.ordIgn[m] || s.outside[d] {
					status = stIgnored
				}
			default:
				status = stFP
				if s.outside[d] {
					status = stIgnored
				}
			}
			st[rank[d]] = status
		}
	}
}

// tables are COCOeval.accumulate's precision and recall, for every variant
// v (area range, or single keypoint) and maxDets index m: prec[v][m][t][r][k]
// and rec[v][m][t][k], -1 where category k has no ground truth counted.
type tables struct {
	M, K      int // maxDets values, categories
	prec, rec []float64
	thrs      *[numThrs]float64
	vals      []float64 // meanP's and meanR's scratch
}

// accumulate computes precision and recall per variant, maxDets value,
// threshold and category as COCOeval.accumulate does: for maxDets m, each
// image's best m evaluated results (of the maxDet() matched per unit).
func (e *evaluator) accumulate(maxDets []int) *tables {
	V, M, T, R, K := e.numVariants(), len(maxDets), numThrs, numRec, e.nCat
	tb := &tables{M: M, K: K, thrs: &e.p.iouThrs,
		prec: make([]float64, V*M*T*R*K), // [v][m][t][r][k]
		rec:  make([]float64, V*M*T*K),   // [v][m][t][k]
	}
	prec, rec := tb.prec, tb.rec
	for i := range prec {
		prec[i] = -1
	}
	for i := range rec {
		rec[i] = -1
	}
	npig := make([]int, V*K)
	for v := 0; v < V; v++ {
		for k := 0; k < K; k++ {
			for u := k * e.nImg; u < (k+1)*e.nImg; u++ {
				npig[v*K+k] += int(e.npig[v][u])
			}
		}
	}
	type scratch struct {
		tp []float64
		pr []float64
	}
	work := make([]scratch, runtime.GOMAXPROCS(0))
	parallel(V*M*T*K, 1, func(w, i int) {
		v, m, t, k := i/(M*T*K), i/(T*K)%M, i/K%T, i%K
		np := npig[v*K+k]
		if np == 0 {
			return
		}
		md := int32(maxDets[m])
		st := e.status[v][t][e.catPos[k]:e.catPos[k+1]]
		slot := e.slot[e.catPos[k]:e.catPos[k+1]]
		s := &work[w]
		s.tp, s.pr = grow(s.tp, len(st)), grow(s.pr, len(st))
		tp, fp := 0.0, 0.0
		npf := float64(np)
		nd := 0
		for j, x := range st {
			if slot[j] >= md {
				continue
			}
			switch x {
			case stTP:
				tp++
			case stFP:
				fp++
			}
			s.tp[nd] = tp
			s.pr[nd] = tp / (fp + tp + eps)
			nd++
		}
		vm := v*M + m
		if nd > 0 {
			rec[(vm*T+t)*K+k] = s.tp[nd-1] / npf
		} else {
			rec[(vm*T+t)*K+k] = 0
		}
		pr := s.pr[:nd]
		for j := nd - 1; j > 0; j-- {
			if pr[j] > pr[j-1] {
				pr[j-1] = pr[j]
			}
		}
		// q[r] = pr[searchsorted(rc, recThrs[r], 'left')], 0 past the end.
		j := 0
		for r, thr := range e.p.recThrs {
			for j < nd && s.tp[j]/npf < thr {
				j++
			}
			q := 0.0
			if j < nd {
				q = pr[j]
			}
			prec[((vm*T+t)*R+r)*K+k] = q
		}
	})
	return tb
}

// meanP is summarize()'s AP: the mean of the precision entries > -1 of
// variant v and maxDets index m, in numpy's order ([t][r][k]), over every
// threshold (t < 0) or threshold t alone; -1 if there is none.
func (tb *tables) meanP(v, m, t int) float64 {
	T, RK := numThrs, numRec*tb.K
	vals := tb.vals[:0]
	for tt := 0; tt < T; tt++ {
		if t >= 0 && tt != t {
			continue
		}
		for _, x := range tb.prec[((v*tb.M+m)*T+tt)*RK : ((v*tb.M+m)*T+tt+1)*RK] {
			if x > -1 {
				vals = append(vals, x)
			}
		}
	}
	tb.vals = vals
	if len(vals) == 0 {
		return -1
	}
	return npMean(vals)
}

// meanR is summarize()'s AR, as meanP over the recall entries ([t][k]).
func (tb *tables) meanR(v, m, t int) float64 {
	T, K := numThrs, tb.K
	vals := tb.vals[:0]
	for tt := 0; tt < T; tt++ {
		if t >= 0 && tt != t {
			continue
		}
		for _, x := range tb.rec[((v*tb.M+m)*T+tt)*K : ((v*tb.M+m)*T+tt+1)*K] {
			if x > -1 {
				vals = append(vals, x)
			}
		}
	}
	tb.vals = vals
	if len(vals) == 0 {
		return -1
	}
	return npMean(vals)
}

// thrIndex is the index of the threshold equal to x, as summarize() picks
// thresholds (np.where(iouThr == p.iouThrs)); a missing one gives an empty
// selection: numThrs, which meanP and meanR answer with -1.
func (tb *tables) thrIndex(x float64) int {
	for t, thr := range tb.thrs {
		if thr == x {
			return t
		}
	}
	return numThrs
}

// keypointResult computes the keypoint summary numbers and counts.
func (e *evaluator) keypointResult() *EvalResult {
	tb := e.accumulate([]int{MaxDets})
	res := &EvalResult{
		Images: e.nImg, Categories: e.nCat,
		GroundTruth: len(e.gt.Annotations), Results: len(e.dt),
		EvaluatedResults: len(e.posRes),
	}
	for i := range e.gt.Annotations {
		if a := &e.gt.Annotations[i]; a.IsCrowd != 0 || a.NumKeypoints == 0 {
			res.IgnoredGroundTruth++
		}
	}
	meanP := func(v, t int) float64 { return tb.meanP(v, 0, t) }
	meanR := func(v, t int) float64 { return tb.meanR(v, 0, t) }
	t50, t75 := tb.thrIndex(.5), tb.thrIndex(.75)
	res.Stats = [10]float64{
		meanP(0, -1), meanP(0, t50), meanP(0, t75), meanP(1, -1), meanP(2, -1),
		meanR(0, -1), meanR(0, t50), meanR(0, t75), meanR(1, -1), meanR(2, -1),
	}
	res.KeypointAP = make([]float64, e.nk)
	res.KeypointAR = make([]float64, e.nk)
	for k := 0; k < e.nk; k++ {
		res.KeypointAP[k] = meanP(variantKpt+k, -1)
		res.KeypointAR[k] = meanR(variantKpt+k, -1)
	}
	return res
}
