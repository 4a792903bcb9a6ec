package ladderpose

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/track"
)

// TrackerOptions tune a Tracker. The zero value (with Track from
// track.DefaultConfig, filled in by NewTracker when its Sigmas are nil)
// runs the detector on every frame.
type TrackerOptions struct {
	// DetectEvery runs the estimator's detector on every DetectEvery-th
	// frame (the first frame included), and on the frame after one in
	// which a track was lost or when no track is live; in between, each
	// track's box comes from its last pose (track.PoseBox). 0 or 1: every
	// frame. Without a detector it does nothing.
	DetectEvery int
	// Boxes are the people of the first frame when the estimator has no
	// detector (empty: the whole frame is one person); they are then
	// followed by their poses. With a detector they are ignored.
	Boxes []Box
	// Track holds the matching thresholds, how long a lost track lives,
	// and the One-Euro smoothing (track.Config; Sigmas nil: the
	// estimator's OKS sigmas).
	Track track.Config
}

// TrackedPose is one person of a frame with its track id.
type TrackedPose struct {
	// Track is the person's id: from 1, the same through the frames,
	// never reused.
	Track int
	// New reports that the track started in this frame.
	New bool
	// Pose is the person's pose; with smoothing (TrackerOptions.Track's
	// Smooth) its keypoint positions are the smoothed ones.
	Pose Pose
}

// Tracker follows people through the frames of one video with an
// Estimator, top-down as mmpose's pose tracker and rtmlib's PoseTracker do:
// the detector finds people every DetectEvery frames (and when a track is
// lost), each track's box in between comes from its last pose, and new
// poses are matched to tracks by OKS (by box IoU for poses with too few
// confident keypoints; see package track). It holds all the per-stream
// state and is not safe for concurrent use; one Estimator can serve many
// Trackers at once.
type Tracker struct {
	est      *Estimator
	opt      TrackerOptions
	tr       *track.Tracker
	frame    int             // frames seen
	sinceDet int             // frames since the detector last ran
	lost     bool            // a track was lost in the last frame
	scores   map[int]float64 // each live track's box score
}

// NewTracker returns a Tracker over the estimator.
func (e *Estimator) NewTracker(opt TrackerOptions) (*Tracker, error) {
	if opt.DetectEvery < 0 {
		return nil, fmt.Errorf("ladderpose: tracker: DetectEvery %d is negative", opt.DetectEvery)
	}
	cfg := opt.Track
	if cfg.MaxMissed == 0 && cfg.MinKeypoints == 0 && cfg.OKSThreshold == 0 && cfg.IoUThreshold == 0 {
		smooth, rate := cfg.Smooth, cfg.FrameRate
		cfg = track.DefaultConfig()
		cfg.Smooth, cfg.FrameRate = smooth, rate
		if opt.Track.OneEuro != (track.OneEuroParams{}) {
			cfg.OneEuro = opt.Track.OneEuro
		}
		cfg.Sigmas = opt.Track.Sigmas
	}
	if cfg.Sigmas == nil {
		cfg.Sigmas = e.sigmas
	}
	tr, err := track.NewTracker(cfg)
	if err != nil {
		return nil, fmt.Errorf("ladderpose: tracker: %w", err)
	}
	opt.Track = cfg
	opt.Boxes = append([]Box(nil), opt.Boxes...)
	return &Tracker{est: e, opt: opt, tr: tr, scores: map[int]float64{}}, nil
}

// Update estimates and tracks the people of the next frame, at time
// seconds from the start of the stream (times must increase when
// smoothing), and returns them in order of track id. ctx is checked before
// the network runs.
func (t *Tracker) Update(ctx context.Context, frame image.Image, seconds float64) ([]TrackedPose, error) {
	if frame == nil {
		return nil, errors.New("ladderpose: tracker: no frame")
	}
	boxes, err := t.boxes(ctx, frame)
	if err != nil {
		return nil, err
	}
	var poses []Pose
	if len(boxes) > 0 {
		if poses, err = t.est.Estimate(ctx, frame, boxes); err != nil {
			return nil, err
		}
	}
	pp := make([]pipeline.Pose, len(poses))
	for i, p := range poses {
		pp[i] = pipeline.Pose{Box: pipeline.Box{X: p.Box.X, Y: p.Box.Y, W: p.Box.W, H: p.Box.H}, Frame: p.Frame,
			Keypoints: p.Keypoints, BoxScore: p.Box.Score, Score: p.Score}
	}
	res, err := t.tr.Update(t.frame, seconds, pp)
	if err != nil {
		return nil, fmt.Errorf("ladderpose: tracker: frame %d: %w", t.frame, err)
	}
	t.frame++
	t.lost = len(res.Lost) > 0
	for _, id := range res.Ended {
		delete(t.scores, id)
	}
	out := make([]TrackedPose, len(res.People))
	for i, r := range res.People {
		p := poses[r.Input]
		p.Keypoints = r.Pose.Keypoints
		t.scores[r.ID] = p.Box.Score
		out[i] = TrackedPose{Track: r.ID, New: r.New, Pose: p}
	}
	return out, nil
}

// boxes returns the person boxes to estimate in the next frame: the
// detector's on detection frames, else the live tracks' (and, without a
// detector, the first frame's given boxes).
func (t *Tracker) boxes(ctx context.Context, frame image.Image) ([]Box, error) {
	if t.est.det != nil {
		every := max(t.opt.DetectEvery, 1)
		if t.frame == 0 || t.lost || t.tr.Live() == 0 || t.sinceDet+1 >= every {
			t.sinceDet = 0
			found, err := t.est.DetectPeople(ctx, []image.Image{frame})
			if err != nil {
				return nil, err
			}
			return found[0], nil
		}
		t.sinceDet++
		return t.trackBoxes(true), nil
	}
	if t.frame == 0 {
		if len(t.opt.Boxes) > 0 {
			return t.opt.Boxes, nil
		}
		b := frame.Bounds()
		return []Box{NewBox(float64(b.Min.X), float64(b.Min.Y), float64(b.Dx()), float64(b.Dy()))}, nil
	}
	// Without a detector a lost track is looked for again at its last box
	// until it ends.
	return t.trackBoxes(false), nil
}

// trackBoxes returns the live tracks' boxes, with their last box scores;
// onlyMatched leaves out the tracks lost in the last frame.
func (t *Tracker) trackBoxes(onlyMatched bool) []Box {
	var out []Box
	for _, tb := range t.tr.Boxes() {
		if onlyMatched && tb.Missed > 0 {
			continue
		}
		s, ok := t.scores[tb.ID]
		if !ok {
			s = 1
		}
		out = append(out, Box{X: tb.Box.X, Y: tb.Box.Y, W: tb.Box.W, H: tb.Box.H, Score: s})
	}
	return out
}

// Frames returns the number of frames the tracker has seen.
func (t *Tracker) Frames() int { return t.frame }
