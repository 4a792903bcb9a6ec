package video

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNoVideo marks an input that has no video stream.
var ErrNoVideo = errors.New("no video stream")

// ErrNoSize marks an input whose video stream has no known frame size (a live
// stream that has not started, or a codec ffprobe cannot parse).
var ErrNoSize = errors.New("ffprobe reports no frame size")

// Rational is a frame rate as ffmpeg states it: Num/Den frames per second.
// The zero value means unknown.
type Rational struct {
	Num, Den int
}

// Float returns Num/Den, or 0 when the rate is unknown (Den or Num is 0).
func (r Rational) Float() float64 {
	if r.Num == 0 || r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Valid reports whether r is a positive rate.
func (r Rational) Valid() bool {
	return r.Num > 0 && r.Den > 0
}

// String writes r as ffmpeg does, "Num/Den".
func (r Rational) String() string {
	return strconv.Itoa(r.Num) + "/" + strconv.Itoa(r.Den)
}

// ParseRational reads "Num/Den" (ffprobe's form) or a plain number such as
// "25" or "29.97" (turned into Num/1000 when it is not whole). "0/0" is the
// zero Rational, which means unknown.
func ParseRational(s string) (Rational, error) {
	s = strings.TrimSpace(s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.Atoi(num)
		d, err2 := strconv.Atoi(den)
		if err1 != nil || err2 != nil || n < 0 || d < 0 {
			return Rational{}, fmt.Errorf("video: frame rate %q is not Num/Den with whole numbers >= 0", s)
		}
		if n == 0 || d == 0 {
			return Rational{}, nil
		}
		return Rational{n, d}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e6 {
		return Rational{}, fmt.Errorf("video: frame rate %q is not a number in [0, 1e6]", s)
	}
	if f == math.Trunc(f) {
		return Rational{int(f), 1}, nil
	}
	return Rational{int(math.Round(f * 1000)), 1000}, nil
}

// Info describes the first video stream of an input, as ffprobe reports it.
type Info struct {
	Width, Height int      // frame size in pixels after ffmpeg's autorotation; 0 when unknown
	Rotation      int      // display rotation in degrees (0, 90, 180 or 270) that ffmpeg applies when decoding
	FrameRate     Rational // avg_frame_rate, or r_frame_rate when the average is unknown; zero when unknown
	FPS           float64  // FrameRate as a number; 0 when unknown
	Duration      float64  // seconds: the stream's duration, else the container's; 0 when unknown
	Frames        int      // nb_frames, else round(Duration*FPS); 0 when unknown
	FramesExact   bool     // Frames is the container's nb_frames, not an estimate
	Codec         string   // codec_name, e.g. "h264"
	PixFmt        string   // the stream's pixel format, e.g. "yuv420p"
	Format        string   // the container's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
}

// Probe runs ffprobe on input (a file, or any URL or device ffmpeg opens)
// and describes its first video stream. An input without a video stream is
// an error wrapping ErrNoVideo.
func Probe(ctx context.Context, input string) (Info, error) {
	return probe(ctx, input, nil)
}

// probe runs ffprobe with extra input options (placed before -i).
func probe(ctx context.Context, input string, inputArgs []string) (Info, error) {
	prog, err := lookPath("ffprobe")
	if err != nil {
		return Info{}, err
	}
	args := []string{"-v", "error", "-print_format", "json", "-show_streams", "-show_format"}
	args = append(args, inputArgs...)
	args = append(args, "-i", input)
	cmd := exec.CommandContext(ctx, prog, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = waitDelay
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Info{}, fmt.Errorf("video: ffprobe %s: %w", input, ctx.Err())
		}
		msg := strings.Join(strings.Fields(stderr.String()), " ")
		if len(msg) > 600 {
			msg = msg[len(msg)-600:]
		}
		return Info{}, fmt.Errorf("video: ffprobe %s: %w: %s", input, err, msg)
	}
	info, err := ParseProbe(stdout.Bytes())
	if err != nil {
		return Info{}, fmt.Errorf("video: ffprobe %s: %w", input, err)
	}
	return info, nil
}

// probeJSON is the part of ffprobe's JSON output that Probe reads. Numbers
// that ffprobe writes as strings are strings here.
type probeJSON struct {
	Streams []struct {
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		PixFmt       string `json:"pix_fmt"`
		RFrameRate   string `json:"r_frame_rate"`
		AvgFrameRate string `json:"avg_frame_rate"`
		Duration     string `json:"duration"`
		NbFrames     string `json:"nb_frames"`
		Disposition  struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
		Tags struct {
			Rotate string `json:"rotate"`
		} `json:"tags"`
		SideData []struct {
			Type     string   `json:"side_data_type"`
			Rotation *float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// maxSide bounds the frame sides Probe accepts: ffmpeg's own limit is
// below this, so anything larger is a broken report.
const maxSide = 1 << 16

// ParseProbe reads the JSON that `ffprobe -print_format json -show_streams
// -show_format` writes and describes the first video stream (cover pictures,
// attached_pic, are not video). It fails on malformed JSON, an input without
// a video stream (wrapping ErrNoVideo), and sizes, rates, durations or
// counts that are negative or out of range. A size of 0 x 0 is accepted
// (unknown; Open rejects it).
func ParseProbe(data []byte) (Info, error) {
	var p probeJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return Info{}, fmt.Errorf("reading ffprobe's JSON: %w", err)
	}
	var kinds []string
	for _, s := range p.Streams {
		if s.CodecType != "video" || s.Disposition.AttachedPic != 0 {
			kinds = append(kinds, s.CodecType)
			continue
		}
		info := Info{Codec: s.CodecName, PixFmt: s.PixFmt, Format: p.Format.FormatName}
		if s.Width < 0 || s.Height < 0 || s.Width > maxSide || s.Height > maxSide {
			return Info{}, fmt.Errorf("video stream size %dx%d is out of range [0, %d]", s.Width, s.Height, maxSide)
		}
		info.Width, info.Height = s.Width, s.Height
		rot, err := rotation(s.Tags.Rotate, func() *float64 {
			for _, sd := range s.SideData {
				if sd.Rotation != nil {
					return sd.Rotation
				}
			}
			return nil
		}())
		if err != nil {
			return Info{}, err
		}
		info.Rotation = rot
		if rot == 90 || rot == 270 {
			info.Width, info.Height = info.Height, info.Width
		}
		avg, err := parseRate(s.AvgFrameRate, "avg_frame_rate")
		if err != nil {
			return Info{}, err
		}
		r, err := parseRate(s.RFrameRate, "r_frame_rate")
		if err != nil {
			return Info{}, err
		}
		info.FrameRate = avg
		if !avg.Valid() {
			info.FrameRate = r
		}
		info.FPS = info.FrameRate.Float()
		if info.Duration, err = parseSeconds(s.Duration, "stream duration"); err != nil {
			return Info{}, err
		}
		if info.Duration == 0 {
			if info.Duration, err = parseSeconds(p.Format.Duration, "container duration"); err != nil {
				return Info{}, err
			}
		}
		if s.NbFrames != "" && s.NbFrames != "N/A" {
			n, err := strconv.Atoi(s.NbFrames)
			if err != nil || n < 0 {
				return Info{}, fmt.Errorf("nb_frames %q is not a whole number >= 0", s.NbFrames)
			}
			info.Frames, info.FramesExact = n, true
		} else if info.Duration > 0 && info.FPS > 0 {
			est := math.Round(info.Duration * info.FPS)
			if est > math.MaxInt32 {
				return Info{}, fmt.Errorf("duration %g s at %g frames/s is out of range", info.Duration, info.FPS)
			}
			info.Frames = int(est)
		}
		return info, nil
	}
	if len(kinds) == 0 {
		return Info{}, fmt.Errorf("%w (ffprobe found no streams)", ErrNoVideo)
	}
	return Info{}, fmt.Errorf("%w (streams: %s)", ErrNoVideo, strings.Join(kinds, ", "))
}

// parseRate reads a frame rate field; "" and "0/0" are unknown.
func parseRate(s, field string) (Rational, error) {
	if s == "" {
		return Rational{}, nil
	}
	r, err := ParseRational(s)
	if err != nil {
		return Rational{}, fmt.Errorf("%s: %w", field, err)
	}
	return r, nil
}

// parseSeconds reads a duration field; "" and "N/A" are unknown (0).
func parseSeconds(s, field string) (float64, error) {
	if s == "" || s == "N/A" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e9 {
		return 0, fmt.Errorf("%s %q is not a number of seconds in [0, 1e9]", field, s)
	}
	return f, nil
}

// rotation returns the display rotation in degrees in [0, 360), a multiple of
// 90, from the side data's rotation (counter-clockwise degrees, ffprobe's
// display matrix) or the older "rotate" tag (clockwise degrees). Rotations
// that are not multiples of 90 are rounded to the nearest one, as ffmpeg's
// autorotation does for its transpose filters.
func rotation(tag string, side *float64) (int, error) {
	var deg float64
	switch {
	case side != nil:
		if math.IsNaN(*side) || math.IsInf(*side, 0) {
			return 0, fmt.Errorf("display matrix rotation %v is not finite", *side)
		}
		deg = -*side
	case tag != "":
		v, err := strconv.ParseFloat(tag, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("rotate tag %q is not a number", tag)
		}
		deg = v
	default:
		return 0, nil
	}
	if math.Abs(deg) > 1e6 {
		return 0, fmt.Errorf("rotation %g degrees is out of range", deg)
	}
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	return q * 90, nil
}
