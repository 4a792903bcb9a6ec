package track

import (
	"fmt"
	"math"
	"sort"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

// Default tracking parameters (see the package doc).
const (
	DefaultOKSThreshold      = 0.3 // match by OKS when OKS > this (mmpose's tracking_thr)
	DefaultIoUThreshold      = 0.3 // match by box IoU when IoU > this (mmpose, rtmlib)
	DefaultKeypointThreshold = 0.3 // a keypoint is confident at this score or more
	DefaultMinKeypoints      = 3   // OKS needs this many confident keypoints in both poses
	DefaultMaxMissed         = 10  // a track ends after this many frames in a row without a match
)

// Config holds a Tracker's parameters. DefaultConfig gives the stated
// defaults.
type Config struct {
	OKSThreshold      float64   // see DefaultOKSThreshold
	IoUThreshold      float64   // see DefaultIoUThreshold
	KeypointThreshold float64   // see DefaultKeypointThreshold
	MinKeypoints      int       // see DefaultMinKeypoints; >= 1
	MaxMissed         int       // K, see DefaultMaxMissed; >= 1
	Sigmas            []float64 // per-keypoint OKS constants; every pose must have len(Sigmas) keypoints
	Smooth            bool      // smooth the returned keypoints with One-Euro filters
	OneEuro           OneEuroParams
	FrameRate         float64 // frames per second, to turn time stamps into frames for the filters; 0: use frame numbers
}

// DefaultConfig returns the stated defaults: COCO's 17 sigmas, no smoothing,
// mmpose's One-Euro parameters for when smoothing is turned on.
func DefaultConfig() Config {
	return Config{
		OKSThreshold:      DefaultOKSThreshold,
		IoUThreshold:      DefaultIoUThreshold,
		KeypointThreshold: DefaultKeypointThreshold,
		MinKeypoints:      DefaultMinKeypoints,
		MaxMissed:         DefaultMaxMissed,
		Sigmas:            append([]float64(nil), coco.Sigmas[:]...),
		OneEuro:           MMPoseOneEuro,
	}
}

// Check reports parameters out of range.
func (c Config) Check() error {
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !fin(c.OKSThreshold) || c.OKSThreshold < 0 || c.OKSThreshold >= 1:
		return fmt.Errorf("track: OKS threshold %v is not in [0, 1)", c.OKSThreshold)
	case !fin(c.IoUThreshold) || c.IoUThreshold < 0 || c.IoUThreshold >= 1:
		return fmt.Errorf("track: IoU threshold %v is not in [0, 1)", c.IoUThreshold)
	case !fin(c.KeypointThreshold):
		return fmt.Errorf("track: keypoint threshold %v is not finite", c.KeypointThreshold)
	case c.MinKeypoints < 1:
		return fmt.Errorf("track: minimum keypoints %d is < 1", c.MinKeypoints)
	case c.MaxMissed < 1:
		return fmt.Errorf("track: max missed frames %d is < 1", c.MaxMissed)
	case len(c.Sigmas) == 0:
		return fmt.Errorf("track: no OKS sigmas")
	case !fin(c.FrameRate) || c.FrameRate < 0:
		return fmt.Errorf("track: frame rate %v is not finite and >= 0", c.FrameRate)
	}
	for i, s := range c.Sigmas {
		if !fin(s) || s <= 0 {
			return fmt.Errorf("track: sigma %d = %v is not finite and > 0", i, s)
		}
	}
	if c.Smooth {
		return c.OneEuro.Check()
	}
	return nil
}

// Tracked is one person of a frame with its track.
type Tracked struct {
	ID    int           // the track id (from 1, never reused)
	Input int           // the index of the pose in the poses given to Update
	New   bool          // the track started in this frame
	Pose  pipeline.Pose // the pose, its keypoints smoothed when Config.Smooth
}

// UpdateResult is what Update says about one frame.
type UpdateResult struct {
	People []Tracked // every pose given, with its track, in order of track id
	Lost   []int     // ids of live tracks that no pose matched in this frame, ascending
	Ended  []int     // ids of tracks that ended in this frame (MaxMissed frames unmatched), ascending
}

// TrackBox is a live track's box for the next frame.
type TrackBox struct {
	ID     int
	Box    pipeline.Box
	Missed int // frames in a row without a match (0: matched in the last frame)
}

