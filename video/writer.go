package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Encoder defaults.
const (
	DefaultCodec  = "libx264"  // H.264
	DefaultCRF    = 23         // libx264's own default quality
	DefaultPreset = "veryfast" // fast enough to hide behind a pose network on 2 cores
)

// ErrNoFrames marks an input that ended before its first frame, and a
// Writer closed before any frame was written (its file holds no video).
var ErrNoFrames = errors.New("no frames")

// WriterOptions describe the video Create writes.
type WriterOptions struct {
	Width, Height int      // size of the frames given to Write (odd sizes are padded, see the package doc)
	FrameRate     Rational // frames per second; required (ParseRational("29.97") for a float rate)
	Codec         string   // ffmpeg encoder; "" is DefaultCodec
	CRF           int      // libx264/libx265 constant rate factor in [1, 51]; 0 is DefaultCRF
	Preset        string   // libx264/libx265 preset; "" is DefaultPreset
	Threads       int      // encoder threads (-threads); 0: ffmpeg's choice (about 1.5 per core for libx264)
}

// Writer encodes frames into a video file through an ffmpeg child process.
// Close must always be called, also after an error, to finish the file.
type Writer struct {
	path   string
	w, h   int
	ctx    context.Context
	cancel context.CancelFunc
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	log    *stderrLog
	buf    []byte
	count  int
	err    error // sticky: the first failure
	closed bool
}

// Create starts encoding a video at path (the container follows the file
// extension, as ffmpeg decides it; an existing file is replaced). MP4 and
// MOV files are written fragmented so that what was written stays playable
// if ffmpeg is killed. Cancelling ctx kills ffmpeg.
func Create(ctx context.Context, path string, opt WriterOptions) (*Writer, error) {
	if opt.Width <= 0 || opt.Height <= 0 || int64(opt.Width)*int64(opt.Height) > MaxPixels {
		return nil, fmt.Errorf("video: creating %s: frame size %dx%d is not in [1, %d pixels]", path, opt.Width, opt.Height, MaxPixels)
	}
	if !opt.FrameRate.Valid() {
		return nil, fmt.Errorf("video: creating %s: frame rate %s is not a positive Num/Den", path, opt.FrameRate)
	}
	codec := opt.Codec
	if codec == "" {
		codec = DefaultCodec
	}
	crf := opt.CRF
	if crf == 0 {
		crf = DefaultCRF
	}
	if crf < 1 || crf > 51 {
		return nil, fmt.Errorf("video: creating %s: CRF %d is not in [1, 51]", path, opt.CRF)
	}
	preset := opt.Preset
	if preset == "" {
		preset = DefaultPreset
	}
	prog, err := lookPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	gop := int(math.Round(opt.FrameRate.Float()))
	if gop < 1 {
		gop = 1
	}
	args := []string{"-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt.Sprintf("%dx%d", opt.Width, opt.Height),
		"-framerate", opt.FrameRate.String(), "-i", "pipe:0"}
	if opt.Width%2 != 0 || opt.Height%2 != 0 {
		args = append(args, "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2")
	}
	args = append(args, "-c:v", codec)
	if codec == "libx264" || codec == "libx265" {
		args = append(args, "-preset", preset, "-crf", strconv.Itoa(crf), "-pix_fmt", "yuv420p")
	}
	if opt.Threads < 0 {
		return nil, fmt.Errorf("video: creating %s: %d threads", path, opt.Threads)
	}
	if opt.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(opt.Threads))
	}
	args = append(args, "-g", strconv.Itoa(gop))
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mp4", ".m4v", ".mov":
		args = append(args, "-movflags", "+frag_keyframe+empty_moov+default_base_moof")
	}
	args = append(args, "-flush_packets", "1")
	args = append(args, path)

	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, prog, args...)
	cmd.WaitDelay = waitDelay
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("video: ffmpeg for %s: %w", path, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("video: ffmpeg for %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("video: starting ffmpeg for %s: %w", path, err)
	}
	return &Writer{
		path: path, w: opt.Width, h: opt.Height, ctx: ctx, cancel: cancel,
		cmd: cmd, stdin: stdin, log: newStderrLog(stderr, nil),
		buf: make([]byte, 3*opt.Width*opt.Height),
	}, nil
}

