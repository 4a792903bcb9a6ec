package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// ErrPartialFrame marks a stream that ended in the middle of a frame.
var ErrPartialFrame = errors.New("stream ended in the middle of a frame")

// ErrTruncated marks an input that gave fewer frames than its container
// states (see Reader.Next).
var ErrTruncated = errors.New("fewer frames than the container states")

// MaxPixels bounds the frame size (width x height) that Open and Create
// accept, as pipeline.MaxImagePixels does for pictures.
const MaxPixels = 1 << 28

// Image is an 8-bit RGB picture stored as packed R, G, B bytes, row after row
// (stride 3*W): ffmpeg's rgb24. It implements image.Image.
type Image struct {
	Pix  []uint8
	W, H int
}

// ColorModel returns color.RGBAModel.
func (m *Image) ColorModel() color.Model { return color.RGBAModel }

// Bounds returns the rectangle (0, 0)-(W, H).
func (m *Image) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At returns the pixel at (x, y) as an opaque color.RGBA; outside the bounds
// it returns transparent black.
func (m *Image) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return color.RGBA{}
	}
	i := 3 * (y*m.W + x)
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255}
}

// resize makes m a w x h picture, reusing Pix when it is large enough.
func (m *Image) resize(w, h int) {
	n := 3 * w * h
	if cap(m.Pix) < n {
		m.Pix = make([]uint8, n)
	}
	m.Pix = m.Pix[:n]
	m.W, m.H = w, h
}

// Frame is one decoded frame.
type Frame struct {
	Index   int     // 0 for the first frame the Reader returns, then 1, 2, ...
	Time    float64 // presentation time in seconds from the start of the input (see the package doc)
	FromPTS bool    // Time comes from the frame's pts; false: from Index and the frame rate
	Img     *Image  // the pixels (see Reader.Next and Reader.ReadFrame for how long they stay valid)
}

// ReaderOptions adjust Open. The zero value reads every frame at the
// input's own size.
type ReaderOptions struct {
	Start     float64  // seconds to skip at the start (-ss before -i: accurate seek); 0: none
	MaxFrames int      // stop after this many frames (-frames:v); 0: all
	Width     int      // with Height: scale frames to Width x Height and do not probe the input
	Height    int      // see Width
	InputArgs []string // extra ffmpeg/ffprobe input options, placed before -i (e.g. "-rtsp_transport", "tcp")
	Strict    bool     // stop with an error at the first damaged packet (-xerror, -err_detect explode)
	Threads   int      // decoder threads (-threads before -i); 0: ffmpeg's choice (about one per core)
}

// ptsTime is the time of one frame as the showinfo filter logged it.
type ptsTime struct {
	seconds float64
	ok      bool // false: the frame had no pts
}

// Reader decodes the frames of one input through an ffmpeg child process.
// Close must be called when done with it.
type Reader struct {
	input  string
	info   Info
	opt    ReaderOptions
	w, h   int
	ctx    context.Context // the caller's
	cancel context.CancelFunc
	cmd    *exec.Cmd
	stdout io.ReadCloser
	log    *stderrLog
	buf    Image
	count  int
	err    error // sticky: once set, Next returns it

	mu       sync.Mutex
	cond     *sync.Cond
	times    []ptsTime // frame times logged but not yet taken, oldest first
	tbNum    int64     // the showinfo input time base, tbNum/tbDen seconds per pts unit
	tbDen    int64
	logEnded bool
}

