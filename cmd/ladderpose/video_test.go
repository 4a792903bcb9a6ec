package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ladderpose/ladderpose/video"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (apt-get install ffmpeg)", p)
		}
	}
}

// ffmpegGen runs ffmpeg to make a test input.
func ffmpegGen(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-nostdin", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %q: %v\n%s", args, err, out)
	}
}

// readJSONLines parses a JSON lines file, failing on any invalid line.
func readJSONLines(t *testing.T, path string) []videoRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []videoRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r videoRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not valid JSON: %v: %q", len(recs)+1, err, sc.Text())
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestVideoCommand runs "video" on a small test-pattern clip with one
// given box: one JSON line per frame in order with rising times, the person
// under one track id, COCO results for every frame, and a drawn video of
// the same frame count, size and rate.
func TestVideoCommand(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.mp4")
	ffmpegGen(t, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=12", "-frames:v", "9", "-pix_fmt", "yuv420p", in)
	out, res, drawn := filepath.Join(dir, "p.jsonl"), filepath.Join(dir, "r.json"), filepath.Join(dir, "d.mp4")
	var stderr bytes.Buffer
	if err := runVideo([]string{"-box", "40,10,60,100", "-out", out, "-coco", res, "-draw", drawn, "-smooth", in}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	recs := readJSONLines(t, out)
	if len(recs) != 9 {
		t.Fatalf("%d JSON lines, want 9 (one per frame)", len(recs))
	}
	for i, r := range recs {
		if r.Frame != i || (i > 0 && !(r.Time > recs[i-1].Time)) {
			t.Errorf("line %d: frame %d time %v", i, r.Frame, r.Time)
		}
		if len(r.People) != 1 || r.People[0].Track != 1 || len(r.People[0].Keypoints) != 17 {
			t.Errorf("frame %d: people %+v, want track 1 with 17 keypoints", i, r.People)
		}
	}
	b, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	var rs []map[string]any
	if err := json.Unmarshal(b, &rs); err != nil || len(rs) != 9 {
		t.Fatalf("COCO results: %d, err %v", len(rs), err)
	}
	// -precision int8 runs the same clip.
	out8 := filepath.Join(dir, "p8.jsonl")
	if err := runVideo([]string{"-box", "40,10,60,100", "-precision", "int8", "-out", out8, in}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if r8 := readJSONLines(t, out8); len(r8) != 9 || len(r8[8].People) != 1 {
		t.Errorf("-precision int8: %d lines", len(r8))
	}
	n := countFrames(t, drawn)
	info, err := video.Probe(context.Background(), drawn)
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 || info.Width != 160 || info.Height != 120 || info.FrameRate.Float() != 12 {
		t.Errorf("drawn video: %d frames %dx%d at %v fps, want 9 160x120 at 12", n, info.Width, info.Height, info.FrameRate)
	}
}

// countFrames decodes a video and counts its frames.
func countFrames(t *testing.T, path string) int {
	t.Helper()
	r, err := video.Open(context.Background(), path, video.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	return n
}

// TestVideoBadInput checks that broken inputs end the command with an
// error naming the cause, after writing valid JSON lines for the frames
// before it, and a drawn video that still decodes.
func TestVideoBadInput(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	avi := filepath.Join(dir, "in.avi")
	ffmpegGen(t, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-frames:v", "30", "-c:v", "mjpeg", avi)
	data, err := os.ReadFile(avi)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.avi")
	if err := os.WriteFile(trunc, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	audio := filepath.Join(dir, "audio.wav")
	ffmpegGen(t, "-f", "lavfi", "-i", "sine=duration=0.5", audio)
	empty := filepath.Join(dir, "empty.mp4")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in, want string
		lines          bool // some frames came before the error
	}{
		{"truncated", trunc, "fewer frames", true},
		{"no video stream", audio, "no video stream", false},
		{"empty file", empty, "empty.mp4", false},
		{"missing", filepath.Join(dir, "none.mp4"), "none.mp4", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, drawn := filepath.Join(dir, tc.name+".jsonl"), filepath.Join(dir, tc.name+".mp4")
			err := runVideo([]string{"-box", "10,10,40,50", "-out", out, "-draw", drawn, tc.in}, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
			if !tc.lines {
				return
			}
			recs := readJSONLines(t, out)
			if len(recs) == 0 {
				t.Fatal("no frames written before the error")
			}
			if n := countFrames(t, drawn); n != len(recs) {
				t.Errorf("drawn video decodes to %d frames, %d JSON lines", n, len(recs))
			}
		})
	}
	for _, bad := range [][]string{{}, {"-det-every", "0", avi}, {"-frames", "-1", avi}, {"-max-missed", "0", avi}, {"a", "b"}} {
		if err := runVideo(bad, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("video %q: no error", bad)
		}
	}
}

// TestVideoInterrupt sends Ctrl-C (SIGINT) to a running "ladderpose video"
// on a long input: it must finish the current frame, flush and close both
// outputs (every JSON line valid, the drawn video decoding to as many
// frames as lines) and exit non-zero saying it was interrupted.
func TestVideoInterrupt(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("builds the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ladderpose")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in := filepath.Join(dir, "long.mkv")
	ffmpegGen(t, "-f", "lavfi", "-i", "testsrc=size=128x96:rate=25", "-frames:v", "2000", "-c:v", "libx264", "-preset", "ultrafast", in)
	out, drawn := filepath.Join(dir, "p.jsonl"), filepath.Join(dir, "d.mp4")
	cmd := exec.Command(bin, "video", "-box", "10,10,60,70", "-out", out, "-draw", drawn, in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for a few frames, then interrupt.
	for i := 0; i < 600; i++ {
		if b, _ := os.ReadFile(out); bytes.Count(b, []byte("\n")) >= 5 {
			break
		}
		sleepMs(50)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "interrupted after") {
		t.Fatalf("exit %v, stderr:\n%s", err, stderr.String())
	}
	recs := readJSONLines(t, out)
	if len(recs) < 5 || len(recs) >= 2000 {
		t.Fatalf("%d lines after the interrupt", len(recs))
	}
	if n := countFrames(t, drawn); n != len(recs) {
		t.Errorf("drawn video decodes to %d frames, %d JSON lines", n, len(recs))
	}
}

func sleepMs(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }
