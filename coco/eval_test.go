package coco

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// synthCase generates a deterministic evaluation case: nImages images with
// about peoplePerImage people each (0 to 2x), of every size (areas from
// small to large), 5% crowd regions and 8% people without keypoints, random
// visibility; 90% of people detected with a noise level drawn per detection
// (so OKS values spread over the whole range), 15% detected twice, and 0-2
// false positives per image; scores rounded to 3 digits, so ties occur.
func synthCase(seed uint64, nImages int, peoplePerImage float64) (*Dataset, []Result) {
	rng := rand.New(rand.NewPCG(seed, 7))
	gt := &Dataset{Categories: []Category{PersonCategory()}}
	var dt []Result
	id := int64(1)
	score := func() float64 { return math.Round(rng.Float64()*1000) / 1000 }
	detect := func(img int64, kp []float64, bb [4]float64, noise float64) Result {
		r := Result{ImageID: img, CategoryID: 1, Score: score(), Keypoints: make([]float64, 3*NumKeypoints)}
		s := math.Sqrt(bb[2] * bb[3])
		for k := 0; k < NumKeypoints; k++ {
			x, y := kp[3*k], kp[3*k+1]
			if kp[3*k+2] == 0 { // unlabelled: where it would be
				x, y = bb[0]+bb[2]*template[k][0], bb[1]+bb[3]*template[k][1]
			}
			r.Keypoints[3*k] = x + rng.NormFloat64()*noise*s
			r.Keypoints[3*k+1] = y + rng.NormFloat64()*noise*s
			r.Keypoints[3*k+2] = rng.Float64()
		}
		return r
	}
	for i := 0; i < nImages; i++ {
		img := int64(100000 + 7*i)
		W, H := 320+rng.IntN(480), 320+rng.IntN(480)
		gt.Images = append(gt.Images, Image{ID: img, Width: W, Height: H, FileName: fmt.Sprintf("%012d.jpg", img)})
		n := rng.IntN(int(2*peoplePerImage) + 1)
		for p := 0; p < n; p++ {
			w := 12 + rng.Float64()*rng.Float64()*300
			h := w * (1.5 + rng.Float64())
			x, y := rng.Float64()*float64(W), rng.Float64()*float64(H)
			a := Annotation{ID: id, ImageID: img, CategoryID: 1, BBox: [4]float64{x, y, w, h},
				Area: w * h * (.45 + .3*rng.Float64()), Keypoints: make([]float64, 3*NumKeypoints)}
			id++
			crowd, empty := rng.Float64() < .05, rng.Float64() < .08
			a.IsCrowd = map[bool]int{false: 0, true: 1}[crowd]
			pVis := .3 + .7*rng.Float64()
			for k := 0; k < NumKeypoints && !crowd && !empty; k++ {
				if rng.Float64() > pVis {
					continue
				}
				a.Keypoints[3*k] = x + w*(template[k][0]+.04*rng.NormFloat64())
				a.Keypoints[3*k+1] = y + h*(template[k][1]+.03*rng.NormFloat64())
				a.Keypoints[3*k+2] = float64(1 + rng.IntN(2))
				a.NumKeypoints++
			}
			gt.Annotations = append(gt.Annotations, a)
			for rep := 0; rep < 2; rep++ {
				if (rep == 0 && rng.Float64() < .9) || (rep == 1 && rng.Float64() < .15) {
					noise := []float64{.01, .03, .06, .1, .2}[rng.IntN(5)]
					dt = append(dt, detect(img, a.Keypoints, a.BBox, noise))
				}
			}
		}
		for f := rng.IntN(3); f > 0; f-- {
			w := 20 + rng.Float64()*200
			bb := [4]float64{rng.Float64() * float64(W), rng.Float64() * float64(H), w, 2 * w}
			dt = append(dt, detect(img, make([]float64, 3*NumKeypoints), bb, .05))
		}
	}
	rng.Shuffle(len(dt), func(i, j int) { dt[i], dt[j] = dt[j], dt[i] })
	return gt, dt
}

