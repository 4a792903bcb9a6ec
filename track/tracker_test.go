package track

import (
	"math"
	"reflect"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

// TestOneEuroKnownSteps checks the filter against hand-computed steps with
// mmpose's defaults (min_cutoff 0.004, beta 0.7, d_cutoff 1), times in
// frames. Start x = 0 at t = 0 (passes unchanged, dx_prev = 0).
//
// t = 1, x = 1: te = 1; alpha_d = 2 pi / (2 pi + 1) = 0.8626974383015871;
// dx = 1; dx_hat = 0.8626974383015871; fc = 0.004 + 0.7 dx_hat =
// 0.6078882068111109; alpha = 2 pi fc / (2 pi fc + 1) = 0.7925084878053853;
// x_hat = alpha * 1 = 0.7925084878053853.
//
// t = 2, x = 1.5: dx = 1.5 - 0.7925084878053853 = 0.7074915121946147;
// dx_hat = 0.8626974383015871 dx + 0.1373025616984129 * 0.8626974383015871
// = 0.7288016834398766; fc = 0.5141611784079136; alpha = 0.7636252303934469;
// x_hat = 1.3327668568064062.
//
// t = 4 (a dropped frame), x = 1.5: te = 2; alpha_d = 4 pi / (4 pi + 1) =
// 0.9262883177508389; dx = (1.5 - 1.3327668568064062) / 2 =
// 0.08361657159679692; dx_hat = 0.1311742515528635; fc =
// 0.09582197608700445; alpha = 0.5463071713174681; x_hat = 1.4241275222150276.
func TestOneEuroKnownSteps(t *testing.T) {
	f, err := NewOneEuro(MMPoseOneEuro)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ t, x, want float64 }{
		{0, 0, 0},
		{1, 1, 0.7925084878053853},
		{2, 1.5, 1.3327668568064062},
		{4, 1.5, 1.4241275222150276},
	} {
		got, err := f.Filter(s.x, s.t)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-s.want) > 1e-15 {
			t.Errorf("t = %v: %v, want %v", s.t, got, s.want)
		}
	}
	if _, err := f.Filter(2, 4); err == nil {
		t.Error("a repeated time was accepted")
	}
	if _, err := f.Filter(math.NaN(), 5); err == nil {
		t.Error("NaN was accepted")
	}
	// The failed calls changed nothing: t = 5 continues from t = 4.
	g := *f
	a, _ := f.Filter(1.5, 5)
	b, _ := g.Filter(1.5, 5)
	if a != b {
		t.Error("failed calls changed the state")
	}
	f.Reset()
	if got, _ := f.Filter(42, 0); got != 42 {
		t.Errorf("after Reset the first value %v is not passed through", got)
	}
	for _, p := range []OneEuroParams{{0, 0.7, 1}, {0.004, -1, 1}, {0.004, 0.7, 0}, {math.NaN(), 0, 1}} {
		if _, err := NewOneEuro(p); err == nil {
			t.Errorf("parameters %+v accepted", p)
		}
	}
}

// skeleton is a standing person about 150 px tall with its top-left near
// the origin, in COCO keypoint order.
var skeleton = [17][2]float64{
	{30, 10}, {34, 6}, {26, 6}, {40, 8}, {20, 8}, // nose, eyes, ears
	{48, 30}, {12, 30}, {54, 60}, {6, 60}, {56, 88}, {4, 88}, // shoulders, elbows, wrists
	{42, 90}, {18, 90}, {44, 122}, {16, 122}, {44, 150}, {16, 150}, // hips, knees, ankles
}

// person returns a pose of skeleton shifted by (x, y), all keypoints with
// score s, its box the keypoints' box padded, its frame the box rule's.
func person(x, y, s float64) pipeline.Pose {
	p := pipeline.Pose{Keypoints: make([]pipeline.Keypoint, 17), BoxScore: 1, Score: s}
	for k, xy := range skeleton {
		p.Keypoints[k] = pipeline.Keypoint{X: xy[0] + x, Y: xy[1] + y, Score: s}
	}
	p.Box = pipeline.Box{X: x - 5, Y: y - 5, W: 70, H: 165}
	p.Frame = p.Box.Frame(pipeline.InputW, pipeline.InputH)
	return p
}

