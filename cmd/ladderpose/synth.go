package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/ladderpose/ladderpose/synth"
)

func init() {
	register(&command{
		name:    "synth",
		summary: "generate a synthetic person-keypoint dataset (COCO format)",
		run:     runSynth,
	})
}

// parseSize reads "WxH".
func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%w: -size %q: want WIDTHxHEIGHT, e.g. 384x288", errUsage, s)
	}
	return w, h, nil
}

// parseRange reads "MIN-MAX" or a single number.
func parseRange(s string) (lo, hi int, err error) {
	ls, hs, ok := strings.Cut(s, "-")
	if !ok {
		hs = ls
	}
	lo, err = strconv.Atoi(ls)
	if err == nil {
		hi, err = strconv.Atoi(hs)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%w: -people %q: want MIN-MAX, e.g. 1-4", errUsage, s)
	}
	return lo, hi, nil
}

// progressPrinter returns a progress callback that prints at most one line
// a second to w with the rate and the estimated time left, and always the
// last one.
func progressPrinter(w io.Writer, start time.Time) func(done, total int) {
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if done < total && now.Sub(last) < time.Second {
			return
		}
		last = now
		el := now.Sub(start).Seconds()
		rate := float64(done) / max(el, 1e-9)
		eta := time.Duration(float64(total-done) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(w, "synth: %d/%d images, %.1f images/s, ETA %v\n", done, total, rate, eta)
	}
}

// runSynth implements "ladderpose synth".
func runSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth", stderr)
	out := fs.String("out", "", "output `folder` (images/, train.json, val.json)")
	n := fs.Int("n", 1000, "number of images")
	seed := fs.Uint64("seed", 1, "random seed; image i depends only on (seed, i)")
	interf := fs.String("interference", "none", "interference level: none, mixed or heavy")
	val := fs.Float64("val", 0, "fraction of the images (the last ones) written to val.json")
	size := fs.String("size", fmt.Sprintf("%dx%d", synth.DefaultWidth, synth.DefaultHeight), "image size WIDTHxHEIGHT")
	people := fs.String("people", "1-4", "people per image, MIN-MAX")
	quality := fs.Int("quality", synth.DefaultQuality, "JPEG quality, 1 to 100")
	maxYaw := fs.Float64("max-yaw", 180, "people turn at most this many `degrees` away from the camera (180: any direction)")
	workers := fs.Int("workers", 0, "images rendered at once (0: GOMAXPROCS)")
	sheet := fs.String("sheet", "", "also write a contact sheet PNG of the first images (clean, mixed, heavy) to this `file`")
	sheetRows := fs.Int("sheet-rows", 4, "rows of the contact sheet")
	vid := fs.Bool("video", false, "write a video sequence (DIR/video.mp4, DIR/tracks.json, DIR/gt.coco.json) instead of images")
	frames := fs.Int("frames", synth.DefaultVideoFrames, "with -video: number of frames")
	fps := fs.Float64("fps", synth.DefaultFPS, "with -video: frame rate")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: ladderpose synth -out DIR [flags]
       ladderpose synth -sheet FILE.png [flags]
       ladderpose synth -video -out DIR [-seed S] [-frames N] [-people P] [-size WxH] [-fps F] [-interference LEVEL]

Renders articulated work-clothed figures (1 to 4 per image, random poses:
standing, walking, arms up, bending, leaning, crouching, lying) over
industrial backgrounds, optionally degraded by blur, motion blur, local
over-exposure, low light with sensor noise, haze and JPEG artefacts, and
writes DIR/images/NNNNNN.jpg with COCO person-keypoint annotations in
DIR/train.json and DIR/val.json. The output depends only on the flags
(not on -workers or the number of CPUs).

With -video it renders one sequence instead (default 2 people, 100 frames
at 25 frames/s): people walking, turning, crossing and hiding each other
over one industrial background, with interference that comes and goes
(passing blooms, flicker, motion-blur bursts, low light). It writes
DIR/video.mp4 (H.264 through ffmpeg), DIR/tracks.json (per-frame
keypoints, visibility, boxes and track ids) and DIR/gt.coco.json (the
same as a COCO keypoint dataset, image id = frame number, for
"ladderpose eval").

flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *vid {
		return runSynthVideo(set, *out, *seed, *interf, *size, *people, *frames, *fps, *workers, stdout, stderr)
	}
	for _, name := range []string{"frames", "fps"} {
		if set[name] {
			return fmt.Errorf("%w: -%s needs -video", errUsage, name)
		}
	}
	if *out == "" && *sheet == "" {
		return fmt.Errorf("%w: need -out DIR (or -sheet FILE)", errUsage)
	}
	level, err := synth.ParseLevel(*interf)
	if err != nil {
		return fmt.Errorf("%w: -interference: %v", errUsage, err)
	}
	w, h, err := parseSize(*size)
	if err != nil {
		return err
	}
	lo, hi, err := parseRange(*people)
	if err != nil {
		return err
	}
	if *quality < 1 || *quality > 100 { // Options would read 0 as the default
		return fmt.Errorf("%w: -quality %d: JPEG quality must be in [1, 100]", errUsage, *quality)
	}
	if *n < 0 {
		return fmt.Errorf("%w: -n %d: must not be negative", errUsage, *n)
	}
	if !(*maxYaw > 0 && *maxYaw <= 180) { // Options would read 0 as any direction
		return fmt.Errorf("%w: -max-yaw %v: must be in (0, 180]", errUsage, *maxYaw)
	}
	opts := synth.Options{
		Dir: *out, N: *n, Seed: *seed, Width: w, Height: h, Interference: level, Val: *val,
		MinPeople: lo, MaxPeople: hi, Quality: *quality, Workers: *workers, MaxYaw: *maxYaw,
	}
	if hi == 0 { // Options reads 0-0 as the default
		return fmt.Errorf("%w: -people %q: the maximum must be at least 1", errUsage, *people)
	}
	if err := opts.Validate(); err != nil { // before writing anything
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *sheet != "" {
		if err := synth.WriteContactSheet(*sheet, opts, *sheetRows); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote contact sheet %s\n", *sheet)
	}
	if *out == "" {
		return nil
	}
	start := time.Now()
	ds, err := synth.Generate(opts, progressPrinter(stderr, start))
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	labelled := 0
	for _, a := range ds.Annotations {
		labelled += a.NumKeypoints
	}
	fmt.Fprintf(stdout, "wrote %d images (%dx%d, interference %s) with %d people and %d labelled keypoints to %s in %.1fs (%.1f images/s)\n",
		len(ds.Images), w, h, level, len(ds.Annotations), labelled, *out, el, float64(len(ds.Images))/max(el, 1e-9))
	return nil
}

// runSynthVideo implements "ladderpose synth -video".
func runSynthVideo(set map[string]bool, out string, seed uint64, interf, size, people string, frames int, fps float64, workers int, stdout, stderr io.Writer) error {
	for _, name := range []string{"n", "val", "quality", "max-yaw", "sheet", "sheet-rows"} {
		if set[name] {
			return fmt.Errorf("%w: -%s does not apply with -video", errUsage, name)
		}
	}
	if out == "" {
		return fmt.Errorf("%w: -video needs -out DIR", errUsage)
	}
	level, err := synth.ParseLevel(interf)
	if err != nil {
		return fmt.Errorf("%w: -interference: %v", errUsage, err)
	}
	w, h, err := parseSize(size)
	if err != nil {
		return err
	}
	p := synth.DefaultVideoPeople
	if set["people"] {
		p, err = strconv.Atoi(people)
		if err != nil {
			return fmt.Errorf("%w: -people %q: with -video, the number of people, e.g. 2", errUsage, people)
		}
	}
	// Options read 0 as the default: zero values are errors here.
	if p < 1 {
		return fmt.Errorf("%w: -people %d: need at least 1", errUsage, p)
	}
	if frames < 1 {
		return fmt.Errorf("%w: -frames %d: need at least 1", errUsage, frames)
	}
	if !(fps >= 1) {
		return fmt.Errorf("%w: -fps %v: need at least 1", errUsage, fps)
	}
	opts := synth.VideoOptions{Seed: seed, Width: w, Height: h, Frames: frames, FPS: fps, People: p, Interference: level, Workers: workers}
	if err := opts.Validate(); err != nil { // before writing anything
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := videoProgress(stderr, start)
	truth, err := synth.WriteVideo(ctx, opts, out, progress)
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	poses, labelled := 0, 0
	for _, f := range truth.PerFrame {
		poses += len(f.People)
		for _, q := range f.People {
			labelled += q.NumKeypoints
		}
	}
	fmt.Fprintf(stdout, "wrote %d frames (%dx%d, %g fps, interference %s) with %d people (%d poses, %d labelled keypoints) to %s in %.1fs (%.1f frames/s)\n",
		truth.Frames, w, h, truth.FPS, level, len(truth.Tracks), poses, labelled, out, el, float64(truth.Frames)/max(el, 1e-9))
	return nil
}

// videoProgress is progressPrinter for frames.
func videoProgress(w io.Writer, start time.Time) func(done, total int) {
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if done < total && now.Sub(last) < time.Second {
			return
		}
		last = now
		el := now.Sub(start).Seconds()
		rate := float64(done) / max(el, 1e-9)
		eta := time.Duration(float64(total-done) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(w, "synth: %d/%d frames, %.1f frames/s, ETA %v\n", done, total, rate, eta)
	}
}
