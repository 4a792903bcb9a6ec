package synth

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/video"
)

// Defaults and limits of VideoOptions.
const (
	DefaultVideoFrames = 100    // frames of a sequence
	DefaultFPS         = 25     // frames per second
	DefaultVideoPeople = 2      // people in a sequence (the crossing pair)
	MaxVideoPeople     = 8      // most people in a sequence
	MaxVideoFrames     = 100000 // longest sequence (over an hour at 25 frames/s; the truth is held in memory)
	MaxFPS             = 240    // highest frame rate
)

// Files WriteVideo writes, and the format tag of tracks.json.
const (
	VideoFileName     = "video.mp4"              // the encoded frames
	TracksFileName    = "tracks.json"            // VideoTruth
	VideoCOCOFileName = "gt.coco.json"           // VideoTruth.COCO
	VideoTruthFormat  = "ladderpose-synth-video" // VideoTruth.Format
	VideoTruthVersion = 1                        // VideoTruth.Version

	videoTruthNameDesc = "ladderpose synthetic video (industrial scenes): per-frame person keypoints"
)

// VideoOptions controls GenerateVideo. The zero value of a field means its
// default.
type VideoOptions struct {
	// Seed selects the sequence: the same options give the same frames and
	// truth, byte for byte, whatever Workers or GOMAXPROCS.
	Seed uint64
	// Width and Height of the frames (default 384 x 288); both must be even
	// (H.264 in yuv420p).
	Width, Height int
	// Frames is the length of the sequence (default 100).
	Frames int
	// FPS is the frame rate (default 25), in [1, 240]; motion is simulated
	// in seconds, so a higher rate samples the same movement more finely.
	FPS float64
	// People is the number of people (default 2, at most MaxVideoPeople).
	// The first two cross: they walk towards each other at different
	// depths, so that the nearer one hides the farther one for several
	// frames and their left-right order swaps.
	People int
	// Interference is the level of time-varying degradation: None, Mixed
	// (passing blooms, flicker, motion-blur bursts and low-light stretches
	// now and then, mild to moderate) or Heavy (more often and stronger,
	// sometimes with haze).
	Interference Level
	// Workers is the number of frames rendered at once (default
	// GOMAXPROCS); it does not change the output.
	Workers int
}

// Validate reports the first invalid field of o (after defaults), if any.
func (o VideoOptions) Validate() error {
	_, err := o.withDefaults()
	return err
}

func (o VideoOptions) withDefaults() (VideoOptions, error) {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	if o.Width < MinSize || o.Width > MaxSize || o.Height < MinSize || o.Height > MaxSize {
		return o, fmt.Errorf("synth: video size %dx%d: width and height must be in [%d, %d]", o.Width, o.Height, MinSize, MaxSize)
	}
	if o.Width%2 != 0 || o.Height%2 != 0 {
		return o, fmt.Errorf("synth: video size %dx%d: width and height must be even (H.264 in yuv420p)", o.Width, o.Height)
	}
	if o.Frames == 0 {
		o.Frames = DefaultVideoFrames
	}
	if o.Frames < 1 || o.Frames > MaxVideoFrames {
		return o, fmt.Errorf("synth: video frames %d: must be in [1, %d]", o.Frames, MaxVideoFrames)
	}
	if o.FPS == 0 {
		o.FPS = DefaultFPS
	}
	if !(o.FPS >= 1 && o.FPS <= MaxFPS) {
		return o, fmt.Errorf("synth: video frame rate %v: must be in [1, %d]", o.FPS, MaxFPS)
	}
	if o.People == 0 {
		o.People = DefaultVideoPeople
	}
	if o.People < 1 || o.People > MaxVideoPeople {
		return o, fmt.Errorf("synth: video people %d: must be in [1, %d]", o.People, MaxVideoPeople)
	}
	if err := o.Interference.check(); err != nil {
		return o, err
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("synth: video workers %d: must be positive", o.Workers)
	}
	return o, nil
}

// VideoTruth is the ground truth of a generated sequence, as WriteVideo
// stores it in tracks.json (see the package doc for the schema).
type VideoTruth struct {
	Format  string           `json:"format"`  // VideoTruthFormat
	Version int              `json:"version"` // VideoTruthVersion
	Width   int              `json:"width"`   // frame width, pixels
	Height  int              `json:"height"`  // frame height, pixels
	FPS     float64          `json:"fps"`     // frames per second
	Frames  int              `json:"frames"`  // number of frames
	Seed    uint64           `json:"seed"`    // VideoOptions.Seed
	Options VideoTruthParams `json:"options"` // the other options
	// Tracks lists every person of the sequence, by id.
	Tracks []VideoTrack `json:"tracks"`
	// PerFrame has one entry per frame, in order.
	PerFrame []FrameTruth `json:"per_frame"`
}

