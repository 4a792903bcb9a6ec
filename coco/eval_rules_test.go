package coco

import (
	"math"
	"strings"
	"testing"
)

// Hand-built cases, one per COCOeval rule. Detections are either exact
// copies of a ground truth person (OKS exactly 1, so a match at every
// threshold) or far away from everyone (OKS exactly 0), which makes every
// threshold behave alike and the numbers easy to derive by hand. Precision
// 1 is really 1/(1+eps) (pycocotools divides by fp+tp+np.spacing(1)), so the
// expected values hold within handTol, not bit for bit.

const handTol = 1e-12

// template places the 17 keypoints of a standing person in a unit box.
var template = [NumKeypoints][2]float64{
	{.5, .08}, {.54, .06}, {.46, .06}, {.6, .08}, {.4, .08},
	{.7, .22}, {.3, .22}, {.8, .38}, {.2, .38}, {.85, .52}, {.15, .52},
	{.62, .55}, {.38, .55}, {.64, .76}, {.36, .76}, {.65, .96}, {.35, .96},
}

// person is a ground truth person with every keypoint visible, filling the
// box (x, y, w, h), with the given area.
func person(id, img int64, x, y, w, h, area float64) Annotation {
	a := Annotation{ID: id, ImageID: img, CategoryID: 1, NumKeypoints: NumKeypoints,
		BBox: [4]float64{x, y, w, h}, Area: area}
	for _, p := range template {
		a.Keypoints = append(a.Keypoints, x+w*p[0], y+h*p[1], 2)
	}
	return a
}

// unlabelled is a ground truth region without keypoints (num_keypoints 0),
// a crowd region if crowd.
func unlabelled(id, img int64, x, y, w, h, area float64, crowd bool) Annotation {
	a := Annotation{ID: id, ImageID: img, CategoryID: 1, BBox: [4]float64{x, y, w, h},
		Area: area, Keypoints: make([]float64, 3*NumKeypoints)}
	if crowd {
		a.IsCrowd = 1
	}
	return a
}

// copyOf is a detection equal to a ground truth person (OKS 1).
func copyOf(a Annotation, score float64) Result {
	r := Result{ImageID: a.ImageID, CategoryID: 1, Score: score}
	for k := 0; k < NumKeypoints; k++ {
		r.Keypoints = append(r.Keypoints, a.Keypoints[3*k], a.Keypoints[3*k+1], 1)
	}
	return r
}

// at is a detection with all keypoints in the box (x, y, w, h): far from
// every person of these tests when x >= 5000 (OKS 0), and with keypoint
// extent area 0.6 w * 0.9 h.
func at(img int64, x, y, w, h, score float64) Result {
	r := Result{ImageID: img, CategoryID: 1, Score: score}
	for _, p := range template {
		r.Keypoints = append(r.Keypoints, x+w*p[0], y+h*p[1], 1)
	}
	return r
}

// dataset wraps annotations with the images they need.
func dataset(imgs []int64, anns ...Annotation) *Dataset {
	d := &Dataset{Annotations: anns, Categories: []Category{PersonCategory()}}
	for _, id := range imgs {
		d.Images = append(d.Images, Image{ID: id, Width: 640, Height: 480})
	}
	return d
}

// statNames index EvalResult.Stats.
const (
	sAP = iota
	sAP50
	sAP75
	sAPm
	sAPl
	sAR
	sAR50
	sAR75
	sARm
	sARl
)