// trackState is one live track.
type trackState struct {
	id      int
	last    pipeline.Pose // last matched pose, raw keypoints
	area    float64       // last pose's area for OKS
	box     pipeline.Box  // PoseBox(last)
	nConf   int           // confident keypoints of last
	missed  int
	filters []OneEuro // 2 per keypoint (x, y) when smoothing
}

// Tracker follows people through the frames of one stream (see the package
// doc). It is not safe for concurrent use.
type Tracker struct {
	cfg       Config
	tracks    []*trackState // live tracks, in order of id
	nextID    int
	lastFrame int
	lastTime  float64
	lastFT    float64 // the last filter time, in frames
	started   bool
}

// NewTracker returns a Tracker with parameters cfg.
func NewTracker(cfg Config) (*Tracker, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg.Sigmas = append([]float64(nil), cfg.Sigmas...)
	return &Tracker{cfg: cfg, nextID: 1}, nil
}

// Config returns the tracker's parameters.
func (t *Tracker) Config() Config { return t.cfg }

// confident counts the confident keypoints of kps.
func (t *Tracker) confident(kps []pipeline.Keypoint) int {
	n := 0
	for _, k := range kps {
		if k.Located() && k.Score >= t.cfg.KeypointThreshold {
			n++
		}
	}
	return n
}

// PoseBox returns the box Tracker.Boxes gives for pose p: the box spanned by
// its keypoints with score >= kpThreshold (and located), enlarged about its
// centre by pipeline.Padding, when there are at least minKeypoints of them
// and the box has an area; otherwise p.Box.
func PoseBox(p pipeline.Pose, kpThreshold float64, minKeypoints int) pipeline.Box {
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	n := 0
	for _, k := range p.Keypoints {
		if !k.Located() || k.Score < kpThreshold {
			continue
		}
		n++
		x0, x1 = math.Min(x0, k.X), math.Max(x1, k.X)
		y0, y1 = math.Min(y0, k.Y), math.Max(y1, k.Y)
	}
	if n < minKeypoints || !(x1 > x0) || !(y1 > y0) {
		return p.Box
	}
	cx, cy := (x0+x1)/2, (y0+y1)/2
	w, h := (x1-x0)*pipeline.Padding, (y1-y0)*pipeline.Padding
	return pipeline.Box{X: cx - w/2, Y: cy - h/2, W: w, H: h}
}

// MaxBoxStep is the largest factor by which a track's box may grow or
// shrink, in width and in height, from the box its last pose was estimated
// from to the box for the next frame (see LimitBoxStep).
const MaxBoxStep = 1.2

// LimitBoxStep returns next with its width and height clamped to within a
// factor step of prev's (its centre kept): a pose whose confident keypoints
// bunch together (a poor estimate, a person turning side on) cannot
// collapse a track's box from one frame to the next, nor a pose with a
// stray keypoint blow it up; real changes of size still come through, over
// a few frames. A prev without an area leaves next as it is.
func LimitBoxStep(next, prev pipeline.Box, step float64) pipeline.Box {
	if !(prev.W > 0 && prev.H > 0) {
		return next
	}
	cx, cy := next.X+next.W/2, next.Y+next.H/2
	w := math.Min(math.Max(next.W, prev.W/step), prev.W*step)
	h := math.Min(math.Max(next.H, prev.H/step), prev.H*step)
	return pipeline.Box{X: cx - w/2, Y: cy - h/2, W: w, H: h}
}

// poseArea is a pose's area for OKS: its crop frame's SW x SH, or, when the
// frame is not set, that of the frame the box rule gives its box.
func poseArea(p pipeline.Pose) float64 {
	if a := p.Frame.Area(); a > 0 {
		return a
	}
	return p.Box.Frame(pipeline.InputW, pipeline.InputH).Area()
}

// IoU is the intersection over union of two boxes (x, y, w, h; no +1); 0
// when the union is empty.
func IoU(a, b pipeline.Box) float64 {
	ix := math.Min(a.X+a.W, b.X+b.W) - math.Max(a.X, b.X)
	iy := math.Min(a.Y+a.H, b.Y+b.H) - math.Max(a.Y, b.Y)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	union := a.W*a.H + b.W*b.H - inter
	if !(union > 0) {
		return 0
	}
	return inter / union
}