// VideoTruthParams are the options of a sequence besides its size, rate,
// length and seed.
type VideoTruthParams struct {
	People       int    `json:"people"`       // VideoOptions.People
	Interference string `json:"interference"` // VideoOptions.Interference: "none", "mixed" or "heavy"
}

// VideoTrack describes one person of a sequence.
type VideoTrack struct {
	// ID is the track id, 1 to People, the same in every frame.
	ID int `json:"id"`
	// Motion is what the person does: "cross" (one of the crossing pair),
	// "walk" (walks, turning now and then and at the picture's edges) or
	// "turn" (stands and turns on the spot).
	Motion string `json:"motion"`
	// FirstFrame and LastFrame are the first and last frames in which the
	// person is annotated (has a visible pixel), -1 when never.
	FirstFrame int `json:"first_frame"`
	LastFrame  int `json:"last_frame"`
	// VisibleFrames is the number of frames in which the person is
	// annotated.
	VisibleFrames int `json:"visible_frames"`
}

// FrameTruth is the ground truth of one frame.
type FrameTruth struct {
	Frame int     `json:"frame"` // 0-based frame number
	Time  float64 `json:"time"`  // Frame / FPS, seconds
	// Effects names the interference applied to the frame with its
	// strength: "bloom" (the strongest passing bloom's strength), "flicker"
	// (the brightness factor), "motion_blur" (length in pixels),
	// "low_light" (the brightness factor; sensor noise comes with it) and
	// "haze" (density). Absent: a clean frame.
	Effects map[string]float64 `json:"effects,omitempty"`
	// People has one entry per person with at least one visible pixel,
	// far to near.
	People []PersonTruth `json:"people"`
}

// PersonTruth is one person in one frame.
type PersonTruth struct {
	Track int `json:"track"` // VideoTrack.ID
	// Box is the tight box (x, y, w, h) of the visible pixels, each pixel
	// the unit square around its centre; Area their number.
	Box  [4]float64 `json:"box"`
	Area float64    `json:"area"`
	// NumKeypoints counts the keypoints with v > 0.
	NumKeypoints int `json:"num_keypoints"`
	// Keypoints holds 17 (x, y, v) triples in COCO order with COCO's
	// visibility, as in the image mode's annotations.
	Keypoints []float64 `json:"keypoints"`
}

// Validate checks t's consistency: the header, one entry per frame in
// order, known track ids at most once per frame, and COCO-valid keypoints,
// boxes and areas.
func (t *VideoTruth) Validate() error {
	if t == nil {
		return fmt.Errorf("synth: video truth: nil")
	}
	if t.Format != VideoTruthFormat || t.Version != VideoTruthVersion {
		return fmt.Errorf("synth: video truth: format %q version %d, want %q version %d", t.Format, t.Version, VideoTruthFormat, VideoTruthVersion)
	}
	if t.Width <= 0 || t.Height <= 0 || !(t.FPS > 0) || math.IsInf(t.FPS, 0) || t.Frames < 0 {
		return fmt.Errorf("synth: video truth: bad header: %dx%d, %v fps, %d frames", t.Width, t.Height, t.FPS, t.Frames)
	}
	if len(t.PerFrame) != t.Frames {
		return fmt.Errorf("synth: video truth: %d frame entries, header says %d frames", len(t.PerFrame), t.Frames)
	}
	ids := map[int]bool{}
	for i, tr := range t.Tracks {
		if tr.ID <= 0 || ids[tr.ID] {
			return fmt.Errorf("synth: video truth: tracks[%d]: id %d is not positive or repeats", i, tr.ID)
		}
		ids[tr.ID] = true
	}
	for i := range t.PerFrame {
		f := &t.PerFrame[i]
		if f.Frame != i {
			return fmt.Errorf("synth: video truth: per_frame[%d] has frame %d", i, f.Frame)
		}
		seen := map[int]bool{}
		for j := range f.People {
			p := &f.People[j]
			if !ids[p.Track] || seen[p.Track] {
				return fmt.Errorf("synth: video truth: frame %d person %d: track %d unknown or repeated", i, j, p.Track)
			}
			seen[p.Track] = true
			a := coco.Annotation{ID: 1, ImageID: 1, CategoryID: 1, Keypoints: p.Keypoints, NumKeypoints: p.NumKeypoints, BBox: p.Box, Area: p.Area}
			d := coco.Dataset{Images: []coco.Image{{ID: 1}}, Annotations: []coco.Annotation{a}, Categories: []coco.Category{coco.PersonCategory()}}
			if err := d.Validate(); err != nil {
				return fmt.Errorf("synth: video truth: frame %d track %d: %w", i, p.Track, err)
			}
		}
	}
	return nil
}

