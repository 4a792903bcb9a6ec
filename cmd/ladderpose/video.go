package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/track"
	"github.com/ladderpose/ladderpose/video"
)

func init() {
	register(&command{
		name:    "video",
		summary: "tracked poses in a video file or stream (JSON lines, drawn video)",
		run:     runVideo,
	})
}

const videoUsage = `usage: ladderpose video [flags] IN

Estimates and tracks every person through the frames of IN: anything ffmpeg
opens (a file, an rtsp:// or http:// stream, /dev/video0). Frames are
decoded by ffmpeg as raw RGB over a pipe (size, rate and length from
ffprobe); the drawn video is encoded by a second ffmpeg (H.264, yuv420p,
the same size and frame rate). Both come from Debian's ffmpeg package.
Decoding, the network and drawing/encoding run on their own goroutines,
frames in order.

People: with -detector (an RT-DETR folder) the detector finds them on the
first frame, every -det-every frames, and on the frame after a track is
lost; in between, each track's box is the box of its confident keypoints
(score >= 0.3), enlarged 1.25x, then SPEC.md's box rule. Without a
detector, -box gives the first frame's people (none: the whole frame is one
person) and they are followed by their poses. New poses are matched to
tracks greedily by OKS (> 0.3, COCO sigmas; by box IoU > 0.3 when a pose has
fewer than 3 keypoints scoring 0.3); a track unmatched for 10 frames in a
row ends; ids start at 1 and are never reused. -smooth filters every
keypoint coordinate with a One-Euro filter (mmpose's defaults: min_cutoff
0.004, beta 0.7, d_cutoff 1, per frame), restarted with each track.

Output: -out (default stdout) gets one JSON line per frame, flushed as it
is written:
  {"frame": N, "time": SECONDS, "people": [{"track": ID, "box": [x, y, w, h],
   "score": S, "keypoints": [[x, y, score], ...], "fusion": {...}}]}
("fusion" with a side network: level_fre, level_spa, sim_fre, sim_spa).
-coco writes COCO keypoint results (image_id = frame number) when the run
ends, atomically. -draw writes the video with skeletons and track ids.

A stream that breaks (a truncated file, a corrupt frame with -strict, a
camera that stops) ends the run with an error after the frames already
read: every JSON line written stays valid, and the drawn video is closed so
that it plays. Ctrl-C finishes the current frame, then flushes and closes
both outputs.

flags:`

// videoPerson is one person of a JSON line.
type videoPerson struct {
	Track     int          `json:"track"`
	Box       [4]float64   `json:"box"`
	Score     float64      `json:"score"`
	Keypoints [][3]float64 `json:"keypoints"`
	Fusion    *videoFusion `json:"fusion,omitempty"`
	New       bool         `json:"new,omitempty"` // the track started in this frame
}

type videoFusion struct {
	LevelFre int     `json:"level_fre"`
	LevelSpa int     `json:"level_spa"`
	SimFre   float64 `json:"sim_fre"`
	SimSpa   float64 `json:"sim_spa"`
}

// videoRecord is one JSON line.
type videoRecord struct {
	Frame  int           `json:"frame"`
	Time   float64       `json:"time"`
	People []videoPerson `json:"people"`
}

// videoFrame travels from the decoder to the network and on to the
// writer.
type videoFrame struct {
	f      video.Frame
	people []ladderpose.TrackedPose
}