// checkPose reports a pose that cannot be tracked.
func (t *Tracker) checkPose(i int, p pipeline.Pose) error {
	if len(p.Keypoints) != len(t.cfg.Sigmas) {
		return fmt.Errorf("track: pose %d has %d keypoints, the tracker's sigmas %d", i, len(p.Keypoints), len(t.cfg.Sigmas))
	}
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, v := range [4]float64{p.Box.X, p.Box.Y, p.Box.W, p.Box.H} {
		if !fin(v) {
			return fmt.Errorf("track: pose %d: box %+v is not finite", i, p.Box)
		}
	}
	if p.Box.W < 0 || p.Box.H < 0 {
		return fmt.Errorf("track: pose %d: box %+v has a negative side", i, p.Box)
	}
	for k, kp := range p.Keypoints {
		if !fin(kp.X) || !fin(kp.Y) || !fin(kp.Score) {
			return fmt.Errorf("track: pose %d keypoint %d (%v, %v, score %v) is not finite", i, k, kp.X, kp.Y, kp.Score)
		}
	}
	if a := poseArea(p); !fin(a) || a < 0 {
		return fmt.Errorf("track: pose %d: area %v is not finite and >= 0", i, a)
	}
	return nil
}

// pair is a candidate match of pose i to live track j (index in t.tracks).
type pair struct {
	i, j int
	s    float64
}

// greedy accepts pairs in order of similarity, high to low (ties: lower pose
// index, then lower track id), when neither side is taken.
func greedy(pairs []pair, poseTrack, trackPose []int) {
	sort.SliceStable(pairs, func(a, b int) bool {
		if pairs[a].s != pairs[b].s {
			return pairs[a].s > pairs[b].s
		}
		if pairs[a].i != pairs[b].i {
			return pairs[a].i < pairs[b].i
		}
		return pairs[a].j < pairs[b].j
	})
	for _, p := range pairs {
		if poseTrack[p.i] < 0 && trackPose[p.j] < 0 {
			poseTrack[p.i], trackPose[p.j] = p.j, p.i
		}
	}
}