// FrameFileName is the file_name of frame i in the COCO dataset of a
// sequence (the frames are not written as files: they are the video's).
func FrameFileName(i int) string { return fmt.Sprintf("%06d", i) }

// COCO returns t as a COCO person-keypoint dataset: one image per frame
// with id = the frame number (0-based) and file_name FrameFileName, one
// annotation per person and frame (ids from 1 in frame order), so that
// keypoint results with image_id = frame number are evaluated per frame
// by coco.Evaluate (ladderpose eval).
func (t *VideoTruth) COCO() *coco.Dataset {
	d := &coco.Dataset{
		Info: map[string]any{
			"description":  videoTruthNameDesc,
			"seed":         t.Seed,
			"width":        t.Width,
			"height":       t.Height,
			"fps":          t.FPS,
			"frames":       t.Frames,
			"people":       t.Options.People,
			"interference": t.Options.Interference,
		},
		Images:      make([]coco.Image, 0, len(t.PerFrame)),
		Annotations: []coco.Annotation{},
		Categories:  []coco.Category{coco.PersonCategory()},
	}
	var id int64
	for _, f := range t.PerFrame {
		d.Images = append(d.Images, coco.Image{ID: int64(f.Frame), FileName: FrameFileName(f.Frame), Width: t.Width, Height: t.Height})
		for _, p := range f.People {
			id++
			d.Annotations = append(d.Annotations, coco.Annotation{
				ID: id, ImageID: int64(f.Frame), CategoryID: 1,
				Keypoints: append([]float64(nil), p.Keypoints...), NumKeypoints: p.NumKeypoints,
				BBox: p.Box, Area: p.Area,
			})
		}
	}
	return d
}

// WriteVideoTruth writes t as JSON to path atomically (a temporary file in
// the same folder, renamed over path).
func WriteVideoTruth(path string, t *VideoTruth) error {
	if err := writeFileAtomic(path, func(w io.Writer) error { return WriteVideoTruthTo(w, t) }); err != nil {
		return fmt.Errorf("synth: write %s: %w", path, err)
	}
	return nil
}