// runVideo implements "ladderpose video".
func runVideo(args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("video", stderr)
	weightsPath := fs.String("weights", "", "pose checkpoint `file` or folder; default: the bundled demo model")
	side := fs.String("side", "", "side network safetensors `file`")
	detector := fs.String("detector", "", "RT-DETR `folder` that finds the people")
	detEvery := fs.Int("det-every", 1, "run the detector every `N` frames (and after a track is lost)")
	personThr := fs.Float64("person-threshold", ladderpose.DefaultPersonThreshold, "with -detector: keep person boxes scoring above this")
	var boxFlags boxList
	fs.Var(&boxFlags, "box", "without -detector: a person box `x,y,w,h` in the first frame; repeat it for several people")
	out := fs.String("out", "", "write the JSON lines to this `file` (default or \"-\": stdout)")
	cocoOut := fs.String("coco", "", "write COCO keypoint results (image_id = frame number) to this `file`")
	drawPath := fs.String("draw", "", "write the video with the skeletons and track ids to this `file` (e.g. out.mp4)")
	drawThr := fs.Float64("draw-thr", 0.3, "draw keypoints scoring above this")
	smooth := fs.Bool("smooth", false, "smooth the keypoints with One-Euro filters")
	start := fs.Float64("start", 0, "skip this many `seconds` of the input")
	frames := fs.Int("frames", 0, "stop after `N` frames (0: all)")
	strict := fs.Bool("strict", false, "stop with an error at the first damaged packet (else ffmpeg conceals it)")
	maxMissed := fs.Int("max-missed", track.DefaultMaxMissed, "end a track after this many frames in a row without a match")
	dataset := fs.Int("dataset", 0, "the ViTPose+ expert to use: Hugging Face's dataset_index (0: COCO)")
	batch := fs.Int("batch", ladderpose.DefaultBatchSize, "people per network batch")
	flip := fs.Bool("flip", true, "flip test (run the mirrored crop too and average)")
	dev := addDeviceFlag(fs)
	prec := addPrecisionFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, videoUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one input (a video file or stream)", errUsage)
	}
	in := fs.Arg(0)
	switch {
	case *detEvery < 1:
		return fmt.Errorf("%w: -det-every %d must be at least 1", errUsage, *detEvery)
	case *frames < 0 || !(*start >= 0) || math.IsInf(*start, 0):
		return fmt.Errorf("%w: -frames and -start must not be negative", errUsage)
	case *detector != "" && len(boxFlags) > 0:
		return fmt.Errorf("%w: -detector finds the people itself: not with -box", errUsage)
	case *maxMissed < 1:
		return fmt.Errorf("%w: -max-missed %d must be at least 1", errUsage, *maxMissed)
	}

	est, err := openEstimator("video", *weightsPath, *side, *prec, *detector, *personThr, stderr,
		ladderpose.WithFlipTest(*flip), ladderpose.WithBatchSize(*batch), ladderpose.WithDevice(string(*dev)), ladderpose.WithDataset(*dataset))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, est.Close()) }()

	// Ctrl-C cancels intr: the decoder stops, the frame in the network
	// finishes (it runs under a context that is not cancelled), and the
	// outputs are flushed and closed.
	intr, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// One decoder and one encoder thread: the network has the cores.
	rd, err := video.Open(intr, in, video.ReaderOptions{Start: *start, MaxFrames: *frames, Strict: *strict, Threads: 1})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, rd.Close()) }()
	info := rd.Info()
	w, h := rd.Size()
	rate := info.FPS
	total := info.Frames
	if *frames > 0 && (total == 0 || *frames < total) {
		total = *frames
	}
	fmt.Fprintf(stderr, "video: %s: %dx%d, %s fps, %s\n", in, w, h, rateText(info), lengthText(info))

	cfg := track.DefaultConfig()
	cfg.Smooth, cfg.FrameRate, cfg.MaxMissed = *smooth, rate, *maxMissed
	cfg.Sigmas = nil // the estimator's
	tr, err := est.NewTracker(ladderpose.TrackerOptions{DetectEvery: *detEvery, Boxes: boxFlags, Track: cfg})
	if err != nil {
		return err
	}

	var jsonOut io.Writer = stdout
	if *out != "" && *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		jsonOut = f
	}
	var vw *video.Writer
	if *drawPath != "" {
		fr := info.FrameRate
		if !fr.Valid() {
			fr = video.Rational{Num: 25, Den: 1}
			fmt.Fprintf(stderr, "video: warning: the input states no frame rate: the drawn video plays at %v fps\n", fr)
		}
		if vw, err = video.Create(context.Background(), *drawPath, video.WriterOptions{Width: w, Height: h, FrameRate: fr, Threads: 1}); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, vw.Close()) }()
	}
	var results []coco.Result
	if *cocoOut != "" {
		results = []coco.Result{}
		defer func() {
			if werr := coco.WriteResults(*cocoOut, results); werr != nil {
				err = errors.Join(err, werr)
			}
		}()
	}

	runStart := time.Now()
	progress := rateLine(stderr, "video", "frames", runStart)
	n, err := videoLoop(intr, rd, tr, func(vf videoFrame) error {
		rec := videoRecord{Frame: vf.f.Index, Time: vf.f.Time, People: make([]videoPerson, 0, len(vf.people))}
		for _, tp := range vf.people {
			p := tp.Pose
			vp := videoPerson{Track: tp.Track, Box: [4]float64{p.Box.X, p.Box.Y, p.Box.W, p.Box.H}, Score: p.Score, New: tp.New,
				Keypoints: make([][3]float64, len(p.Keypoints))}
			for k, kp := range p.Keypoints {
				vp.Keypoints[k] = [3]float64{finiteOr0(kp.X), finiteOr0(kp.Y), kp.Score}
			}
			if p.Fusion != nil {
				vp.Fusion = &videoFusion{LevelFre: p.Fusion.LevelFre, LevelSpa: p.Fusion.LevelSpa, SimFre: p.Fusion.SimFre, SimSpa: p.Fusion.SimSpa}
			}
			rec.People = append(rec.People, vp)
			if results != nil {
				results = append(results, toResult(int64(vf.f.Index), p))
			}
		}
		if err := writeJSONLine(jsonOut, rec); err != nil {
			return err
		}
		if vw != nil {
			if err := vw.Write(drawTracked(est, vf, *drawThr)); err != nil {
				return err
			}
		}
		if total > 0 {
			progress(min(vf.f.Index+1, total), total)
		} else if (vf.f.Index+1)%100 == 0 {
			el := time.Since(runStart).Seconds()
			fmt.Fprintf(stderr, "video: %d frames, %.2f frames/s\n", vf.f.Index+1, float64(vf.f.Index+1)/max(el, 1e-9))
		}
		return nil
	})
	el := time.Since(runStart).Seconds()
	fmt.Fprintf(stderr, "video: %d frames in %.1fs (%.2f frames/s)\n", n, el, float64(n)/max(el, 1e-9))
	if err == nil && intr.Err() != nil {
		err = fmt.Errorf("interrupted after %d frames (the outputs hold them)", n)
	}
	return err
}