func newTracker(t *testing.T, mod func(*Config)) *Tracker {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	tr, err := NewTracker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// idsByInput returns the track id of each input pose.
func idsByInput(t *testing.T, r UpdateResult, n int) []int {
	t.Helper()
	ids := make([]int, n)
	if len(r.People) != n {
		t.Fatalf("%d people for %d poses", len(r.People), n)
	}
	for _, p := range r.People {
		ids[p.Input] = p.ID
	}
	return ids
}

// TestTrackerCrossing: A walks right and B left, 20 px lower, crossing in
// the middle; the poses come in a different order on odd frames. Ids stay
// with their people: checked directly and with EvaluateMOT (IDSW 0,
// MOTA 1, IDF1 1).
func TestTrackerCrossing(t *testing.T) {
	tr := newTracker(t, nil)
	var frames []MOTFrame
	for f := 0; f < 30; f++ {
		a := person(100+8*float64(f), 50, 0.9)
		b := person(332-8*float64(f), 70, 0.9)
		poses := []pipeline.Pose{a, b}
		gtOf := []int{1, 2}
		if f%2 == 1 {
			poses = []pipeline.Pose{b, a}
			gtOf = []int{2, 1}
		}
		r, err := tr.Update(f, float64(f)/25, poses)
		if err != nil {
			t.Fatal(err)
		}
		ids := idsByInput(t, r, 2)
		var fr MOTFrame
		for i := range poses {
			if ids[i] != gtOf[i] {
				t.Errorf("frame %d: pose of person %d has track %d", f, gtOf[i], ids[i])
			}
			fr.GT = append(fr.GT, Object{ID: gtOf[i], Box: poses[i].Box})
			fr.Pred = append(fr.Pred, Object{ID: ids[i], Box: poses[i].Box})
		}
		frames = append(frames, fr)
		if len(r.Lost) != 0 || len(r.Ended) != 0 {
			t.Errorf("frame %d: lost %v ended %v", f, r.Lost, r.Ended)
		}
		if f == 0 && !(r.People[0].New && r.People[1].New) || f > 0 && (r.People[0].New || r.People[1].New) {
			t.Errorf("frame %d: New flags %v %v", f, r.People[0].New, r.People[1].New)
		}
	}
	m, err := EvaluateMOT(frames)
	if err != nil {
		t.Fatal(err)
	}
	if m.IDSW != 0 || m.MOTA != 1 || m.IDF1 != 1 {
		t.Errorf("%+v", m)
	}
}

// TestTrackerLostAndEnded: with K = 3, a person unseen from frame 3 is lost
// in frames 3 and 4 and ends in frame 5; when someone appears in frame 6 at
// the same place, it gets a new id (2): ids are never reused. A person
// unseen for fewer than K frames keeps its id.
func TestTrackerLostAndEnded(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.MaxMissed = 3 })
	p := person(100, 100, 0.9)
	type step struct {
		poses       []pipeline.Pose
		ids         []int
		lost, ended []int
		live        int
		missed      int // Boxes()[0].Missed when live
	}
	steps := []step{
		{[]pipeline.Pose{p}, []int{1}, nil, nil, 1, 0},
		{[]pipeline.Pose{p}, []int{1}, nil, nil, 1, 0},
		{[]pipeline.Pose{p}, []int{1}, nil, nil, 1, 0},
		{nil, nil, []int{1}, nil, 1, 1},
		{nil, nil, []int{1}, nil, 1, 2},
		{nil, nil, nil, []int{1}, 0, 0},
		{[]pipeline.Pose{p}, []int{2}, nil, nil, 1, 0},
		{nil, nil, []int{2}, nil, 1, 1},
		{nil, nil, []int{2}, nil, 1, 2},
		{[]pipeline.Pose{p}, []int{2}, nil, nil, 1, 0}, // back before K: the same id
	}
	for f, s := range steps {
		r, err := tr.Update(f, float64(f), s.poses)
		if err != nil {
			t.Fatal(err)
		}
		ids := idsByInput(t, r, len(s.poses))
		if !reflect.DeepEqual(ids, append([]int{}, s.ids...)) || !reflect.DeepEqual(r.Lost, s.lost) ||
			!reflect.DeepEqual(r.Ended, s.ended) || tr.Live() != s.live {
			t.Errorf("frame %d: ids %v lost %v ended %v live %d; want %v %v %v %d", f, ids, r.Lost, r.Ended, tr.Live(), s.ids, s.lost, s.ended, s.live)
		}
		if b := tr.Boxes(); len(b) != s.live || (s.live > 0 && b[0].Missed != s.missed) {
			t.Errorf("frame %d: boxes %+v, want %d with %d missed", f, b, s.live, s.missed)
		}
	}
}

