package ladderpose

import (
	"context"
	"image"
	"image/draw"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/sample"
	"github.com/ladderpose/ladderpose/track"
)

// shifted returns img moved right by dx pixels (the left edge repeated).
func shifted(img image.Image, dx int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)
	draw.Draw(out, image.Rect(b.Min.X+dx, b.Min.Y, b.Max.X, b.Max.Y), img, b.Min, draw.Src)
	return out
}

// TestTrackerFollowsPeople runs the bundled demo model's tracker over the
// sample photo's two people drifting right by 2 pixels a frame, from boxes
// given for the first frame (no detector): both keep their ids in every
// frame, no new track starts after the first frame, and smoothing changes
// the keypoints but not the ids.
func TestTrackerFollowsPeople(t *testing.T) {
	e, err := LoadBytes("demo", sample.Demo())
	if err != nil {
		t.Fatal(err)
	}
	img, err := LoadImage(SampleImage)
	if err != nil {
		t.Fatal(err)
	}
	boxes := []Box{NewBox(174.5, 61.5, 80, 130), NewBox(57.5, 55.5, 110, 132)}
	ctx := context.Background()
	for _, smooth := range []bool{false, true} {
		cfg := track.DefaultConfig()
		cfg.Smooth, cfg.FrameRate = smooth, 10
		tr, err := e.NewTracker(TrackerOptions{Boxes: boxes, Track: cfg})
		if err != nil {
			t.Fatal(err)
		}
		var first []int
		for f := 0; f < 8; f++ {
			got, err := tr.Update(ctx, shifted(img, 2*f), float64(f)/10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for _, p := range got {
				ids = append(ids, p.Track)
				if f > 0 && p.New {
					t.Errorf("smooth %v frame %d: track %d started after the first frame", smooth, f, p.Track)
				}
			}
			if f == 0 {
				first = ids
				if len(ids) != 2 {
					t.Fatalf("frame 0: %d tracks, want the 2 people", len(ids))
				}
				continue
			}
			if len(ids) != 2 || ids[0] != first[0] || ids[1] != first[1] {
				t.Errorf("smooth %v frame %d: tracks %v, want %v", smooth, f, ids, first)
			}
		}
		if tr.Frames() != 8 {
			t.Errorf("Frames %d", tr.Frames())
		}
	}
	if _, err := e.NewTracker(TrackerOptions{DetectEvery: -1}); err == nil || !strings.Contains(err.Error(), "DetectEvery") {
		t.Errorf("DetectEvery -1: err %v", err)
	}
	bad := track.DefaultConfig()
	bad.MaxMissed = 0
	bad.MinKeypoints = 3
	if _, err := e.NewTracker(TrackerOptions{Track: bad}); err == nil {
		t.Error("MaxMissed 0: no error")
	}
}

// TestTrackerWithDetector runs the tracker with a (random-weight) detector
// on a still frame: the detector runs on the first frame and every
// DetectEvery-th, the same people keep their ids.
func TestTrackerWithDetector(t *testing.T) {
	det := personDetectorFolder(t)
	e, err := LoadBytes("demo", sample.Demo(), WithDetector(det), WithPersonThreshold(0.05))
	if err != nil {
		t.Fatal(err)
	}
	img, err := LoadImage(SampleImage)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.NewTracker(TrackerOptions{DetectEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var prev map[int]bool
	for f := 0; f < 6; f++ {
		got, err := tr.Update(ctx, img, float64(f))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Fatalf("frame %d: nobody", f)
		}
		ids := map[int]bool{}
		for _, p := range got {
			ids[p.Track] = true
		}
		if prev != nil {
			kept := 0
			for id := range ids {
				if prev[id] {
					kept++
				}
			}
			if kept == 0 {
				t.Errorf("frame %d: no track kept from the frame before (%v -> %v)", f, prev, ids)
			}
		}
		prev = ids
	}
}