func TestEvaluateRules(t *testing.T) {
	big := 200.0 * 300 * .6 // a large person's area (36000)
	p1 := person(1, 1, 0, 0, 200, 300, big)
	p2 := person(2, 1, 1000, 0, 200, 300, big)
	far := func(score float64) Result { return at(1, 9000, 9000, 200, 300, score) }
	cases := []struct {
		name string
		gt   *Dataset
		dt   []Result
		want map[int]float64 // stat index -> value
	}{{
		// One person found exactly: precision 1 at recall 1 for every
		// threshold, so AP = AR = 1; no medium ground truth: -1.
		name: "perfect",
		gt:   dataset([]int64{1}, p1),
		dt:   []Result{copyOf(p1, .9)},
		want: map[int]float64{sAP: 1, sAP50: 1, sAP75: 1, sAPm: -1, sAPl: 1, sAR: 1, sARm: -1, sARl: 1},
	}, {
		// A crowd region matched by two detections that score above the
		// real find: both are ignored (a crowd can be matched many times),
		// leaving tp=[1], so AP = 1. Were they false positives, the
		// sequence fp, fp, tp would give precision 1/3 and AP 1/3.
		name: "crowd ignored and matched repeatedly",
		gt:   dataset([]int64{1}, p1, unlabelled(2, 1, 1000, 0, 200, 300, big, true)),
		dt:   []Result{copyOf(p1, .5), at(1, 1000, 0, 200, 300, .9), at(1, 1050, 50, 100, 100, .8)},
		want: map[int]float64{sAP: 1, sAR: 1, sAPl: 1},
	}, {
		// The same with a non-crowd person without keypoints: the first
		// detection in its box is ignored, the second cannot reuse it and
		// is a false positive: sorted ign, fp, tp gives tp=[0,0,1],
		// fp=[0,1,1], pr=[0,0,1/2], envelope 1/2 everywhere, AP = 1/2.
		name: "num_keypoints 0 ignored, matched once",
		gt:   dataset([]int64{1}, p1, unlabelled(2, 1, 1000, 0, 200, 300, big, false)),
		dt:   []Result{copyOf(p1, .5), at(1, 1000, 0, 200, 300, .9), at(1, 1050, 50, 100, 100, .8)},
		want: map[int]float64{sAP: .5, sAR: 1},
	}, {
		// 21 detections, the exact one scoring lowest: the 20 far ones are
		// kept by maxDets and the find is cut: AP = AR = 0.
		name: "maxDets cut",
		gt:   dataset([]int64{1}, p1),
		dt:   append(repeat(21, far), copyOf(p1, .01)),
		want: map[int]float64{sAP: 0, sAR: 0},
	}, {
		// 19 far ones above the find, which is 20th: tp at rank 20 only,
		// pr[19] = 1/20, the envelope makes every precision 1/20 and
		// recall reaches 1: AP = 0.05, AR = 1.
		name: "maxDets keeps the 20th",
		gt:   dataset([]int64{1}, p1),
		dt:   append(repeat(19, far), copyOf(p1, .01)),
		want: map[int]float64{sAP: .05, sAR: 1},
	}, {
		// Equal scores keep the file order (stable mergesort): a false
		// positive listed first gives fp, tp: pr=[0, 1/2] -> AP 1/2.
		name: "tie, false positive listed first",
		gt:   dataset([]int64{1}, p1),
		dt:   []Result{far(.5), copyOf(p1, .5)},
		want: map[int]float64{sAP: .5, sAR: 1},
	}, {
		// Listed second: tp, fp: pr=[1, 1/2], rc=[1, 1]: every recall
		// threshold finds index 0, AP = 1.
		name: "tie, false positive listed second",
		gt:   dataset([]int64{1}, p1),
		dt:   []Result{copyOf(p1, .5), far(.5)},
		want: map[int]float64{sAP: 1, sAR: 1},
	}, {
		// Across images, equal scores follow the image id order, not the
		// file order: image 3 (a false positive) before image 5 (the find,
		// listed first): fp, tp: AP 1/2.
		name: "tie across images",
		gt:   dataset([]int64{5, 3}, person(1, 5, 0, 0, 200, 300, big)),
		dt:   []Result{copyOf(person(1, 5, 0, 0, 200, 300, big), .5), at(3, 9000, 9000, 200, 300, .5)},
		want: map[int]float64{sAP: .5, sAR: 1},
	}, {
		// Envelope: fp, tp, tp, tp with 3 people: pr=[0, 1/2, 2/3, 3/4],
		// rc=[0, 1/3, 2/3, 1]; the envelope lifts every precision to 3/4,
		// so AP = 3/4 (without it, 0, 1/2 and 2/3 would enter the mean).
		name: "precision envelope",
		gt:   dataset([]int64{1}, p1, p2, person(3, 1, 2000, 0, 200, 300, big)),
		dt: []Result{far(.9), copyOf(p1, .8), copyOf(p2, .7),
			copyOf(person(3, 1, 2000, 0, 200, 300, big), .6)},
		want: map[int]float64{sAP: .75, sAR: 1},
	}, {
		// Image 1: a find (.9); image 2: no ground truth, a detection (.8)
		// is a false positive; image 3: a missed person; image 4: nothing
		// (no effect). tp=[1,1], fp=[0,1], npig 2: rc=[1/2, 1/2],
		// pr=[1, 1/2]; recall thresholds 0..0.50 (51 of 101) find
		// precision 1, the others none (0): AP = 51/101; AR = 1/2.
		name: "images without ground truth or detections",
		gt:   dataset([]int64{1, 2, 3, 4}, p1, person(2, 3, 0, 0, 200, 300, big)),
		dt:   []Result{copyOf(p1, .9), at(2, 0, 0, 200, 300, .8)},
		want: map[int]float64{sAP: 51.0 / 101, sAR: .5, sAP50: 51.0 / 101, sAR50: .5},
	}, {
		// No results at all: zero precision and recall where there is
		// ground truth, -1 where there is none.
		name: "no results",
		gt:   dataset([]int64{1}, p1),
		dt:   nil,
		want: map[int]float64{sAP: 0, sAR: 0, sAPm: -1, sARm: -1, sAPl: 0},
	}, {
		// No ground truth: every number is undefined.
		name: "no ground truth",
		gt:   dataset([]int64{1}),
		dt:   []Result{far(.5)},
		want: map[int]float64{sAP: -1, sAP50: -1, sAPm: -1, sAPl: -1, sAR: -1, sARl: -1},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Evaluate(c.gt, c.dt)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if math.Abs(r.Stats[i]-w) > handTol {
					t.Errorf("stats[%d] = %.15g, want %.15g", i, r.Stats[i], w)
				}
			}
		})
	}
}

