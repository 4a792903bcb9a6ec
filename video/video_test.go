package video

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needFFmpeg skips the test when ffmpeg or ffprobe is not installed.
func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (apt-get install ffmpeg): %v", p, err)
		}
	}
}

// testCtx returns a context that ends the test's ffmpeg runs after a minute,
// so that a hang fails instead of blocking.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// gen runs ffmpeg with args (output last) to make a test input.
func gen(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// testsrc makes a video of n frames of ffmpeg's test pattern, 64x48 at
// 10 frames/s, with the given output options, at dir/name.
func testsrc(t *testing.T, name string, n int, opts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	args := []string{"-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", strconv.Itoa(n)}
	gen(t, append(append(args, opts...), path)...)
	return path
}

// readAll reads every frame of r, copying the pixels, and returns the frames
// and the error that ended the reading.
func readAll(t *testing.T, r *Reader) ([]Frame, [][]byte, error) {
	t.Helper()
	var frames []Frame
	var pix [][]byte
	for {
		f, err := r.Next()
		if err != nil {
			return frames, pix, err
		}
		frames = append(frames, f)
		pix = append(pix, append([]byte(nil), f.Img.Pix...))
	}
}

func TestProbeAndReadH264(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := testsrc(t, "in.mp4", 7, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	info, err := Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 64 || info.Height != 48 || info.FrameRate != (Rational{10, 1}) || info.FPS != 10 ||
		info.Frames != 7 || !info.FramesExact || info.Codec != "h264" || math.Abs(info.Duration-0.7) > 1e-9 {
		t.Errorf("Probe = %+v, want 64x48, 10/1, 7 exact frames, h264, 0.7 s", info)
	}
	r, err := Open(ctx, path, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames, _, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("reading ended with %v, want io.EOF", err)
	}
	if len(frames) != 7 || r.Count() != 7 {
		t.Fatalf("read %d frames (Count %d), want 7", len(frames), r.Count())
	}
	for i, f := range frames {
		if f.Index != i || !f.FromPTS || math.Abs(f.Time-float64(i)/10) > 1e-9 || f.Img.W != 64 || f.Img.H != 48 {
			t.Errorf("frame %d: index %d time %v (pts %v) size %dx%d, want time %v from pts, 64x48",
				i, f.Index, f.Time, f.FromPTS, f.Img.W, f.Img.H, float64(i)/10)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF again", err)
	}
}

// TestReadExactPixels reads a losslessly stored video and compares every
// byte with the pattern ffmpeg generates, so rows, channel order and frame
// order are checked.
func TestReadExactPixels(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := testsrc(t, "in.nut", 5, "-c:v", "rawvideo", "-pix_fmt", "rgb24")
	want, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
		"-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1").Output()
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 * 48 * 3
	if len(want) != 5*size {
		t.Fatalf("reference has %d bytes, want %d", len(want), 5*size)
	}
	for run := 0; run < 2; run++ { // twice: the same bytes each time
		r, err := Open(ctx, path, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var dst Image
		for i := 0; ; i++ {
			f, err := r.ReadFrame(&dst)
			if err == io.EOF {
				if i != 5 {
					t.Fatalf("run %d: %d frames, want 5", run, i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Img != &dst {
				t.Fatal("ReadFrame did not read into the given image")
			}
			if !bytes.Equal(dst.Pix, want[i*size:(i+1)*size]) {
				t.Fatalf("run %d frame %d: pixels differ from ffmpeg's testsrc", run, i)
			}
			c := dst.At(1, 2).(color.RGBA)
			j := 3 * (2*64 + 1)
			if c != (color.RGBA{want[i*size+j], want[i*size+j+1], want[i*size+j+2], 255}) {
				t.Fatalf("At(1, 2) = %v", c)
			}
		}
		r.Close()
	}
}

func TestReadStartAndMaxFrames(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := testsrc(t, "in.mp4", 10, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	r, err := Open(ctx, path, ReaderOptions{Start: 0.3, MaxFrames: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames, _, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("ended with %v, want io.EOF", err)
	}
	if len(frames) != 2 || math.Abs(frames[0].Time-0.3) > 1e-9 || math.Abs(frames[1].Time-0.4) > 1e-9 {
		t.Fatalf("frames %+v, want 2 at 0.3 s and 0.4 s", frames)
	}
}

func TestReadScaledWithoutProbe(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := testsrc(t, "in.mkv", 3, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	r, err := Open(ctx, path, ReaderOptions{Width: 32, Height: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frames, _, err := readAll(t, r)
	if err != io.EOF || len(frames) != 3 || frames[2].Img.W != 32 || frames[2].Img.H != 20 {
		t.Fatalf("%d frames, err %v; want 3 frames of 32x20 and io.EOF", len(frames), err)
	}
	if r.Info().FPS != 0 { // not probed
		t.Errorf("Info %+v: probed although Width and Height were given", r.Info())
	}
}

// solid returns a w x h RGBA picture of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return m
}

// palette is the colour of frame i in the writer tests.
func palette(i int) color.RGBA {
	return color.RGBA{uint8(40 + 20*(i%10)), uint8(200 - 15*(i%10)), uint8(90 + 7*(i%10)), 255}
}

// TestWriteReadBack writes frames of known colours and reads them back: the
// same count, size, rate and order, each colour within 6 levels (H.264 at
// CRF 23 on flat colours).
func TestWriteReadBack(t *testing.T) {
	needFFmpeg(t)
	for _, tc := range []struct {
		name       string
		w, h       int
		wantW      int
		wantH      int
		rate       Rational
		wantFrames int
	}{
		{"even.mp4", 64, 48, 64, 48, Rational{25, 1}, 12},
		{"odd.mp4", 63, 47, 64, 48, Rational{30000, 1001}, 12},
		{"even.mkv", 64, 48, 64, 48, Rational{10, 1}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			path := filepath.Join(t.TempDir(), tc.name)
			w, err := Create(ctx, path, WriterOptions{Width: tc.w, Height: tc.h, FrameRate: tc.rate})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.wantFrames; i++ {
				var img image.Image = solid(tc.w, tc.h, palette(i))
				if i%2 == 1 { // the packed-RGB path too
					m := &Image{W: tc.w, H: tc.h, Pix: make([]byte, 3*tc.w*tc.h)}
					for j := 0; j < len(m.Pix); j += 3 {
						c := palette(i)
						m.Pix[j], m.Pix[j+1], m.Pix[j+2] = c.R, c.G, c.B
					}
					img = m
				}
				if err := w.Write(img); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			info, err := Probe(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Width != tc.wantW || info.Height != tc.wantH || math.Abs(info.FPS-tc.rate.Float()) > 1e-9 || info.Codec != "h264" {
				t.Errorf("Probe = %+v, want %dx%d at %v frames/s, h264", info, tc.wantW, tc.wantH, tc.rate.Float())
			}
			r, err := Open(ctx, path, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			frames, pix, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("reading back ended with %v", err)
			}
			if len(frames) != tc.wantFrames {
				t.Fatalf("read back %d frames, wrote %d", len(frames), tc.wantFrames)
			}
			for i, p := range pix {
				c := palette(i)
				j := 3 * ((tc.wantH/2)*tc.wantW + tc.wantW/2)
				if d := maxDiff(p[j:j+3], c); d > 6 {
					t.Errorf("frame %d centre %v, wrote %v", i, p[j:j+3], c)
				}
				if math.Abs(frames[i].Time-float64(i)/tc.rate.Float()) > 1e-3 {
					t.Errorf("frame %d time %v, want %v", i, frames[i].Time, float64(i)/tc.rate.Float())
				}
				if tc.w != tc.wantW { // the padded column is black
					k := 3 * ((tc.wantH/2)*tc.wantW + tc.wantW - 1)
					// Chroma is shared by 2x2 pixels, so only the luma is black.
					if y := 0.299*float64(p[k]) + 0.587*float64(p[k+1]) + 0.114*float64(p[k+2]); y > 40 {
						t.Errorf("frame %d padded column %v (luma %.0f), want black", i, p[k:k+3], y)
					}
				}
			}
		})
	}
}

func maxDiff(p []byte, c color.RGBA) int {
	d := 0
	for k, v := range [3]uint8{c.R, c.G, c.B} {
		e := int(p[k]) - int(v)
		if e < 0 {
			e = -e
		}
		d = max(d, e)
	}
	return d
}

// TestWriterKilledStaysPlayable kills the encoder mid-stream (the caller's
// context ends) and checks that the fragmented MP4 it leaves decodes.
func TestWriterKilledStaysPlayable(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "killed.mp4")
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := Create(wctx, path, WriterOptions{Width: 64, Height: 48, FrameRate: Rational{10, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 80; i++ {
		if err := w.Write(solid(64, 48, palette(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until ffmpeg has written at least two fragments.
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if bytes.Count(data, []byte("moof")) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ffmpeg wrote fewer than two fragments in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := w.Close(); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after the context ended = %v, want context.Canceled", err)
	}
	r, err := Open(ctx, path, ReaderOptions{})
	if err != nil {
		t.Fatalf("the interrupted file does not open: %v", err)
	}
	defer r.Close()
	frames, pix, err := readAll(t, r)
	if len(frames) < 10 {
		t.Fatalf("the interrupted file gave %d frames (end: %v), want at least one fragment of 10", len(frames), err)
	}
	for i, p := range pix {
		if d := maxDiff(p[3*(24*64+32):], palette(i)); d > 6 {
			t.Fatalf("frame %d of the interrupted file has the wrong colour", i)
		}
	}
	t.Logf("interrupted file: %d frames, end %v", len(frames), err)
}

func TestWriterErrors(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	for _, opt := range []WriterOptions{
		{Width: 0, Height: 48, FrameRate: Rational{10, 1}},
		{Width: 64, Height: 48},
		{Width: 64, Height: 48, FrameRate: Rational{10, 1}, CRF: 60},
	} {
		if _, err := Create(ctx, filepath.Join(dir, "x.mp4"), opt); err == nil {
			t.Errorf("Create(%+v) succeeded", opt)
		}
	}
	// A wrong frame size is refused; no frames at all is an error at Close.
	w, err := Create(ctx, filepath.Join(dir, "empty.mp4"), WriterOptions{Width: 64, Height: 48, FrameRate: Rational{10, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(solid(32, 48, palette(0))); err == nil {
		t.Error("Write of a 32x48 frame into a 64x48 video succeeded")
	}
	if err := w.WriteRGB(make([]byte, 5)); err == nil {
		t.Error("WriteRGB of 5 bytes succeeded")
	}
	if err := w.Close(); !errors.Is(err, ErrNoFrames) {
		t.Errorf("Close with no frames = %v, want ErrNoFrames", err)
	}
	// A path ffmpeg cannot write: the error names the path and says why.
	bad := filepath.Join(dir, "no", "such", "dir", "out.mp4")
	w, err = Create(ctx, bad, WriterOptions{Width: 64, Height: 48, FrameRate: Rational{10, 1}})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 200 && werr == nil; i++ {
		werr = w.Write(solid(64, 48, palette(i)))
	}
	cerr := w.Close()
	if cerr == nil || !strings.Contains(cerr.Error(), bad) || !strings.Contains(cerr.Error(), "ffmpeg said") {
		t.Errorf("Close on an unwritable path = %v (write: %v), want an error naming it with ffmpeg's words", cerr, werr)
	}
	if werr != nil && cerr != werr {
		t.Errorf("Close returned %v, not the first error %v", cerr, werr)
	}
}

func TestMissingPrograms(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	ctx := context.Background()
	_, err1 := Probe(ctx, "x.mp4")
	_, err2 := Open(ctx, "x.mp4", ReaderOptions{})
	_, err3 := Create(ctx, filepath.Join(t.TempDir(), "x.mp4"), WriterOptions{Width: 2, Height: 2, FrameRate: Rational{1, 1}})
	for i, c := range []struct {
		err  error
		prog string
	}{{err1, "ffprobe"}, {err2, "ffmpeg"}, {err3, "ffmpeg"}} {
		if c.err == nil || !errors.Is(c.err, exec.ErrNotFound) || !strings.Contains(c.err.Error(), c.prog+" is not installed") ||
			!strings.Contains(c.err.Error(), "apt-get install ffmpeg") {
			t.Errorf("call %d: %v, want an error naming %s and apt-get install ffmpeg", i, c.err, c.prog)
		}
	}
}

func TestNoVideoStream(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "sine.wav")
	gen(t, "-f", "lavfi", "-i", "sine=duration=0.5", path)
	_, err := Probe(ctx, path)
	if !errors.Is(err, ErrNoVideo) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "audio") {
		t.Errorf("Probe of an audio file = %v, want ErrNoVideo naming the file and its audio stream", err)
	}
	if _, err := Open(ctx, path, ReaderOptions{}); !errors.Is(err, ErrNoVideo) {
		t.Errorf("Open of an audio file = %v, want ErrNoVideo", err)
	}
	// Not a video at all, and no file at all.
	junk := filepath.Join(t.TempDir(), "junk.mp4")
	os.WriteFile(junk, []byte("this is not a video"), 0o644)
	for _, p := range []string{junk, filepath.Join(t.TempDir(), "missing.mp4")} {
		if _, err := Open(ctx, p, ReaderOptions{}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming it", p, err)
		}
	}
}

// TestZeroFrames: a stream with a header and no frames ends with ErrNoFrames
// at the first Next; an MP4 written with no frames has no video stream.
func TestZeroFrames(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	y4m := filepath.Join(t.TempDir(), "empty.y4m")
	os.WriteFile(y4m, []byte("YUV4MPEG2 W64 H48 F10:1 Ip A1:1 C420jpeg\n"), 0o644)
	r, err := Open(ctx, y4m, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); !errors.Is(err, ErrNoFrames) || !strings.Contains(err.Error(), y4m) {
		t.Errorf("Next on a stream without frames = %v, want ErrNoFrames naming it", err)
	}
	mp4 := testsrc(t, "zero.mp4", 0, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	if _, err := Open(ctx, mp4, ReaderOptions{}); err == nil {
		t.Error("Open of an MP4 written with no frames succeeded")
	}
	// A start time past the end gives no frames either.
	path := testsrc(t, "short.mp4", 3, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	r2, err := Open(ctx, path, ReaderOptions{Start: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.Next(); !errors.Is(err, ErrNoFrames) {
		t.Errorf("Next with the start past the end = %v, want ErrNoFrames", err)
	}
}

// TestTruncated cuts files in half. An MP4 with its index at the end no
// longer opens; an MPEG-TS gives the frames before the cut and ends; an AVI
// (whose header states the frame count) ends with ErrTruncated or fails to
// open. Never a hang or a panic.
func TestTruncated(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	cut := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mp4 := testsrc(t, "cut.mp4", 30, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	cut(mp4)
	if _, err := Open(ctx, mp4, ReaderOptions{}); err == nil || !strings.Contains(err.Error(), mp4) {
		t.Errorf("Open of a half MP4 = %v, want an error naming it", err)
	}

	ts := testsrc(t, "cut.ts", 30, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	cut(ts)
	r, err := Open(ctx, ts, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frames, _, err := readAll(t, r)
	r.Close()
	if err != io.EOF || len(frames) == 0 || len(frames) >= 30 {
		t.Errorf("half MPEG-TS: %d frames, end %v; want some of the 30 and io.EOF", len(frames), err)
	}
	t.Logf("half MPEG-TS: %d of 30 frames", len(frames))

	avi := testsrc(t, "cut.avi", 30, "-c:v", "mjpeg", "-q:v", "3")
	cut(avi)
	r, err = Open(ctx, avi, ReaderOptions{})
	if err != nil {
		t.Logf("half AVI does not open: %v", err)
		return
	}
	frames, _, err = readAll(t, r)
	r.Close()
	if !errors.Is(err, ErrTruncated) && !(r.Info().Frames == 0 || !r.Info().FramesExact) {
		t.Errorf("half AVI: %d frames, end %v, info %+v; want ErrTruncated", len(frames), err, r.Info())
	}
	t.Logf("half AVI: %d frames, end %v", len(frames), err)
}

// TestCorruptMiddle overwrites bytes in the middle of an MPEG-TS and an
// MJPEG AVI. Without Strict ffmpeg conceals the damage and reading ends
// cleanly or with a named error; with Strict it stops with an error. Never a
// hang or a panic (the context bounds every run).
func TestCorruptMiddle(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	corrupt := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mid := len(data) / 2
		for i := mid; i < mid+2000 && i < len(data); i++ {
			data[i] = byte(i*7 + 13)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		opts []string
	}{
		{"mid.ts", []string{"-c:v", "libx264", "-pix_fmt", "yuv420p"}},
		{"mid.avi", []string{"-c:v", "mjpeg", "-q:v", "3"}},
	} {
		path := testsrc(t, c.name, 40, c.opts...)
		corrupt(path)
		for _, strict := range []bool{false, true} {
			r, err := Open(ctx, path, ReaderOptions{Strict: strict})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			frames, _, err := readAll(t, r)
			r.Close()
			if err != io.EOF && (err == nil || !strings.Contains(err.Error(), path)) {
				t.Errorf("%s strict=%v: ended with %v, want io.EOF or an error naming the file", c.name, strict, err)
			}
			if strict && err == io.EOF {
				t.Errorf("%s strict: %d frames and a clean end despite the damage", c.name, len(frames))
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: timed out", c.name)
			}
			t.Logf("%s strict=%v: %d of 40 frames, end: %v", c.name, strict, len(frames), err)
		}
	}
}

// fakeFFmpeg puts a shell script named ffmpeg first in PATH.
func fakeFFmpeg(t *testing.T, script string) { fakeProgram(t, "ffmpeg", script) }

// TestPartialFrameAndExitStatus uses a stand-in ffmpeg that writes one and a
// half frames of a 4x2 video: the second frame is ErrPartialFrame; one that
// fails names the input and quotes its stderr.
func TestPartialFrameAndExitStatus(t *testing.T) {
	// 4x2 rgb24 = 24 bytes a frame; write 36.
	fakeFFmpeg(t, `head -c 36 /dev/zero; echo "[h264 @ 0x1] something broke" >&2; exit 0`)
	ctx := testCtx(t)
	r, err := Open(ctx, "cam://1", ReaderOptions{Width: 4, Height: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if !errors.Is(err, ErrPartialFrame) || !strings.Contains(err.Error(), "12 of 24 bytes") ||
		!strings.Contains(err.Error(), "something broke") || !strings.Contains(err.Error(), "cam://1") {
		t.Errorf("half a frame: %v", err)
	}
	r.Close()

	fakeFFmpeg(t, `head -c 48 /dev/zero; echo "Connection refused" >&2; exit 1`)
	r, err = Open(ctx, "rtsp://cam/2", ReaderOptions{Width: 4, Height: 2})
	if err != nil {
		t.Fatal(err)
	}
	frames, _, err := readAll(t, r)
	r.Close()
	var exit *exec.ExitError
	if len(frames) != 2 || !errors.As(err, &exit) || !strings.Contains(err.Error(), "rtsp://cam/2") ||
		!strings.Contains(err.Error(), "Connection refused") || !strings.Contains(err.Error(), "after 2 frames") {
		t.Errorf("%d frames, end %v; want 2 and ffmpeg's failure", len(frames), err)
	}
	// Frames without showinfo lines get their time from the index (no rate known here: the start).
	if len(frames) == 2 && (frames[1].FromPTS || frames[1].Time != 0) {
		t.Errorf("frame without pts: %+v", frames[1])
	}
}

// TestCloseEarly closes a reader in the middle of a long input: ffmpeg is
// stopped and reading after Close is an error.
func TestCloseEarly(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	r, err := Open(ctx, "testsrc=size=64x48:rate=25", ReaderOptions{InputArgs: []string{"-f", "lavfi"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not stop ffmpeg within 20 s")
	}
	if r.cmd.ProcessState == nil {
		t.Error("ffmpeg was not waited for")
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

func TestOpenOptionErrors(t *testing.T) {
	ctx := context.Background()
	for _, opt := range []ReaderOptions{
		{Start: -1}, {Start: math.NaN()}, {MaxFrames: -2}, {Width: 10}, {Width: -1, Height: -1},
	} {
		if _, err := Open(ctx, "x.mp4", opt); err == nil {
			t.Errorf("Open with %+v succeeded", opt)
		}
	}
}

// fakeProgram puts a shell script named name first in PATH.
func fakeProgram(t *testing.T, name, script string) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestNoSizeFromProbe: a stream whose size ffprobe cannot tell is refused
// with ErrNoSize and a message that asks for Width and Height.
func TestNoSizeFromProbe(t *testing.T) {
	fakeProgram(t, "ffprobe", `echo '{"streams": [{"codec_type": "video", "codec_name": "h264", "r_frame_rate": "25/1"}], "format": {"format_name": "rtsp"}}'`)
	fakeProgram(t, "ffmpeg", `exit 0`)
	_, err := Open(testCtx(t), "rtsp://cam/live", ReaderOptions{})
	if !errors.Is(err, ErrNoSize) || !strings.Contains(err.Error(), "rtsp://cam/live") || !strings.Contains(err.Error(), "Width and Height") {
		t.Errorf("Open = %v, want ErrNoSize naming the stream and asking for Width and Height", err)
	}
}

// TestStalledStream: a stream that stops sending without ending blocks
// Next until the caller's context ends; then Next returns the context's
// error and ffmpeg is gone.
func TestStalledStream(t *testing.T) {
	fakeProgram(t, "ffmpeg", `head -c 24 /dev/zero; exec sleep 60`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := Open(ctx, "rtsp://cam/stalled", ReaderOptions{Width: 4, Height: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = r.Next()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "rtsp://cam/stalled") {
		t.Errorf("Next on a stalled stream = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Next returned %v after the deadline", d)
	}
}