// WriteVideoTruthTo writes t as JSON to w: the header on the first line,
// then one frame a line.
func WriteVideoTruthTo(w io.Writer, t *VideoTruth) error {
	head := *t
	head.PerFrame = []FrameTruth{}
	b, err := json.Marshal(&head)
	if err != nil {
		return err
	}
	// per_frame is the last field: b ends with "[]}".
	bw := bufio.NewWriter(w)
	bw.Write(b[:len(b)-2])
	for i := range t.PerFrame {
		b, err := json.Marshal(&t.PerFrame[i])
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(b)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// ReadVideoTruth reads and validates a tracks.json file.
func ReadVideoTruth(path string) (*VideoTruth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	defer f.Close()
	t, err := ReadVideoTruthFrom(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadVideoTruthFrom reads and validates a sequence's truth from r.
func ReadVideoTruthFrom(r io.Reader) (*VideoTruth, error) {
	var t VideoTruth
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("synth: video truth: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// GenerateVideo renders the sequence that opt describes, Workers frames at
// a time, and hands the frames to sink in order (from the calling
// goroutine; the image is sink's to keep). It returns the ground truth of
// every frame. An error from sink, or ctx's end, stops it and is returned.
func GenerateVideo(ctx context.Context, opt VideoOptions, sink func(i int, img *image.RGBA) error) (*VideoTruth, error) {
	if sink == nil {
		sink = func(int, *image.RGBA) error { return nil }
	}
	return generateVideo(ctx, opt, func(f *videoFrame) error { return sink(f.i, f.img) })
}

// WriteVideo generates the sequence and writes dir/video.mp4 (H.264,
// yuv420p, through ffmpeg), dir/tracks.json (the VideoTruth) and
// dir/gt.coco.json (VideoTruth.COCO); each file appears complete or not at
// all. progress, if not nil, is called after each frame with the number
// encoded so far.
func WriteVideo(ctx context.Context, opt VideoOptions, dir string, progress func(done, total int)) (*VideoTruth, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("synth: video: no output folder")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: video: %w", err)
	}
	rate, err := video.ParseRational(strconv.FormatFloat(o.FPS, 'f', -1, 64))
	if err != nil {
		return nil, fmt.Errorf("synth: video: %w", err)
	}
	tf, err := os.CreateTemp(dir, ".video-*.partial.mp4")
	if err != nil {
		return nil, fmt.Errorf("synth: video: %w", err)
	}
	tmp := tf.Name()
	tf.Close()
	fail := func(err error) (*VideoTruth, error) {
		os.Remove(tmp)
		return nil, fmt.Errorf("synth: video: %w", err)
	}
	wr, err := video.Create(ctx, tmp, video.WriterOptions{Width: o.Width, Height: o.Height, FrameRate: rate})
	if err != nil {
		return fail(err)
	}
	truth, err := GenerateVideo(ctx, o, func(i int, img *image.RGBA) error {
		if err := wr.Write(img); err != nil {
			return err
		}
		if progress != nil {
			progress(i+1, o.Frames)
		}
		return nil
	})
	if cerr := wr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if err := WriteVideoTruth(filepath.Join(dir, TracksFileName), truth); err != nil {
		return fail(err)
	}
	if err := coco.WriteDataset(filepath.Join(dir, VideoCOCOFileName), truth.COCO()); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, VideoFileName)); err != nil {
		return fail(err)
	}
	return truth, nil
}

// videoFrame is one rendered frame with its truth.
type videoFrame struct {
	i       int
	img     *image.RGBA
	people  []PersonTruth
	mask    []uint8 // per pixel: the track id owning it, 0 for the scene
	effects map[string]float64
	err     error
}

// generateVideo renders the frames on o.Workers goroutines and hands them
// to sink in order.
func generateVideo(ctx context.Context, opt VideoOptions, sink func(*videoFrame) error) (*VideoTruth, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	vs := newVideoScene(o)
	truth := &VideoTruth{
		Format: VideoTruthFormat, Version: VideoTruthVersion,
		Width: o.Width, Height: o.Height, FPS: o.FPS, Frames: o.Frames, Seed: o.Seed,
		Options:  VideoTruthParams{People: o.People, Interference: o.Interference.String()},
		PerFrame: make([]FrameTruth, 0, o.Frames),
	}
	for _, w := range vs.walkers {
		truth.Tracks = append(truth.Tracks, VideoTrack{ID: w.id, Motion: w.motion, FirstFrame: -1, LastFrame: -1})
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		i  int
		st []walkerState
	}
	jobs := make(chan job)
	results := make(chan *videoFrame)
	window := 2 * o.Workers
	tokens := make(chan struct{}, window)
	go func() { // the simulation runs here, in frame order
		defer close(jobs)
		sim := vs.newSim()
		for i := 0; i < o.Frames; i++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{i, sim.snapshot()}:
			case <-ctx.Done():
				return
			}
			sim.step()
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < min(o.Workers, o.Frames); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				fr := vs.render(j.i, j.st)
				select {
				case results <- fr:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	pending := make(map[int]*videoFrame, window)
	next := 0
	var firstErr error
	for fr := range results {
		if firstErr != nil {
			continue
		}
		if fr.err != nil {
			firstErr = fmt.Errorf("synth: video frame %d: %w", fr.i, fr.err)
			cancel()
			continue
		}
		pending[fr.i] = fr
		for {
			f, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			truth.PerFrame = append(truth.PerFrame, FrameTruth{
				Frame: f.i, Time: float64(f.i) / o.FPS, Effects: f.effects, People: f.people,
			})
			if err := sink(f); err != nil {
				firstErr = fmt.Errorf("synth: video frame %d: %w", f.i, err)
				cancel()
				break
			}
			next++
			<-tokens
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if next < o.Frames {
		if err := context.Cause(ctx); err != nil {
			return nil, fmt.Errorf("synth: video stopped after %d of %d frames: %w", next, o.Frames, err)
		}
		return nil, fmt.Errorf("synth: video stopped after %d of %d frames", next, o.Frames)
	}
	for i := range truth.Tracks {
		tr := &truth.Tracks[i]
		for _, f := range truth.PerFrame {
			for _, p := range f.People {
				if p.Track == tr.ID {
					if tr.FirstFrame < 0 {
						tr.FirstFrame = f.Frame
					}
					tr.LastFrame = f.Frame
					tr.VisibleFrames++
				}
			}
		}
	}
	return truth, nil
}