// repeat makes n detections with decreasing scores from .9 down.
func repeat(n int, f func(score float64) Result) []Result {
	rs := make([]Result, n)
	for i := range rs {
		rs[i] = f(.9 - .01*float64(i))
	}
	return rs
}

// TestEvaluateAreaRanges derives the medium and large numbers by hand.
// Image 1 holds a medium person M (area 2000), found exactly with score .9,
// a large person L (area 20000), found with score .8, and a false positive F
// scoring .95 whose keypoints span 0.6*400 x 0.9*250 = 240 x 225, area
// 54000 (large).
//
//	all:    F fp, M tp, L tp: tp=[0,1,2], fp=[1,1,1], rc=[0,1/2,1],
//	        pr=[0,1/2,2/3] -> envelope 2/3 everywhere: AP = 2/3, AR = 1.
//	medium: L is out of range, so ignored, and L's detection, matched to
//	        it, too; F is unmatched with an area outside [32^2, 96^2]:
//	        ignored. tp=[0,1,1], fp=0: AP = 1, AR = 1.
//	large:  M and its detection are ignored; F is a false positive inside
//	        the range: F fp, M ign, L tp: pr=[0,0,1/2] -> AP = 1/2, AR = 1.
func TestEvaluateAreaRanges(t *testing.T) {
	m := person(1, 1, 0, 0, 40, 80, 2000)
	l := person(2, 1, 1000, 0, 150, 220, 20000)
	gt := dataset([]int64{1}, m, l)
	dt := []Result{copyOf(m, .9), copyOf(l, .8), at(1, 9000, 9000, 400, 250, .95)}
	r, err := Evaluate(gt, dt)
	if err != nil {
		t.Fatal(err)
	}
	want := [10]float64{2. / 3, 2. / 3, 2. / 3, 1, .5, 1, 1, 1, 1, 1}
	for i, w := range want {
		if math.Abs(r.Stats[i]-w) > handTol {
			t.Errorf("stats[%d] = %.15g, want %.15g", i, r.Stats[i], w)
		}
	}
}

