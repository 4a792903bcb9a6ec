package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
	"github.com/ladderpose/ladderpose/track"
)

const evalTrackUsage = `usage: ladderpose eval -track -gt tracks.json -dt poses.jsonl [-json]

Evaluates tracked poses ("ladderpose video"'s JSON lines) against a
synthetic sequence's ground truth ("ladderpose synth -video"'s tracks.json):

  - CLEAR MOT (Bernardin and Stiefelhagen 2008) on boxes, frame by frame as
    py-motmetrics does: a ground-truth person matches a track when their
    boxes' IoU is at least 0.5, previous correspondences kept while they
    still match, the rest assigned by the Hungarian algorithm; MOTA =
    1 - (FN + FP + IDSW) / GT, MOTP = mean 1 - IoU of the matches, IDSW the
    ID switches.
  - IDF1 (Ristani et al. 2016): 2 IDTP / (2 IDTP + IDFP + IDFN) under the
    one-to-one matching of ground-truth and predicted trajectories that
    maximises IDTP (frames in which a matched pair's boxes match).
  - Keypoint AP over all frames: COCO's keypoint evaluation (as "eval"
    computes it, pycocotools' numbers) with each frame an image (image_id =
    frame number), each tracked person a result scored by its person score.

A person's predicted box is its JSON line's "box": the box its pose was
estimated from (the detector's, or the track's box from its last pose);
the ground truth's is the tight box of the person's visible pixels. Every
frame of the sequence counts; a frame without a JSON line has no
predictions.

flags:`

// runEvalTrack implements "ladderpose eval -track".
func runEvalTrack(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval -track", stderr)
	fs.Bool("track", true, "evaluate tracking (this mode)")
	gtPath := fs.String("gt", "", "the sequence's ground truth `file` (tracks.json from synth -video)")
	dtPath := fs.String("dt", "", "the tracked poses `file` (JSON lines from video)")
	asJSON := fs.Bool("json", false, "print the numbers as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, evalTrackUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *gtPath == "" || *dtPath == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: need -gt tracks.json and -dt poses.jsonl", errUsage)
	}
	gt, err := synth.ReadVideoTruth(*gtPath)
	if err != nil {
		return err
	}
	recs, err := readVideoLines(*dtPath)
	if err != nil {
		return err
	}
	r, err := evalTracking(gt, recs)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		return enc.Encode(r)
	}
	m := r.MOT
	fmt.Fprintf(stdout, "frames %d, ground-truth boxes %d, predicted boxes %d\n", m.Frames, m.GT, m.Pred)
	fmt.Fprintf(stdout, "MOTA %.4f  MOTP %.4f  IDF1 %.4f  IDP %.4f  IDR %.4f\n", m.MOTA, m.MOTP, m.IDF1, m.IDP, m.IDR)
	fmt.Fprintf(stdout, "ID switches %d, misses %d, false positives %d, matches %d\n", m.IDSW, m.FN, m.FP, m.Matches)
	fmt.Fprintf(stdout, "keypoint AP %.4f (AP50 %.4f, AP75 %.4f)\n", r.KeypointAP, r.KeypointAP50, r.KeypointAP75)
	return nil
}

// trackEval is what eval -track reports.
type trackEval struct {
	MOT          track.MOTResult `json:"mot"`
	KeypointAP   float64         `json:"keypoint_ap"`
	KeypointAP50 float64         `json:"keypoint_ap50"`
	KeypointAP75 float64         `json:"keypoint_ap75"`
	Frames       int             `json:"frames"`
	Lines        int             `json:"lines"`
}

// readVideoLines reads "video"'s JSON lines, naming the first bad line.
func readVideoLines(path string) ([]videoRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []videoRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var r videoRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// evalTracking scores tracked poses against a synthetic sequence's truth.
func evalTracking(gt *synth.VideoTruth, recs []videoRecord) (*trackEval, error) {
	pred := make([][]videoPerson, gt.Frames)
	seen := make([]bool, gt.Frames)
	for i, r := range recs {
		if r.Frame < 0 || r.Frame >= gt.Frames {
			return nil, fmt.Errorf("line %d: frame %d outside the sequence's 0..%d", i+1, r.Frame, gt.Frames-1)
		}
		if seen[r.Frame] {
			return nil, fmt.Errorf("line %d: frame %d a second time", i+1, r.Frame)
		}
		seen[r.Frame] = true
		pred[r.Frame] = r.People
	}
	frames := make([]track.MOTFrame, gt.Frames)
	var results []coco.Result
	for f := range frames {
		for _, p := range gt.PerFrame[f].People {
			frames[f].GT = append(frames[f].GT, track.Object{ID: p.Track, Box: pipeline.Box{X: p.Box[0], Y: p.Box[1], W: p.Box[2], H: p.Box[3]}})
		}
		for j, p := range pred[f] {
			for _, v := range p.Box {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("frame %d: person %d: box %v is not finite", f, j, p.Box)
				}
			}
			frames[f].Pred = append(frames[f].Pred, track.Object{ID: p.Track, Box: pipeline.Box{X: p.Box[0], Y: p.Box[1], W: p.Box[2], H: p.Box[3]}})
			kps := make([]float64, 0, 3*len(p.Keypoints))
			for _, k := range p.Keypoints {
				kps = append(kps, k[0], k[1], k[2])
			}
			results = append(results, coco.Result{ImageID: int64(f), CategoryID: 1, Keypoints: kps, Score: p.Score})
		}
	}
	mot, err := track.EvaluateMOT(frames)
	if err != nil {
		return nil, err
	}
	out := &trackEval{MOT: mot, Frames: gt.Frames, Lines: len(recs), KeypointAP: math.NaN(), KeypointAP50: math.NaN(), KeypointAP75: math.NaN()}
	ev, err := coco.Evaluate(gt.COCO(), results)
	if err != nil {
		return nil, fmt.Errorf("keypoint AP: %w", err)
	}
	out.KeypointAP, out.KeypointAP50, out.KeypointAP75 = ev.Stats[0], ev.Stats[1], ev.Stats[2]
	return out, nil
}