// TestTrackerIoUFallback: poses without confident keypoints (scores 0.1)
// are matched by the IoU of their boxes: a 10 px step keeps the id (IoU of
// two 70x165 boxes 10 px apart = 60/80 = 0.75 > 0.3); a jump with no overlap
// starts a new track and the old one is lost.
func TestTrackerIoUFallback(t *testing.T) {
	tr := newTracker(t, nil)
	r, _ := tr.Update(0, 0, []pipeline.Pose{person(100, 100, 0.1)})
	r2, err := tr.Update(1, 1, []pipeline.Pose{person(110, 100, 0.1)})
	if err != nil {
		t.Fatal(err)
	}
	if r.People[0].ID != 1 || r2.People[0].ID != 1 || r2.People[0].New {
		t.Errorf("a small step by IoU: %+v then %+v", r.People, r2.People)
	}
	r3, _ := tr.Update(2, 2, []pipeline.Pose{person(400, 100, 0.1)})
	if r3.People[0].ID != 2 || !r3.People[0].New || !reflect.DeepEqual(r3.Lost, []int{1}) {
		t.Errorf("a jump: %+v lost %v", r3.People, r3.Lost)
	}
	// The IoU threshold is strict: boxes overlapping by exactly 0.3 do not match.
	// Two 70x165 boxes dx apart: IoU = (70-dx)/(70+dx) = 0.3 at dx = 49/1.3.
	tr = newTracker(t, nil)
	tr.Update(0, 0, []pipeline.Pose{person(0, 0, 0.1)})
	dx := 49 / 1.3
	if got := IoU(person(0, 0, 0.1).Box, person(dx, 0, 0.1).Box); math.Abs(got-0.3) > 1e-12 {
		t.Fatalf("IoU %v, want 0.3", got)
	}
	r4, _ := tr.Update(1, 1, []pipeline.Pose{person(dx+1e-9, 0, 0.1)})
	if r4.People[0].ID != 2 {
		t.Errorf("IoU just under 0.3 matched: %+v", r4.People)
	}
}