// TestEvaluateOKSThresholds uses a person with one labelled keypoint (the
// nose) and a detection 4.2 px off: OKS = exp(-d^2 / (2 s^2 (2 sigma)^2))
// with s^2 = area = 10000 and sigma = .026, 0.72, between the thresholds
// .70 and .75: a match at .50 .55 .60 .65 .70 and a miss above, so AP50 = 1,
// AP75 = 0, AP = 5/10 and the same for AR.
func TestEvaluateOKSThresholds(t *testing.T) {
	a := Annotation{ID: 1, ImageID: 1, CategoryID: 1, NumKeypoints: 1,
		BBox: [4]float64{80, 80, 80, 125}, Area: 10000, Keypoints: make([]float64, 51)}
	a.Keypoints[0], a.Keypoints[1], a.Keypoints[2] = 100, 100, 2
	r := Result{ImageID: 1, CategoryID: 1, Score: 1, Keypoints: make([]float64, 51)}
	r.Keypoints[0], r.Keypoints[1] = 104.2, 100
	dx, sigma := r.Keypoints[0]-a.Keypoints[0], Sigmas[0]
	oks := math.Exp(-dx * dx / (2 * 10000 * (2 * sigma) * (2 * sigma)))
	if oks <= .70 || oks >= .75 {
		t.Fatalf("test set-up: OKS %v not between .70 and .75", oks)
	}
	res, err := Evaluate(dataset([]int64{1}, a), []Result{r})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]float64{sAP: .5, sAP50: 1, sAP75: 0, sAR: .5, sAR50: 1, sAR75: 0}
	for i, w := range want {
		if math.Abs(res.Stats[i]-w) > handTol {
			t.Errorf("stats[%d] = %.15g, want %.15g", i, res.Stats[i], w)
		}
	}
	e := &evaluator{p: newParams(Sigmas[:]), gt: dataset([]int64{1}, a), dt: []Result{r}, nk: NumKeypoints}
	if got := oksOf(t, e); math.Abs(got-oks) > 1e-14 {
		t.Errorf("OKS = %.17g, want %.17g", got, oks)
	}
}

// oksOf returns the OKS of the single result and annotation of e.
func oksOf(t *testing.T, e *evaluator) float64 {
	t.Helper()
	m := oksMatrix(t, e.gt, e.dt, e.gt.Images[0].ID, 1)
	if len(m) != 1 || len(m[0]) != 1 {
		t.Fatalf("OKS matrix %v, want 1x1", m)
	}
	return m[0][0]
}

// TestOKSBoxRule checks the OKS with a person without labelled keypoints:
// distances are measured to its box expanded by its size on each side,
// here [50, 200] x [0, 300] for the box (100, 100, 50, 100). Keypoints at
// (210, 150) are 10 px right of it: OKS = mean over k of
// exp(-100 / ((2 sigma_k)^2 (area + eps) 2)); keypoints inside give 1.
func TestOKSBoxRule(t *testing.T) {
	g := unlabelled(1, 1, 100, 100, 50, 100, 5000, false)
	var want float64
	for k := 0; k < NumKeypoints; k++ {
		s := 2 * Sigmas[k]
		want += math.Exp(-100 / (s * s) / 5000 / 2)
	}
	want /= NumKeypoints
	for _, c := range []struct {
		x, y, want float64
	}{{210, 150, want}, {190, 20, 1}, {50, 300, 1}, {150, 310, want}, {40, 150, want}} {
		r := at(1, c.x, c.y, 0, 0, 1)
		got := oksOf(t, &evaluator{gt: dataset([]int64{1}, g), dt: []Result{r}})
		if math.Abs(got-c.want) > 1e-15 {
			t.Errorf("keypoints at (%v, %v): OKS %.17g, want %.17g", c.x, c.y, got, c.want)
		}
	}
}