// writeJSONLine writes one record and a newline in a single write, so that
// a file ends with whole lines whatever happens after.
func writeJSONLine(w io.Writer, rec videoRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// videoLoop runs the three stages: the decoder on one goroutine, the
// network and tracker on the caller's, and emit (JSON, drawing, encoding)
// on a third, frames in order. It returns the number of frames emitted and
// the first error of any stage; when ctx is cancelled it stops reading and
// finishes the frames already read.
func videoLoop(ctx context.Context, rd *video.Reader, tr *ladderpose.Tracker, emit func(videoFrame) error) (int, error) {
	const depth = 3
	decoded := make(chan video.Frame, depth)
	free := make(chan *video.Image, 2*depth+2)
	for i := 0; i < cap(free); i++ {
		free <- &video.Image{}
	}
	done := make(chan struct{})
	var readErr error
	go func() {
		defer close(decoded)
		for {
			var img *video.Image
			select {
			case img = <-free:
			case <-done:
				return
			}
			f, err := rd.ReadFrame(img)
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					readErr = err
				}
				return
			}
			select {
			case decoded <- f:
			case <-done:
				return
			}
		}
	}()

	emitted := make(chan videoFrame, depth)
	var emitErr error
	emitDone := make(chan int)
	go func() {
		n := 0
		for vf := range emitted {
			if emitErr == nil {
				if emitErr = emit(vf); emitErr == nil {
					n++
				}
			}
			free <- vf.f.Img
		}
		emitDone <- n
	}()

	var netErr error
	work := context.Background() // a frame in the network finishes even after Ctrl-C
	for f := range decoded {
		if netErr != nil || ctx.Err() != nil {
			free <- f.Img
			continue
		}
		rgb := &pipeline.RGB{Pix: f.Img.Pix, W: f.Img.W, H: f.Img.H}
		people, err := tr.Update(work, rgb, f.Time)
		if err != nil {
			netErr = fmt.Errorf("frame %d: %w", f.Index, err)
			free <- f.Img
			close(done)
			continue
		}
		emitted <- videoFrame{f: f, people: people}
	}
	close(emitted)
	n := <-emitDone
	return n, errors.Join(netErr, emitErr, readErr)
}

// drawTracked draws a frame's skeletons and each person's track id.
func drawTracked(est *ladderpose.Estimator, vf videoFrame, thr float64) image.Image {
	rgb := &pipeline.RGB{Pix: vf.f.Img.Pix, W: vf.f.Img.W, H: vf.f.Img.H}
	poses := make([]ladderpose.Pose, len(vf.people))
	boxes := make([]pipeline.LabeledBox, len(vf.people))
	for i, tp := range vf.people {
		poses[i] = tp.Pose
		b := tp.Pose.Box
		boxes[i] = pipeline.LabeledBox{X0: b.X, Y0: b.Y, X1: b.X + b.W, Y1: b.Y + b.H, Caption: "id " + strconv.Itoa(tp.Track)}
	}
	pic := est.Draw(rgb, poses, thr)
	pipeline.DrawBoxesOn(pic, boxes)
	return pic
}

func rateText(i video.Info) string {
	if i.FPS == 0 {
		return "unknown"
	}
	return strconv.FormatFloat(i.FPS, 'g', 6, 64)
}

func lengthText(i video.Info) string {
	switch {
	case i.Frames == 0:
		return "length unknown"
	case i.FramesExact:
		return fmt.Sprintf("%d frames", i.Frames)
	}
	return fmt.Sprintf("about %d frames", i.Frames)
}