// Open starts decoding input (a file, or any URL or device that ffmpeg
// opens) with the options in opt. Unless opt gives Width and Height, it
// probes the input first for its frame size and rate (Reader.Info), and
// fails when the input has no video stream (ErrNoVideo) or ffprobe reports
// no frame size (ErrNoSize). Cancelling ctx kills ffmpeg.
func Open(ctx context.Context, input string, opt ReaderOptions) (*Reader, error) {
	if math.IsNaN(opt.Start) || math.IsInf(opt.Start, 0) || opt.Start < 0 {
		return nil, fmt.Errorf("video: start time %v s is not a finite number >= 0", opt.Start)
	}
	if opt.MaxFrames < 0 {
		return nil, fmt.Errorf("video: max frames %d is negative", opt.MaxFrames)
	}
	if (opt.Width == 0) != (opt.Height == 0) || opt.Width < 0 || opt.Height < 0 {
		return nil, fmt.Errorf("video: frame size %dx%d: give both width and height > 0, or neither", opt.Width, opt.Height)
	}
	prog, err := lookPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	r := &Reader{input: input, opt: opt, ctx: ctx}
	r.cond = sync.NewCond(&r.mu)
	if opt.Width > 0 {
		r.w, r.h = opt.Width, opt.Height
		r.info = Info{Width: opt.Width, Height: opt.Height}
	} else {
		info, err := probe(ctx, input, opt.InputArgs)
		if err != nil {
			return nil, err
		}
		if info.Width <= 0 || info.Height <= 0 {
			return nil, fmt.Errorf("video: %s: %w (a live stream that has not started sending, or a codec ffprobe cannot parse): set ReaderOptions.Width and Height to have frames scaled to a known size",
				input, ErrNoSize)
		}
		r.info, r.w, r.h = info, info.Width, info.Height
	}
	if int64(r.w)*int64(r.h) > MaxPixels {
		return nil, fmt.Errorf("video: %s: frame size %dx%d is over %d pixels", input, r.w, r.h, MaxPixels)
	}

	args := []string{"-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info"}
	if opt.Strict {
		args = append(args, "-xerror", "-err_detect", "explode")
	}
	args = append(args, opt.InputArgs...)
	if opt.Start > 0 {
		args = append(args, "-ss", strconv.FormatFloat(opt.Start, 'f', -1, 64))
	}
	filter := "showinfo=checksum=0"
	if opt.Width > 0 {
		filter = fmt.Sprintf("scale=%d:%d,%s", opt.Width, opt.Height, filter)
	}
	if opt.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(opt.Threads))
	}
	args = append(args, "-i", input, "-map", "0:v:0", "-vf", filter, "-fps_mode", "passthrough")
	if opt.MaxFrames > 0 {
		args = append(args, "-frames:v", strconv.Itoa(opt.MaxFrames))
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")

	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, prog, args...)
	cmd.WaitDelay = waitDelay
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("video: ffmpeg for %s: %w", input, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("video: ffmpeg for %s: %w", input, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("video: starting ffmpeg for %s: %w", input, err)
	}
	r.cmd, r.stdout, r.cancel = cmd, stdout, cancel
	r.log = newStderrLog(stderr, r.onShowinfo)
	go func() {
		<-r.log.done
		r.mu.Lock()
		r.logEnded = true
		r.cond.Broadcast()
		r.mu.Unlock()
	}()
	return r, nil
}

// Info returns what probing found (only the size when ReaderOptions gave
// Width and Height).
func (r *Reader) Info() Info { return r.info }

// Size returns the size of the frames Next returns.
func (r *Reader) Size() (w, h int) { return r.w, r.h }

// Count returns how many frames have been returned so far.
func (r *Reader) Count() int { return r.count }

// onShowinfo takes one line of the showinfo filter's log (without its
// prefix): the time base from its configuration line, and each frame's pts.
func (r *Reader) onShowinfo(line string) {
	if rest, ok := strings.CutPrefix(line, "config in time_base:"); ok {
		tb, _, _ := strings.Cut(rest, ",")
		num, den, ok := strings.Cut(strings.TrimSpace(tb), "/")
		n, err1 := strconv.ParseInt(num, 10, 64)
		d, err2 := strconv.ParseInt(den, 10, 64)
		if ok && err1 == nil && err2 == nil && n > 0 && d > 0 {
			r.mu.Lock()
			r.tbNum, r.tbDen = n, d
			r.mu.Unlock()
		}
		return
	}
	if !strings.HasPrefix(line, "n:") {
		return // side data and other detail lines
	}
	f := strings.Fields(line)
	var pts, ptsTimeStr string
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "pts:" && i+1 < len(f):
			pts = f[i+1]
		case strings.HasPrefix(f[i], "pts:") && len(f[i]) > 4:
			pts = f[i][4:]
		case strings.HasPrefix(f[i], "pts_time:"):
			ptsTimeStr = f[i][len("pts_time:"):]
		}
	}
	t := ptsTime{}
	r.mu.Lock()
	if p, err := strconv.ParseInt(pts, 10, 64); err == nil && r.tbDen > 0 {
		t = ptsTime{seconds: float64(p) * float64(r.tbNum) / float64(r.tbDen), ok: true}
	} else if s, err := strconv.ParseFloat(ptsTimeStr, 64); err == nil && !math.IsNaN(s) && !math.IsInf(s, 0) {
		t = ptsTime{seconds: s, ok: true}
	}
	r.times = append(r.times, t)
	r.cond.Broadcast()
	r.mu.Unlock()
}