// TestPerKeypoint: a detection equal to the person except its left ear,
// moved 1000 px away. Every keypoint's AP is 1 except the ear's (its only
// detection misses: AP = AR = 0); a keypoint that no person has labelled
// has no AP (-1).
func TestPerKeypoint(t *testing.T) {
	p := person(1, 1, 0, 0, 200, 300, 36000)
	p.Keypoints[3*4+2] = 0 // right ear unlabelled
	p.NumKeypoints--
	d := copyOf(p, .9)
	d.Keypoints[3*3] += 1000 // left ear far away
	r, err := Evaluate(dataset([]int64{1}, p), []Result{d})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < NumKeypoints; k++ {
		want := 1.0
		switch k {
		case 3:
			want = 0
		case 4:
			want = -1
		}
		if math.Abs(r.KeypointAP[k]-want) > handTol || math.Abs(r.KeypointAR[k]-want) > handTol {
			t.Errorf("keypoint %d (%s): AP %v AR %v, want %v", k, KeypointNames[k], r.KeypointAP[k], r.KeypointAR[k], want)
		}
	}
}

// TestThresholdTables compares the thresholds with numpy's
// np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), as printed by numpy
// 1.24 (note 0.8999999999999999), and the sigmas with
// np.array([.26, ...]) / 10.0.
func TestThresholdTables(t *testing.T) {
	p := newParams(nil)
	wantIoU := [numThrs]float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95}
	if p.iouThrs != wantIoU {
		t.Errorf("iouThrs = %v, numpy %v", p.iouThrs, wantIoU)
	}
	// numpy: linspace(0, 1, 101)[[3, 7, 29, 57, 99]]
	for i, w := range map[int]float64{3: 0.03, 7: 0.07, 29: 0.29, 57: 0.5700000000000001, 99: 0.99, 100: 1} {
		if p.recThrs[i] != w {
			t.Errorf("recThrs[%d] = %.17g, numpy %.17g", i, p.recThrs[i], w)
		}
	}
	wantSigmas := [NumKeypoints]float64{0.026000000000000002, 0.025, 0.025, 0.034999999999999996,
		0.034999999999999996, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.10700000000000001,
		0.10700000000000001, 0.087, 0.087, 0.089, 0.089}
	if Sigmas != wantSigmas {
		t.Errorf("Sigmas = %v, numpy %v", Sigmas, wantSigmas)
	}
}

// TestSummaryLayout checks the printed layout, including -1 and rounding
// (expected strings from Python's '{:0.3f}'.format: 0.9995 is stored as
// 0.99950000000000006 and rounds up).
func TestSummaryLayout(t *testing.T) {
	r := &EvalResult{Stats: [10]float64{0.7125, 1, 0.0004999, -1, 0.5, 0.123456, 0, 1, -1, 0.9995}}
	want := ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.713
 Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 1.000
 Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 0.000
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000
 Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.500
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.123
 Average Recall     (AR) @[ IoU=0.50      | area=   all | maxDets= 20 ] = 0.000
 Average Recall     (AR) @[ IoU=0.75      | area=   all | maxDets= 20 ] = 1.000
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = -1.000
 Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 1.000
`
	if got := r.Summary(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := strings.Count(r.Summary(), "\n"); n != 10 {
		t.Errorf("%d lines", n)
	}
}