// TestTrackerOKSThreshold: OKS just above and just below 0.3 by moving a
// person; the OKS is computed independently with pipeline.OKS.
func TestTrackerOKSThreshold(t *testing.T) {
	a := person(0, 0, 0.9)
	oksAt := func(dx float64) float64 {
		b := person(dx, 0, 0.9)
		s, err := pipeline.OKS(b.Keypoints, a.Keypoints, b.Frame.Area(), a.Frame.Area(), coco.Sigmas[:])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Bisect for the shift with OKS 0.3.
	lo, hi := 0.0, 200.0
	for k := 0; k < 100; k++ {
		mid := (lo + hi) / 2
		if oksAt(mid) > 0.3 {
			lo = mid
		} else {
			hi = mid
		}
	}
	for _, c := range []struct {
		dx     float64
		wantID int
	}{{lo, 1}, {hi + 1, 2}} {
		tr := newTracker(t, nil)
		tr.Update(0, 0, []pipeline.Pose{a})
		r, err := tr.Update(1, 1, []pipeline.Pose{person(c.dx, 0, 0.9)})
		if err != nil {
			t.Fatal(err)
		}
		if r.People[0].ID != c.wantID {
			t.Errorf("shift %v (OKS %v): id %d, want %d", c.dx, oksAt(c.dx), r.People[0].ID, c.wantID)
		}
	}
}

// TestTrackerGreedyOrder: three tracks and three poses whose best pairs
// conflict; the global greedy order (highest OKS first) gives the same ids
// whatever the order of the poses.
func TestTrackerGreedyOrder(t *testing.T) {
	base := []pipeline.Pose{person(0, 0, 0.9), person(40, 0, 0.9), person(80, 0, 0.9)}
	next := []pipeline.Pose{person(21, 0, 0.9), person(24, 0, 0.9), person(95, 0, 0.9)}
	var want []int
	for _, perm := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {1, 0, 2}} {
		tr := newTracker(t, nil)
		if _, err := tr.Update(0, 0, base); err != nil {
			t.Fatal(err)
		}
		poses := make([]pipeline.Pose, 3)
		for i, j := range perm {
			poses[i] = next[j]
		}
		r, err := tr.Update(1, 1, poses)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, 3)
		for _, p := range r.People {
			got[perm[p.Input]] = p.ID
		}
		if want == nil {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("order %v: ids %v, order 0 1 2 gave %v", perm, got, want)
		}
	}
	// Pose 21 is nearer track 2 (19 px) than track 1 (21 px), so mmpose's
	// per-pose order would give it track 2 when it comes first, and pose 24
	// track 1. Sorting all pairs takes 95->3 (15 px), 24->2 (16 px), then
	// 21->1 (21 px; every OKS here is above 0.3).
	if !reflect.DeepEqual(want, []int{1, 2, 3}) {
		t.Errorf("ids %v, want [1 2 3]", want)
	}
	s, _ := pipeline.OKS(next[0].Keypoints, base[0].Keypoints, next[0].Frame.Area(), base[0].Frame.Area(), coco.Sigmas[:])
	if !(s > 0.3) {
		t.Errorf("OKS of a 21 px shift %v is not above 0.3: the case does not test what it says", s)
	}
}

// TestPoseBox: confident keypoints (10,20), (30,60), (20,40) span
// [10,30] x [20,60]: centre (20,40), sides 20 and 40 enlarged by 1.25 to 25
// and 50: box (7.5, 15, 25, 50). Unconfident and unlocated keypoints do not
// count; with fewer than 3 confident keypoints the pose's own box is used.
func TestPoseBox(t *testing.T) {
	p := pipeline.Pose{Box: box(1, 2, 3, 4), Keypoints: []pipeline.Keypoint{
		{X: 10, Y: 20, Score: 0.9}, {X: 30, Y: 60, Score: 0.3}, {X: 20, Y: 40, Score: 0.5},
		{X: 500, Y: 500, Score: 0.29}, {X: -100, Y: -100, Score: 0},
	}}
	if got := PoseBox(p, 0.3, 3); got != box(7.5, 15, 25, 50) {
		t.Errorf("PoseBox = %+v, want (7.5, 15, 25, 50)", got)
	}
	if got := PoseBox(p, 0.4, 3); got != p.Box {
		t.Errorf("with 2 confident keypoints: %+v, want the pose's box", got)
	}
	tr := newTracker(t, nil)
	q := person(100, 50, 0.9)
	if _, err := tr.Update(0, 0, []pipeline.Pose{q}); err != nil {
		t.Fatal(err)
	}
	// skeleton spans x [4, 56], y [6, 150]: centre (130, 128) after the shift,
	// sides 52*1.25 = 65 and 144*1.25 = 180.
	want := box(130-32.5, 128-90, 65, 180)
	if b := tr.Boxes(); len(b) != 1 || b[0].ID != 1 || b[0].Box != want || b[0].Missed != 0 {
		t.Errorf("Boxes = %+v, want %+v", b, want)
	}
}