// Update takes the poses of frame number frame, at time seconds from the
// start of the stream, and returns them with their tracks, and the tracks
// lost and ended (see the package doc). Frame numbers must increase from call
// to call, and so must times when smoothing (they may repeat otherwise). Bad
// input (a wrong number of keypoints, values that are not finite) is an
// error and leaves the tracker as it was.
func (t *Tracker) Update(frame int, seconds float64, poses []pipeline.Pose) (UpdateResult, error) {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return UpdateResult{}, fmt.Errorf("track: frame %d: time %v is not finite", frame, seconds)
	}
	if t.started && frame <= t.lastFrame {
		return UpdateResult{}, fmt.Errorf("track: frame %d does not follow frame %d", frame, t.lastFrame)
	}
	if t.started && (seconds < t.lastTime || (t.cfg.Smooth && seconds == t.lastTime)) {
		return UpdateResult{}, fmt.Errorf("track: frame %d at %v s does not follow frame %d at %v s", frame, seconds, t.lastFrame, t.lastTime)
	}
	for i, p := range poses {
		if err := t.checkPose(i, p); err != nil {
			return UpdateResult{}, fmt.Errorf("frame %d: %w", frame, err)
		}
	}

	// Similarities and the two greedy rounds.
	nConf := make([]int, len(poses))
	areas := make([]float64, len(poses))
	boxes := make([]pipeline.Box, len(poses))
	for i, p := range poses {
		nConf[i] = t.confident(p.Keypoints)
		areas[i] = poseArea(p)
		boxes[i] = PoseBox(p, t.cfg.KeypointThreshold, t.cfg.MinKeypoints)
	}
	var oksPairs, iouPairs []pair
	for i, p := range poses {
		for j, tr := range t.tracks {
			if nConf[i] >= t.cfg.MinKeypoints && tr.nConf >= t.cfg.MinKeypoints {
				s, err := pipeline.OKS(p.Keypoints, tr.last.Keypoints, areas[i], tr.area, t.cfg.Sigmas)
				if err != nil {
					return UpdateResult{}, fmt.Errorf("track: frame %d pose %d: %w", frame, i, err)
				}
				if s > t.cfg.OKSThreshold {
					oksPairs = append(oksPairs, pair{i, j, s})
				}
			} else if s := IoU(boxes[i], tr.box); s > t.cfg.IoUThreshold {
				iouPairs = append(iouPairs, pair{i, j, s})
			}
		}
	}
	poseTrack := make([]int, len(poses))
	trackPose := make([]int, len(t.tracks))
	for i := range poseTrack {
		poseTrack[i] = -1
	}
	for j := range trackPose {
		trackPose[j] = -1
	}
	greedy(oksPairs, poseTrack, trackPose)
	greedy(iouPairs, poseTrack, trackPose)

	// Filter times (in frames) are checked before any state changes.
	ft := float64(frame)
	if t.cfg.FrameRate > 0 {
		ft = seconds * t.cfg.FrameRate
	}
	if t.cfg.Smooth && t.started && !(ft > t.lastFT) {
		return UpdateResult{}, fmt.Errorf("track: frame %d: filter time %v frames does not follow %v", frame, ft, t.lastFT)
	}

	var res UpdateResult
	live := t.tracks[:0:0]
	for j, tr := range t.tracks {
		if i := trackPose[j]; i >= 0 {
			tr.missed = 0
			out, err := t.take(tr, poses[i], ft)
			if err != nil {
				return UpdateResult{}, fmt.Errorf("track: frame %d: %w", frame, err)
			}
			res.People = append(res.People, Tracked{ID: tr.id, Input: i, Pose: out})
			live = append(live, tr)
			continue
		}
		tr.missed++
		if tr.missed >= t.cfg.MaxMissed {
			res.Ended = append(res.Ended, tr.id)
			continue
		}
		res.Lost = append(res.Lost, tr.id)
		live = append(live, tr)
	}
	for i, p := range poses {
		if poseTrack[i] >= 0 {
			continue
		}
		tr := &trackState{id: t.nextID}
		t.nextID++
		out, err := t.take(tr, p, ft)
		if err != nil {
			return UpdateResult{}, fmt.Errorf("track: frame %d: %w", frame, err)
		}
		res.People = append(res.People, Tracked{ID: tr.id, Input: i, New: true, Pose: out})
		live = append(live, tr)
	}
	t.tracks = live
	t.started, t.lastFrame, t.lastTime, t.lastFT = true, frame, seconds, ft
	sort.SliceStable(res.People, func(a, b int) bool { return res.People[a].ID < res.People[b].ID })
	return res, nil
}

// take makes p the last pose of tr and returns the pose to report: p with
// its keypoints smoothed when smoothing is on (ft: the time in frames). The
// filters cannot fail here: values were checked and times increase.
func (t *Tracker) take(tr *trackState, p pipeline.Pose, ft float64) (pipeline.Pose, error) {
	p.Keypoints = append([]pipeline.Keypoint(nil), p.Keypoints...)
	tr.last = p
	tr.area = poseArea(p)
	tr.box = LimitBoxStep(PoseBox(p, t.cfg.KeypointThreshold, t.cfg.MinKeypoints), p.Box, MaxBoxStep)
	tr.nConf = t.confident(p.Keypoints)
	if !t.cfg.Smooth {
		return p, nil
	}
	if tr.filters == nil {
		tr.filters = make([]OneEuro, 2*len(p.Keypoints))
		for k := range tr.filters {
			tr.filters[k].Params = t.cfg.OneEuro
		}
	}
	out := p
	out.Keypoints = append([]pipeline.Keypoint(nil), p.Keypoints...)
	for k := range out.Keypoints {
		x, err := tr.filters[2*k].Filter(out.Keypoints[k].X, ft)
		if err != nil {
			return pipeline.Pose{}, err
		}
		y, err := tr.filters[2*k+1].Filter(out.Keypoints[k].Y, ft)
		if err != nil {
			return pipeline.Pose{}, err
		}
		out.Keypoints[k].X, out.Keypoints[k].Y = x, y
	}
	return out, nil
}

// Boxes returns every live track's box for the next frame (PoseBox of its
// last matched pose), in order of track id. Lost tracks are included, with
// Missed > 0.
func (t *Tracker) Boxes() []TrackBox {
	out := make([]TrackBox, len(t.tracks))
	for j, tr := range t.tracks {
		out[j] = TrackBox{ID: tr.id, Box: tr.box, Missed: tr.missed}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// Live returns the number of live tracks.
func (t *Tracker) Live() int { return len(t.tracks) }