// frameTime returns the time of the frame just read: the next logged pts,
// waiting for its line if ffmpeg's stderr is behind its stdout, or, when
// none comes, Start + Index / rate.
func (r *Reader) frameTime(index int) (float64, bool) {
	r.mu.Lock()
	for len(r.times) == 0 && !r.logEnded {
		r.cond.Wait()
	}
	var t ptsTime
	if len(r.times) > 0 {
		t = r.times[0]
		n := copy(r.times, r.times[1:]) // a few entries at most: ffmpeg is throttled by the pipe
		r.times = r.times[:n]
	}
	r.mu.Unlock()
	if t.ok {
		return r.opt.Start + t.seconds, true
	}
	if r.info.FPS > 0 {
		return r.opt.Start + float64(index)/r.info.FPS, false
	}
	return r.opt.Start, false
}

// Next returns the next frame. Its pixels live in a buffer of the Reader's
// that the next call overwrites: copy what must outlive it, or use ReadFrame.
// At the clean end of the input Next returns io.EOF; every other end is an
// error naming the input, with the last lines of ffmpeg's stderr: ffmpeg's
// non-zero exit, a stream that stops in the middle of a frame
// (ErrPartialFrame), and fewer frames than the container states
// (ErrTruncated; checked only when Info.FramesExact and neither Start nor
// MaxFrames is set), and an input that ends before its first frame
// (ErrNoFrames). After an error or io.EOF, Next returns the same again.
func (r *Reader) Next() (Frame, error) {
	return r.ReadFrame(&r.buf)
}

// ReadFrame is Next with the pixels read into dst, which is resized (and
// reallocated only when too small): a caller that hands frames to other
// goroutines can recycle its own buffers.
func (r *Reader) ReadFrame(dst *Image) (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err
	}
	if dst == nil {
		return Frame{}, errors.New("video: ReadFrame: nil destination image")
	}
	dst.resize(r.w, r.h)
	n, err := io.ReadFull(r.stdout, dst.Pix)
	if err != nil {
		r.err = r.finish(n, err)
		return Frame{}, r.err
	}
	t, ok := r.frameTime(r.count)
	f := Frame{Index: r.count, Time: t, FromPTS: ok, Img: dst}
	r.count++
	return f, nil
}

// finish waits for ffmpeg after its stdout ended (n bytes of a frame had
// come, readErr is what reading said) and says why it ended.
func (r *Reader) finish(n int, readErr error) error {
	waitErr := r.cmd.Wait()
	r.log.wait(waitDelay)
	r.cancel()
	tail := r.log.tail()
	if err := r.ctx.Err(); err != nil {
		return fmt.Errorf("video: reading %s: %w", r.input, err)
	}
	if readErr != io.EOF && readErr != io.ErrUnexpectedEOF && !errors.Is(readErr, exec.ErrWaitDelay) {
		// An error from the pipe itself.
		if waitErr == nil {
			return fmt.Errorf("video: reading frame %d of %s from ffmpeg: %w", r.count, r.input, readErr)
		}
	}
	if n > 0 {
		status := ""
		if waitErr != nil {
			status = " (ffmpeg: " + waitErr.Error() + ")"
		}
		return fmt.Errorf("video: %s: frame %d: %w: %d of %d bytes%s%s",
			r.input, r.count, ErrPartialFrame, n, 3*r.w*r.h, status, tailSuffix(tail))
	}
	if waitErr != nil {
		return fmt.Errorf("video: ffmpeg failed on %s after %d frames: %w%s", r.input, r.count, waitErr, tailSuffix(tail))
	}
	if r.count == 0 {
		return fmt.Errorf("video: %s: %w: ffmpeg decoded none (an empty stream, or a start time past its end?)%s",
			r.input, ErrNoFrames, tailSuffix(tail))
	}
	if r.info.FramesExact && r.opt.Start == 0 && r.opt.MaxFrames == 0 && r.count < r.info.Frames {
		return fmt.Errorf("video: %s: %w: %d decoded, %d stated (a truncated or damaged file?)%s",
			r.input, ErrTruncated, r.count, r.info.Frames, tailSuffix(tail))
	}
	return io.EOF
}

// Close stops ffmpeg (killing it if it is still running) and waits for it.
// It returns nil; reading after Close returns an error.
func (r *Reader) Close() error {
	if r.err == nil {
		r.cancel()
		_ = r.cmd.Wait()
		r.log.wait(waitDelay)
		r.err = fmt.Errorf("video: reader for %s is closed", r.input)
	}
	return nil
}