// Count returns how many frames have been written.
func (w *Writer) Count() int { return w.count }

// Write encodes one frame. Its bounds must be Width x Height (any origin).
// *Image, *image.RGBA and *image.NRGBA are copied row by row; other images
// go through At (slow). Alpha is dropped, not composited.
func (w *Writer) Write(img image.Image) error {
	if w.err != nil {
		return w.err
	}
	if img == nil {
		return errors.New("video: Write: nil image")
	}
	b := img.Bounds()
	if b.Dx() != w.w || b.Dy() != w.h {
		return fmt.Errorf("video: writing %s: frame %d is %dx%d, the video is %dx%d", w.path, w.count, b.Dx(), b.Dy(), w.w, w.h)
	}
	switch m := img.(type) {
	case *Image:
		if len(m.Pix) < 3*w.w*w.h {
			return fmt.Errorf("video: writing %s: frame %d has %d bytes, %dx%d needs %d", w.path, w.count, len(m.Pix), w.w, w.h, 3*w.w*w.h)
		}
		return w.WriteRGB(m.Pix[:3*w.w*w.h])
	case *image.RGBA:
		w.copy4(m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y))
	case *image.NRGBA:
		w.copy4(m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y))
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				w.buf[i], w.buf[i+1], w.buf[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
				i += 3
			}
		}
	}
	return w.WriteRGB(w.buf)
}

// copy4 packs 4-byte pixels (RGBA order) into w.buf, dropping the fourth.
func (w *Writer) copy4(pix []uint8, stride, off int) {
	i := 0
	for y := 0; y < w.h; y++ {
		row := pix[off+y*stride : off+y*stride+4*w.w]
		for x := 0; x < len(row); x += 4 {
			w.buf[i], w.buf[i+1], w.buf[i+2] = row[x], row[x+1], row[x+2]
			i += 3
		}
	}
}

// WriteRGB encodes one frame given as packed 8-bit R, G, B bytes, row after
// row: exactly 3 x Width x Height bytes.
func (w *Writer) WriteRGB(pix []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("video: writer for %s is closed", w.path)
	}
	if len(pix) != 3*w.w*w.h {
		return fmt.Errorf("video: writing %s: frame %d has %d bytes, %dx%d needs %d", w.path, w.count, len(pix), w.w, w.h, 3*w.w*w.h)
	}
	if _, err := w.stdin.Write(pix); err != nil {
		// ffmpeg has gone: say why.
		_ = w.stdin.Close()
		waitErr := w.cmd.Wait()
		w.log.wait(waitDelay)
		w.closed = true
		w.cancel()
		w.err = w.failure(fmt.Sprintf("frame %d", w.count), waitErr, err)
		return w.err
	}
	w.count++
	return nil
}

// failure builds the error for ffmpeg's failure while writing (where says
// when; waitErr is ffmpeg's exit, other what else failed).
func (w *Writer) failure(where string, waitErr, other error) error {
	tail := tailSuffix(w.log.tail())
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("video: writing %s (%s): %w%s", w.path, where, err, tail)
	}
	if waitErr != nil {
		return fmt.Errorf("video: ffmpeg failed writing %s (%s): %w%s", w.path, where, waitErr, tail)
	}
	return fmt.Errorf("video: writing %s (%s): %w%s", w.path, where, other, tail)
}

// Close finishes the file: it closes ffmpeg's input, waits for it to encode
// what is left and write the file's end, and returns ffmpeg's failure with
// the last lines of its stderr, ErrNoFrames when no frame was written, or
// the first error of an earlier Write. It must always be called; calling it
// again returns the same result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	closeErr := w.stdin.Close()
	waitErr := w.cmd.Wait()
	w.log.wait(waitDelay)
	w.cancel()
	switch {
	case waitErr != nil || w.ctx.Err() != nil:
		w.err = w.failure(fmt.Sprintf("closing after %d frames", w.count), waitErr, closeErr)
	case closeErr != nil && !errors.Is(closeErr, io.ErrClosedPipe):
		w.err = w.failure(fmt.Sprintf("closing after %d frames", w.count), nil, closeErr)
	case w.count == 0:
		w.err = fmt.Errorf("video: %s: %w were written; the file holds no video", w.path, ErrNoFrames)
	}
	return w.err
}