// TestEvaluateDeterministic checks that the result is bit-identical with 1
// and 2 threads and across runs, and that Evaluate leaves its inputs alone.
func TestEvaluateDeterministic(t *testing.T) {
	gt, dt := synthCase(1, 400, 4)
	gt2, dt2 := synthCase(1, 400, 4)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var results []*EvalResult
	for _, procs := range []int{1, 2, 2, 3} {
		runtime.GOMAXPROCS(procs)
		r, err := Evaluate(gt, dt)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	for i, r := range results[1:] {
		if !reflect.DeepEqual(r, results[0]) {
			t.Errorf("run %d differs from the single-threaded run:\n%+v\n%+v", i+1, r, results[0])
		}
	}
	if !reflect.DeepEqual(gt, gt2) || !reflect.DeepEqual(dt, dt2) {
		t.Error("Evaluate modified its inputs")
	}
	r := results[0]
	if r.Stats[0] <= 0.05 || r.Stats[0] >= 0.95 {
		t.Errorf("synthetic case AP %v: the noise should spread OKS values", r.Stats[0])
	}
	if r.EvaluatedResults > r.Results || r.IgnoredGroundTruth == 0 || r.Images != 400 {
		t.Errorf("counts %+v", r)
	}
}

// TestEvaluateErrors checks that bad input is refused with a message that
// names the problem.
func TestEvaluateErrors(t *testing.T) {
	p := person(1, 1, 0, 0, 200, 300, 36000)
	good := func() (*Dataset, []Result) {
		return dataset([]int64{1}, p), []Result{copyOf(p, .9)}
	}
	cases := []struct {
		name   string
		modify func(*Dataset, []Result) []Result
		want   string
	}{
		{"result on unknown image", func(d *Dataset, r []Result) []Result { r[0].ImageID = 7; return r },
			"image_id 7 is not an image of the ground truth"},
		{"result of unknown category", func(d *Dataset, r []Result) []Result { r[0].CategoryID = 3; return r },
			"category_id 3 is not a category"},
		{"short keypoints", func(d *Dataset, r []Result) []Result { r[0].Keypoints = r[0].Keypoints[:50]; return r },
			"keypoints has 50 values, want 51"},
		{"NaN keypoint", func(d *Dataset, r []Result) []Result { r[0].Keypoints[4] = math.NaN(); return r },
			"keypoint 1 (left_eye)"},
		{"NaN score", func(d *Dataset, r []Result) []Result { r[0].Score = math.NaN(); return r },
			"score NaN"},
		{"negative score", func(d *Dataset, r []Result) []Result { r[0].Score = -.5; return r },
			"score -0.5"},
		{"gt visibility 3", func(d *Dataset, r []Result) []Result { d.Annotations[0].Keypoints[5] = 3; return r },
			"visibility 3 not in {0, 1, 2}"},
		{"gt negative area", func(d *Dataset, r []Result) []Result { d.Annotations[0].Area = -1; return r },
			"area -1"},
		{"gt negative box", func(d *Dataset, r []Result) []Result { d.Annotations[0].BBox[3] = -2; return r },
			"negative width or height"},
		{"gt duplicate id", func(d *Dataset, r []Result) []Result {
			d.Annotations = append(d.Annotations, d.Annotations[0])
			return r
		}, "annotations[1]: id 1 already used"},
		{"gt on unknown image", func(d *Dataset, r []Result) []Result { d.Annotations[0].ImageID = 9; return r },
			"image_id 9 is not in images"},
		{"gt num_keypoints", func(d *Dataset, r []Result) []Result { d.Annotations[0].NumKeypoints = 18; return r },
			"num_keypoints 18"},
		{"gt iscrowd 2", func(d *Dataset, r []Result) []Result { d.Annotations[0].IsCrowd = 2; return r },
			"iscrowd 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gt, dt := good()
			gt.Annotations[0].Keypoints = append([]float64(nil), p.Keypoints...)
			dt = c.modify(gt, dt)
			_, err := Evaluate(gt, dt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// BenchmarkEval evaluates a generated 5000-image case with about 20000
// people and 22000 results (Evaluate: validation, OKS, matching, the
// accumulation and the per-keypoint AP).
func BenchmarkEval(b *testing.B) {
	gt, dt := synthCase(2, 5000, 4)
	b.Logf("%d images, %d people, %d results", len(gt.Images), len(gt.Annotations), len(dt))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Evaluate(gt, dt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(len(gt.Images))*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
