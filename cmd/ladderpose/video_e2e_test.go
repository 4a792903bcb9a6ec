package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ladderpose/ladderpose/synth"
	"github.com/ladderpose/ladderpose/video"
)

// maxCrossingSwitches is the most ID switches the end-to-end run may make
// on the synthetic crossing. The bundled demo model is small and was
// trained on people facing the camera: on these side-on walkers it is weak
// (keypoint AP 0.03 even from the true boxes), its tracks drift, and one
// switch while one person hides the other is tolerated, not two. The
// tracker's own logic is checked exactly in package track (a crossing with
// no switch, MOTA 1, on poses that are right).
const maxCrossingSwitches = 1

// TestVideoEndToEnd is the CI check: a short synthetic video of two
// people crossing (synth -video), tracked with the bundled demo model from
// boxes given for the first frame; as many JSON lines as frames, at most
// maxCrossingSwitches ID switches through the crossing, and a drawn video
// that decodes to the same number of frames at the same size and rate.
func TestVideoEndToEnd(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	opt := synth.VideoOptions{Seed: 1, Width: 256, Height: 192, Frames: 60, People: 2}
	gt, err := synth.WriteVideo(context.Background(), opt, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-out", filepath.Join(dir, "poses.jsonl"), "-draw", filepath.Join(dir, "drawn.mp4")}
	for _, p := range gt.PerFrame[0].People {
		args = append(args, "-box", fmt.Sprintf("%g,%g,%g,%g", p.Box[0], p.Box[1], p.Box[2], p.Box[3]))
	}
	var stderr bytes.Buffer
	if err := runVideo(append(args, filepath.Join(dir, synth.VideoFileName)), &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	recs := readJSONLines(t, filepath.Join(dir, "poses.jsonl"))
	if len(recs) != opt.Frames {
		t.Fatalf("%d JSON lines for %d frames", len(recs), opt.Frames)
	}
	r, err := evalTracking(gt, recs)
	if err != nil {
		t.Fatal(err)
	}
	m := r.MOT
	t.Logf("MOTA %.3f MOTP %.3f IDF1 %.3f, ID switches %d, misses %d, false positives %d; keypoint AP %.3f", m.MOTA, m.MOTP, m.IDF1, m.IDSW, m.FN, m.FP, r.KeypointAP)
	if m.IDSW > maxCrossingSwitches {
		t.Errorf("%d ID switches through the crossing, want at most %d", m.IDSW, maxCrossingSwitches)
	}
	// eval -track prints the same numbers.
	var evalOut bytes.Buffer
	if err := runEval([]string{"-track", "-gt", filepath.Join(dir, synth.TracksFileName), "-dt", filepath.Join(dir, "poses.jsonl"), "-json"}, &evalOut, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var viaCmd trackEval
	if err := json.Unmarshal(evalOut.Bytes(), &viaCmd); err != nil {
		t.Fatalf("eval -track -json: %v\n%s", err, evalOut.String())
	}
	if viaCmd.MOT.IDSW != m.IDSW || viaCmd.MOT.GT != m.GT || viaCmd.Lines != len(recs) {
		t.Errorf("eval -track: %+v, want %+v", viaCmd.MOT, m)
	}
	n := countFrames(t, filepath.Join(dir, "drawn.mp4"))
	info, err := video.Probe(context.Background(), filepath.Join(dir, "drawn.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if n != opt.Frames || info.Width != opt.Width || info.Height != opt.Height || info.FrameRate.Float() != 25 {
		t.Errorf("drawn video: %d frames %dx%d at %v fps; want %d %dx%d at 25", n, info.Width, info.Height, info.FrameRate, opt.Frames, opt.Width, opt.Height)
	}
}
