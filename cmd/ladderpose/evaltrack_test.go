package main

import (
	"context"
	"image"
	"math"
	"testing"

	"github.com/ladderpose/ladderpose/synth"
)

// truthAsPredictions turns a sequence's truth into "video" records: each
// visible person with its box and its labelled keypoints (score 1).
func truthAsPredictions(gt *synth.VideoTruth) []videoRecord {
	recs := make([]videoRecord, gt.Frames)
	for f, fr := range gt.PerFrame {
		recs[f] = videoRecord{Frame: f, Time: fr.Time}
		for _, p := range fr.People {
			vp := videoPerson{Track: p.Track, Box: p.Box, Score: 1, Keypoints: make([][3]float64, 17)}
			for k := range vp.Keypoints {
				s := 0.0
				if p.Keypoints[3*k+2] > 0 {
					s = 1
				}
				vp.Keypoints[k] = [3]float64{p.Keypoints[3*k], p.Keypoints[3*k+1], s}
			}
			recs[f].People = append(recs[f].People, vp)
		}
	}
	return recs
}

// TestEvalTracking scores predictions made from the truth itself (MOTA,
// IDF1 and keypoint AP 1, no ID switch), then the same with the two
// crossing people's ids swapped from the middle of the sequence on (two ID
// switches, IDF1 below 1), and rejects lines outside the sequence.
func TestEvalTracking(t *testing.T) {
	gt, err := synth.GenerateVideo(context.Background(), synth.VideoOptions{Seed: 3, Width: 160, Height: 120, Frames: 12, People: 2}, func(int, *image.RGBA) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	recs := truthAsPredictions(gt)
	r, err := evalTracking(gt, recs)
	if err != nil {
		t.Fatal(err)
	}
	if r.MOT.MOTA != 1 || r.MOT.IDF1 != 1 || r.MOT.IDSW != 0 || r.KeypointAP != 1 {
		t.Errorf("truth as predictions: MOTA %v IDF1 %v IDSW %d AP %v, want 1, 1, 0, 1", r.MOT.MOTA, r.MOT.IDF1, r.MOT.IDSW, r.KeypointAP)
	}
	both := 0
	for f := gt.Frames / 2; f < gt.Frames; f++ {
		if len(recs[f].People) == 2 {
			both++
		}
		for i := range recs[f].People {
			recs[f].People[i].Track = 3 - recs[f].People[i].Track
		}
	}
	if both == 0 {
		t.Fatal("the two people are never both visible in the second half")
	}
	r, err = evalTracking(gt, recs)
	if err != nil {
		t.Fatal(err)
	}
	if r.MOT.IDSW != 2 || !(r.MOT.IDF1 < 1) || math.Abs(r.MOT.MOTA-(1-2/float64(r.MOT.GT))) > 1e-12 {
		t.Errorf("swapped ids: IDSW %d, IDF1 %v, MOTA %v (GT %d); want 2 switches, IDF1 < 1, MOTA 1 - 2/GT", r.MOT.IDSW, r.MOT.IDF1, r.MOT.MOTA, r.MOT.GT)
	}
	if _, err := evalTracking(gt, append(recs, videoRecord{Frame: gt.Frames})); err == nil {
		t.Error("a frame past the sequence: no error")
	}
	if _, err := evalTracking(gt, append(recs, recs[0])); err == nil {
		t.Error("a frame twice: no error")
	}
}
