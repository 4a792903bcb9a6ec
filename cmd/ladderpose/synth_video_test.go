package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/synth"
)

// TestSynthVideo runs "synth -video" and checks its three files, and that
// "eval" scores the ground truth against itself at AP 1 per frame.
func TestSynthVideo(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := filepath.Join(t.TempDir(), "seq")
	var stdout, stderr bytes.Buffer
	code := run([]string{"synth", "-video", "-out", dir, "-frames", "12", "-fps", "12", "-size", "160x120",
		"-people", "3", "-interference", "mixed", "-seed", "3", "-workers", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 12 frames (160x120, 12 fps, interference mixed) with 3 people") {
		t.Errorf("stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "synth: 12/12 frames") || !strings.Contains(stderr.String(), "frames/s, ETA") {
		t.Errorf("no final progress line with rate and ETA on stderr: %q", stderr.String())
	}
	truth, err := synth.ReadVideoTruth(filepath.Join(dir, synth.TracksFileName))
	if err != nil {
		t.Fatal(err)
	}
	if truth.Frames != 12 || truth.FPS != 12 || truth.Width != 160 || truth.Height != 120 || truth.Seed != 3 ||
		len(truth.Tracks) != 3 || truth.Options.Interference != "mixed" {
		t.Errorf("header %+v %+v", truth.Tracks, truth.Options)
	}
	if st, err := os.Stat(filepath.Join(dir, synth.VideoFileName)); err != nil || st.Size() == 0 {
		t.Errorf("video: %v", err)
	}
	gt := filepath.Join(dir, synth.VideoCOCOFileName)
	ds, err := coco.ReadDataset(gt)
	if err != nil {
		t.Fatal(err)
	}
	var rs []coco.Result
	for _, a := range ds.Annotations {
		if a.NumKeypoints > 0 {
			rs = append(rs, coco.Result{ImageID: a.ImageID, CategoryID: 1, Keypoints: a.Keypoints, Score: 1})
		}
	}
	dt := filepath.Join(t.TempDir(), "dt.json")
	if err := coco.WriteResults(dt, rs); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"eval", "-gt", gt, "-dt", dt}, &stdout, &stderr); code != 0 {
		t.Fatalf("eval: exit %d, stderr %s", code, stderr.String())
	}
	if first, _, _ := strings.Cut(stdout.String(), "\n"); !strings.HasSuffix(first, "= 1.000") {
		t.Errorf("eval of the truth against itself: %q", first)
	}
}

// TestSynthVideoBadFlags checks that bad -video flags exit with status 2
// and a message naming the problem, without writing anything.
func TestSynthVideoBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-video"}, "-video needs -out DIR"},
		{[]string{"-video", "-out", "X", "-n", "5"}, "-n does not apply with -video"},
		{[]string{"-video", "-out", "X", "-sheet", "s.png"}, "-sheet does not apply with -video"},
		{[]string{"-out", "X", "-frames", "5"}, "-frames needs -video"},
		{[]string{"-out", "X", "-fps", "5"}, "-fps needs -video"},
		{[]string{"-video", "-out", "X", "-people", "1-4"}, `-people "1-4"`},
		{[]string{"-video", "-out", "X", "-people", "0"}, "-people 0"},
		{[]string{"-video", "-out", "X", "-people", "9"}, "video people 9"},
		{[]string{"-video", "-out", "X", "-frames", "0"}, "-frames 0"},
		{[]string{"-video", "-out", "X", "-fps", "0"}, "-fps 0"},
		{[]string{"-video", "-out", "X", "-fps", "500"}, "frame rate 500"},
		{[]string{"-video", "-out", "X", "-size", "161x120"}, "must be even"},
		{[]string{"-video", "-out", "X", "-interference", "light"}, `unknown interference level "light"`},
		{[]string{"-video", "-out", "X", "-workers", "-1"}, "workers -1"},
	} {
		dir := t.TempDir()
		args := append([]string{"synth"}, tc.args...)
		for i, a := range args {
			if a == "X" {
				args[i] = filepath.Join(dir, "out")
			}
		}
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
			t.Errorf("%v: output folder created", tc.args)
		}
	}
}