// TestTrackerSmoothing: with smoothing, each returned coordinate equals an
// independent One-Euro filter fed the raw values at time = seconds x rate;
// the first frame of a track passes unchanged, also for a track that starts
// after another has ended (new filters). Matching and boxes use raw values.
func TestTrackerSmoothing(t *testing.T) {
	const rate = 10.0
	tr := newTracker(t, func(c *Config) { c.Smooth = true; c.FrameRate = rate; c.MaxMissed = 2 })
	ref := make([]OneEuro, 34)
	for k := range ref {
		ref[k].Params = MMPoseOneEuro
	}
	x := []float64{100, 101, 103, 103, 110}
	for f, xf := range x {
		sec := float64(f) / rate
		raw := person(xf, 50+float64(f), 0.9)
		r, err := tr.Update(f, sec, []pipeline.Pose{raw})
		if err != nil {
			t.Fatal(err)
		}
		got := r.People[0].Pose.Keypoints
		for k := range got {
			wx, _ := ref[2*k].Filter(raw.Keypoints[k].X, sec*rate)
			wy, _ := ref[2*k+1].Filter(raw.Keypoints[k].Y, sec*rate)
			if got[k].X != wx || got[k].Y != wy || got[k].Score != raw.Keypoints[k].Score {
				t.Fatalf("frame %d keypoint %d: (%v, %v), want (%v, %v)", f, k, got[k].X, got[k].Y, wx, wy)
			}
		}
		if f == 0 && !reflect.DeepEqual(got, raw.Keypoints) {
			t.Error("the first frame was changed")
		}
		if f == 1 && math.Abs(got[0].X-(130+0.7925084878053853)) > 1e-12 { // nose x: 130 -> 131, see TestOneEuroKnownSteps
			t.Errorf("frame 1 nose x %v, want 130.7925084878053853", got[0].X)
		}
		if b := tr.Boxes()[0].Box; b != PoseBox(raw, 0.3, 3) {
			t.Errorf("frame %d: box %+v from smoothed keypoints", f, b)
		}
	}
	// End the track, start another far away: it passes unchanged.
	tr.Update(5, 0.5, nil)
	r, _ := tr.Update(6, 0.6, nil)
	if !reflect.DeepEqual(r.Ended, []int{1}) {
		t.Fatalf("ended %v", r.Ended)
	}
	raw := person(400, 50, 0.9)
	r, _ = tr.Update(7, 0.7, []pipeline.Pose{raw})
	if r.People[0].ID != 2 || !reflect.DeepEqual(r.People[0].Pose.Keypoints, raw.Keypoints) {
		t.Errorf("a new track's first pose was smoothed: %+v", r.People[0])
	}
	// The input poses are not modified.
	if raw.Keypoints[0].X != 430 {
		t.Error("Update changed its input")
	}
}

