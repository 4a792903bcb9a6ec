package track

import (
	"math"
	"testing"

	"github.com/ladderpose/ladderpose/pipeline"
)

func box(x, y, w, h float64) pipeline.Box { return pipeline.Box{X: x, Y: y, W: w, H: h} }

func obj(id int, b pipeline.Box) Object { return Object{ID: id, Box: b} }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

func TestIoU(t *testing.T) {
	for _, c := range []struct {
		a, b pipeline.Box
		want float64
	}{
		{box(0, 0, 10, 10), box(0, 0, 10, 10), 1},
		{box(0, 0, 10, 10), box(2, 0, 10, 10), 80.0 / 120},   // overlap 8x10
		{box(0, 0, 10, 10), box(0, 0, 10, 5), 0.5},           // contained half
		{box(0, 0, 10, 10), box(5, 5, 10, 10), 25.0 / 175},   // corner 5x5
		{box(0, 0, 10, 10), box(10, 0, 10, 10), 0},           // touching
		{box(0, 0, 0, 0), box(0, 0, 0, 0), 0},                // empty
		{box(-5, -5, 10, 10), box(0, 0, 10, 10), 25.0 / 175}, // negative coordinates
	} {
		if got := IoU(c.a, c.b); !near(got, c.want) {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestMOTCrossingSwitch: two people, A (id 1) at x = 0 and B (id 2) at
// x = 100, over 4 frames; the tracker's ids 10 and 20 follow A and B in
// frames 0-1 and are swapped in frames 2-3.
//
// CLEAR MOT: frame 0 matches 1-10, 2-20. Frame 1 keeps them. Frame 2: 1's
// hypothesis 10 is now on B (IoU 0), so nothing is kept; the Hungarian step
// matches 1-20 and 2-10, each a switch: IDSW = 2. Frame 3 keeps those.
// GT = 8, FN = 0, FP = 0: MOTA = 1 - 2/8 = 0.75; all matches exact: MOTP = 0.
//
// IDF1: frames together: (1,10) 2, (1,20) 2, (2,10) 2, (2,20) 2. The best
// one-to-one matching has IDTP = 4; IDFN = 8 - 4 = 4, IDFP = 8 - 4 = 4,
// IDF1 = 8 / (8 + 4 + 4) = 0.5, IDP = IDR = 0.5.
func TestMOTCrossingSwitch(t *testing.T) {
	a, b := box(0, 0, 20, 40), box(100, 0, 20, 40)
	var frames []MOTFrame
	for f := 0; f < 4; f++ {
		fr := MOTFrame{GT: []Object{obj(1, a), obj(2, b)}}
		if f < 2 {
			fr.Pred = []Object{obj(10, a), obj(20, b)}
		} else {
			fr.Pred = []Object{obj(10, b), obj(20, a)}
		}
		frames = append(frames, fr)
	}
	r, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if r.GT != 8 || r.Pred != 8 || r.FN != 0 || r.FP != 0 || r.IDSW != 2 || r.Matches != 8 || !near(r.MOTA, 0.75) || !near(r.MOTP, 0) {
		t.Errorf("CLEAR MOT %+v, want GT 8, IDSW 2, MOTA 0.75, MOTP 0", r)
	}
	if r.IDTP != 4 || r.IDFN != 4 || r.IDFP != 4 || !near(r.IDF1, 0.5) || !near(r.IDP, 0.5) || !near(r.IDR, 0.5) {
		t.Errorf("IDF1 %+v, want IDTP 4, IDFN 4, IDFP 4, IDF1 0.5", r)
	}
}

// TestMOTMissAndFalsePositive: one person (id 1) in frames 0-3 at the same
// box; the tracker (id 5) misses frame 2 and adds a false track (id 6) far
// away in frame 1.
//
// CLEAR MOT: matches in frames 0, 1 and 3 (in frame 3 the Hungarian step
// re-pairs 1 with 5, its last hypothesis: no switch); FN = 1 (frame 2),
// FP = 1 (id 6). GT = 4: MOTA = 1 - (1 + 1 + 0)/4 = 0.5.
//
// IDF1: (1,5) together in 3 frames, (1,6) in none: IDTP = 3, IDFN = 4 - 3 =
// 1, IDFP = 4 - 3 = 1 (4 predicted boxes), IDF1 = 6 / (6 + 1 + 1) = 0.75.
func TestMOTMissAndFalsePositive(t *testing.T) {
	p := box(0, 0, 10, 10)
	frames := []MOTFrame{
		{GT: []Object{obj(1, p)}, Pred: []Object{obj(5, p)}},
		{GT: []Object{obj(1, p)}, Pred: []Object{obj(5, p), obj(6, box(50, 50, 10, 10))}},
		{GT: []Object{obj(1, p)}},
		{GT: []Object{obj(1, p)}, Pred: []Object{obj(5, p)}},
	}
	r, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if r.GT != 4 || r.Pred != 4 || r.FN != 1 || r.FP != 1 || r.IDSW != 0 || r.Matches != 3 || !near(r.MOTA, 0.5) {
		t.Errorf("CLEAR MOT %+v, want FN 1, FP 1, IDSW 0, MOTA 0.5", r)
	}
	if r.IDTP != 3 || r.IDFN != 1 || r.IDFP != 1 || !near(r.IDF1, 0.75) {
		t.Errorf("IDF1 %+v, want IDTP 3, IDFN 1, IDFP 1, IDF1 0.75", r)
	}
}

// TestMOTKeepsPreviousCorrespondence: object 1 matched to hypothesis 1 in
// frame 0; in frame 1 hypothesis 1 has moved 2 px (IoU 80/120, distance 1/3,
// still a match) and a hypothesis 2 sits exactly on the object. Step (1)
// keeps 1-1 although the Hungarian step alone would take the exact 1-2; 2 is
// a false positive.
//
// CLEAR MOT: GT 2, matches 2, FP 1, IDSW 0: MOTA = 1 - 1/2 = 0.5;
// MOTP = (0 + 1/3) / 2 = 1/6.
// IDF1: (1,1) together 2 frames, (1,2) 1: IDTP 2, IDFN 0, IDFP 3 - 2 = 1,
// IDF1 = 4 / (4 + 1) = 0.8.
func TestMOTKeepsPreviousCorrespondence(t *testing.T) {
	o := box(0, 0, 10, 10)
	frames := []MOTFrame{
		{GT: []Object{obj(1, o)}, Pred: []Object{obj(1, o)}},
		{GT: []Object{obj(1, o)}, Pred: []Object{obj(2, o), obj(1, box(2, 0, 10, 10))}},
	}
	r, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if r.Matches != 2 || r.FP != 1 || r.FN != 0 || r.IDSW != 0 || !near(r.MOTA, 0.5) || math.Abs(r.MOTP-1.0/6) > 1e-15 {
		t.Errorf("%+v, want 2 matches, FP 1, IDSW 0, MOTA 0.5, MOTP 1/6", r)
	}
	if r.IDTP != 2 || r.IDFP != 1 || r.IDFN != 0 || !near(r.IDF1, 0.8) {
		t.Errorf("IDF1 %+v, want IDTP 2, IDFP 1, IDF1 0.8", r)
	}
}

// TestMOTThresholdAndRecovery: IoU exactly 0.5 matches (distance 0.5 <=
// 0.5), below does not. Object 1 is matched to 7 in frame 0, missed in
// frame 1 (IoU 0.49), and matched to 8 in frame 2: a switch although frame 1
// had no match (py-motmetrics remembers the last hypothesis forever).
// GT 3, FN 1, FP 1, IDSW 1: MOTA = 1 - 3/3 = 0.
// IDF1: (1,7) 1 frame, (1,8) 1 frame: IDTP 1, IDFN 2, IDFP 3 - 1 = 2,
// IDF1 = 2 / (2 + 2 + 2) = 1/3.
func TestMOTThresholdAndRecovery(t *testing.T) {
	o := box(0, 0, 10, 10)
	frames := []MOTFrame{
		{GT: []Object{obj(1, o)}, Pred: []Object{obj(7, box(0, 0, 10, 5))}},
		{GT: []Object{obj(1, o)}, Pred: []Object{obj(7, box(0, 0, 10, 4.9))}},
		{GT: []Object{obj(1, o)}, Pred: []Object{obj(8, o)}},
	}
	r, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if r.Matches != 2 || r.FN != 1 || r.FP != 1 || r.IDSW != 1 || !near(r.MOTA, 0) {
		t.Errorf("%+v, want 2 matches, FN 1, FP 1, IDSW 1, MOTA 0", r)
	}
	if r.IDTP != 1 || r.IDFN != 2 || r.IDFP != 2 || !near(r.IDF1, 1.0/3) {
		t.Errorf("IDF1 %+v, want IDTP 1, IDF1 1/3", r)
	}
}

// TestMOTPerfect: a perfect tracker scores MOTA = IDF1 = 1, and ids need not
// be equal to the ground truth's.
func TestMOTPerfect(t *testing.T) {
	var frames []MOTFrame
	for f := 0; f < 5; f++ {
		a, b := box(float64(3*f), 0, 20, 40), box(200-float64(3*f), 10, 20, 40)
		frames = append(frames, MOTFrame{GT: []Object{obj(1, a), obj(2, b)}, Pred: []Object{obj(42, b), obj(41, a)}})
	}
	frames = append(frames, MOTFrame{}) // an empty frame
	r, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if r.MOTA != 1 || r.IDF1 != 1 || r.IDSW != 0 || r.Frames != 6 {
		t.Errorf("%+v, want MOTA 1, IDF1 1", r)
	}
}

func TestMOTBadInput(t *testing.T) {
	for _, fr := range []MOTFrame{
		{GT: []Object{obj(1, box(0, 0, 1, 1)), obj(1, box(5, 5, 1, 1))}},
		{Pred: []Object{obj(1, box(0, 0, 1, 1)), obj(1, box(5, 5, 1, 1))}},
		{GT: []Object{obj(1, box(0, math.NaN(), 1, 1))}},
		{Pred: []Object{obj(1, box(0, 0, -1, 1))}},
	} {
		if _, err := EvaluateMOT([]MOTFrame{fr}); err == nil {
			t.Errorf("%+v accepted", fr)
		}
	}
	r, err := EvaluateMOT(nil)
	if err != nil || !math.IsNaN(r.MOTA) || !math.IsNaN(r.IDF1) {
		t.Errorf("no frames: %+v %v, want NaN metrics", r, err)
	}
}

// nan marks a pair that may not match in the py-motmetrics cases below.
var nan = math.NaN()

// The cases below are py-motmetrics' own tests (motmetrics/tests/
// test_metrics.py: test_mota_motp, test_ids, test_correct_average,
// test_extract_counts, test_assignment_metrics_with_empty_groundtruth), fed
// as distances, with the numbers its authors assert.

func TestPyMotmetricsMotaMotp(t *testing.T) {
	frames := []distFrame{
		{nil, []int{1, 2}, nil},                                         // all FP
		{[]int{1, 2}, nil, [][]float64{{}, {}}},                         // all miss
		{[]int{1, 2}, []int{1, 2}, [][]float64{{1, 0.5}, {0.3, 1}}},     // match
		{[]int{1, 2}, []int{1, 2}, [][]float64{{0.2, nan}, {nan, 0.1}}}, // switch
		{[]int{1, 2}, []int{1, 2}, [][]float64{{5, 1}, {1, 5}}},         // history beats a better new match
		{nil, nil, nil}, // no data
	}
	r, tps, err := evaluate(frames)
	if err != nil {
		t.Fatal(err)
	}
	// num_matches 4 + num_switches 2 = num_detections 6; FP 2, misses 2,
	// objects 8, predictions 8, MOTA 1 - 6/8, MOTP 11.1/6, frames 6.
	if r.Matches != 6 || r.IDSW != 2 || r.FP != 2 || r.FN != 2 || r.GT != 8 || r.Pred != 8 || r.Frames != 6 ||
		math.Abs(r.MOTA-(1-6.0/8)) > 1e-12 || math.Abs(r.MOTP-11.1/6) > 1e-12 {
		t.Errorf("%+v", r)
	}
	// test_extract_counts: the same events give these pair counts.
	want := map[oh]int{{1, 1}: 3, {1, 2}: 2, {2, 1}: 2, {2, 2}: 3}
	if len(tps) != len(want) {
		t.Errorf("pair counts %v, want %v", tps, want)
	}
	for k, v := range want {
		if tps[k] != v {
			t.Errorf("pair counts %v, want %v", tps, want)
			break
		}
	}
}

func TestPyMotmetricsIDs(t *testing.T) {
	frames := []distFrame{
		{nil, nil, nil},
		{[]int{1, 2}, []int{1, 2}, [][]float64{{1, 0}, {0, 1}}},
		{[]int{1, 2}, []int{1, 2}, [][]float64{{0.4, nan}, {nan, 0.4}}},
		{[]int{1, 2}, []int{1, 2}, [][]float64{{0, 1}, {1, 0}}},
		{[]int{1, 2}, []int{2, 3}, [][]float64{{1, 0}, {0.4, 0.7}}},
		{[]int{1, 3}, []int{2, 3}, [][]float64{{1, 0}, {0.4, 0.7}}},
		{nil, nil, nil},
	}
	r, _, err := evaluate(frames)
	if err != nil {
		t.Fatal(err)
	}
	// num_matches 7 + num_switches 3 = num_detections 10; no FP, no misses;
	// MOTA 1 - 3/10; MOTP 1.6/10; 7 frames.
	if r.Matches != 10 || r.IDSW != 3 || r.FP != 0 || r.FN != 0 || r.GT != 10 || r.Pred != 10 || r.Frames != 7 ||
		math.Abs(r.MOTA-0.7) > 1e-12 || math.Abs(r.MOTP-0.16) > 1e-12 {
		t.Errorf("%+v", r)
	}
}

func TestPyMotmetricsCorrectAverage(t *testing.T) {
	var frames []distFrame
	for k := 0; k < 4; k++ {
		frames = append(frames, distFrame{[]int{1, 2, 3, 4}, nil, [][]float64{{}, {}, {}, {}}})
	}
	for k := 0; k < 4; k++ {
		frames = append(frames, distFrame{[]int{4}, []int{4}, [][]float64{{0}}})
	}
	r, _, err := evaluate(frames)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.MOTA-0.2) > 1e-12 { // 1 - 16/20
		t.Errorf("MOTA %v, want 0.2", r.MOTA)
	}
	// Empty ground truth: 16 false positives, IDFP 16.
	frames = frames[:0]
	for k := 0; k < 4; k++ {
		frames = append(frames, distFrame{nil, []int{1, 2, 3, 4}, nil})
	}
	r, _, err = evaluate(frames)
	if err != nil || r.FP != 16 || r.IDFP != 16 || r.IDTP != 0 || r.IDFN != 0 || r.Frames != 4 {
		t.Errorf("empty ground truth: %+v %v", r, err)
	}
}