// TestTrackerBadInput: errors name the problem and leave the tracker as it
// was.
func TestTrackerBadInput(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.Smooth = true })
	if _, err := tr.Update(5, 1, []pipeline.Pose{person(0, 0, 0.9)}); err != nil {
		t.Fatal(err)
	}
	short := person(0, 0, 0.9)
	short.Keypoints = short.Keypoints[:5]
	nanKp := person(0, 0, 0.9)
	nanKp.Keypoints[3].X = math.NaN()
	infBox := person(0, 0, 0.9)
	infBox.Box.W = math.Inf(1)
	for _, c := range []struct {
		frame int
		sec   float64
		poses []pipeline.Pose
	}{
		{6, 2, []pipeline.Pose{short}},
		{6, 2, []pipeline.Pose{nanKp}},
		{6, 2, []pipeline.Pose{infBox}},
		{5, 2, nil},          // frame does not increase
		{6, 0.5, nil},        // time goes back
		{6, 1, nil},          // time repeats while smoothing
		{6, math.NaN(), nil}, // time not finite
	} {
		if _, err := tr.Update(c.frame, c.sec, c.poses); err == nil {
			t.Errorf("Update(%d, %v, ...) accepted", c.frame, c.sec)
		}
	}
	r, err := tr.Update(6, 2, []pipeline.Pose{person(1, 0, 0.9)})
	if err != nil || r.People[0].ID != 1 || len(r.Lost) != 0 {
		t.Errorf("after the errors: %+v %v", r, err)
	}
	for _, mod := range []func(*Config){
		func(c *Config) { c.OKSThreshold = 1 },
		func(c *Config) { c.IoUThreshold = -0.1 },
		func(c *Config) { c.MinKeypoints = 0 },
		func(c *Config) { c.MaxMissed = 0 },
		func(c *Config) { c.Sigmas = nil },
		func(c *Config) { c.Sigmas[2] = 0 },
		func(c *Config) { c.FrameRate = math.Inf(1) },
		func(c *Config) { c.Smooth = true; c.OneEuro.MinCutoff = 0 },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := NewTracker(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestTrackerDeterministic: the same input gives the same output.
func TestTrackerDeterministic(t *testing.T) {
	run := func() []UpdateResult {
		tr := newTracker(t, func(c *Config) { c.Smooth = true })
		var out []UpdateResult
		for f := 0; f < 20; f++ {
			var poses []pipeline.Pose
			for k := 0; k < 4; k++ {
				if (f+k)%7 != 0 {
					poses = append(poses, person(float64(60*k+3*f), float64(10*k), 0.2+0.2*float64(k)))
				}
			}
			r, err := tr.Update(f, float64(f)/30, poses)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	if a, b := run(), run(); !reflect.DeepEqual(a, b) {
		t.Error("two runs differ")
	}
}

// TestLimitBoxStep checks the clamp on a track's box from one frame to the
// next: sizes within a factor of the previous box pass unchanged, larger
// changes are clamped about the new centre, and a previous box without an
// area leaves the new one alone.
func TestLimitBoxStep(t *testing.T) {
	near := func(a, b pipeline.Box) bool {
		return math.Abs(a.X-b.X) < 1e-9 && math.Abs(a.Y-b.Y) < 1e-9 && math.Abs(a.W-b.W) < 1e-9 && math.Abs(a.H-b.H) < 1e-9
	}
	prev := pipeline.Box{X: 10, Y: 20, W: 100, H: 200}
	in := pipeline.Box{X: 12, Y: 18, W: 110, H: 190}
	if got := LimitBoxStep(in, prev, 1.2); got != in {
		t.Errorf("within the step: %v, want %v", got, in)
	}
	// Collapsed to a point at (50, 60): the previous size / 1.2 about it.
	got := LimitBoxStep(pipeline.Box{X: 50, Y: 60}, prev, 1.2)
	w, h := 100/1.2, 200/1.2
	if want := (pipeline.Box{X: 50 - w/2, Y: 60 - h/2, W: w, H: h}); !near(got, want) {
		t.Errorf("collapsed: %v, want %v", got, want)
	}
	// Too wide and too flat: width down to 120, height up to 200/1.2,
	// about the new centre (500, 50).
	got = LimitBoxStep(pipeline.Box{X: 0, Y: 0, W: 1000, H: 100}, prev, 1.2)
	if want := (pipeline.Box{X: 500 - 60, Y: 50 - h/2, W: 120, H: h}); !near(got, want) {
		t.Errorf("blown up: %v, want %v", got, want)
	}
	if got := LimitBoxStep(in, pipeline.Box{}, 1.2); got != in {
		t.Errorf("no previous area: %v", got)
	}
}
