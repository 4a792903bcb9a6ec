package video

import (
	"errors"
	"math"
	"testing"
)

// probeSeeds are ffprobe outputs (trimmed to the fields ParseProbe reads)
// and broken variants; they seed FuzzParseProbe and TestParseProbe.
var probeSeeds = []string{
	// ffprobe 5.1 on a 5-frame H.264 MP4.
	`{"streams": [{"codec_name": "h264", "codec_type": "video", "width": 64, "height": 48, "pix_fmt": "yuv420p", "r_frame_rate": "10/1", "avg_frame_rate": "10/1", "duration": "0.500000", "nb_frames": "5"}], "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "0.500000"}}`,
	// MPEG-TS: no nb_frames, audio first.
	`{"streams": [{"codec_type": "audio", "codec_name": "aac"}, {"codec_name": "h264", "codec_type": "video", "width": 1920, "height": 1080, "r_frame_rate": "30000/1001", "avg_frame_rate": "30000/1001", "duration": "10.010000"}], "format": {"format_name": "mpegts", "duration": "10.010000"}}`,
	// A live RTSP stream: no duration, no count, average rate unknown.
	`{"streams": [{"codec_name": "h264", "codec_type": "video", "width": 1280, "height": 720, "r_frame_rate": "25/1", "avg_frame_rate": "0/0"}], "format": {"format_name": "rtsp"}}`,
	// A phone video rotated by 90 degrees (display matrix).
	`{"streams": [{"codec_name": "hevc", "codec_type": "video", "width": 1920, "height": 1080, "r_frame_rate": "30/1", "avg_frame_rate": "30/1", "nb_frames": "90", "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}], "format": {"duration": "3.0"}}`,
	// The older rotate tag.
	`{"streams": [{"codec_type": "video", "width": 640, "height": 480, "tags": {"rotate": "270"}, "avg_frame_rate": "15/1"}], "format": {}}`,
	// Audio only.
	`{"streams": [{"index": 0, "codec_name": "pcm_s16le", "codec_type": "audio"}], "format": {"format_name": "wav", "duration": "0.500000"}}`,
	// A cover picture is not video.
	`{"streams": [{"codec_type": "audio"}, {"codec_type": "video", "codec_name": "mjpeg", "width": 500, "height": 500, "disposition": {"attached_pic": 1}}], "format": {}}`,
	`{}`,
	`{"streams": [{"codec_type": "video", "width": -4, "height": 3}]}`,
	`{"streams": [{"codec_type": "video", "width": 4, "height": 3, "avg_frame_rate": "x/y"}]}`,
	`{"streams": [{"codec_type": "video", "width": 4, "height": 3, "nb_frames": "-1"}]}`,
	`{"streams": [{"codec_type": "video", "width": 4, "height": 3, "duration": "NaN"}]}`,
	`{"streams": [{"codec_type": "video", "width": 4, "height": 3, "duration": "N/A", "nb_frames": "N/A"}]}`,
	`{"streams": [`,
}

func TestParseProbe(t *testing.T) {
	type want struct {
		w, h, frames int
		exact        bool
		rate         Rational
		dur          float64
		rot          int
		err          error // nil: success; errNoVideo: ErrNoVideo; errAny: some error
	}
	errAny := errors.New("any")
	wants := []want{
		{64, 48, 5, true, Rational{10, 1}, 0.5, 0, nil},
		{1920, 1080, 300, false, Rational{30000, 1001}, 10.01, 0, nil}, // round(10.01 * 29.97) = round(300.0) = 300
		{1280, 720, 0, false, Rational{25, 1}, 0, 0, nil},
		{1080, 1920, 90, true, Rational{30, 1}, 3, 90, nil},
		{480, 640, 0, false, Rational{15, 1}, 0, 270, nil},
		{err: ErrNoVideo},
		{err: ErrNoVideo},
		{err: ErrNoVideo},
		{err: errAny},
		{err: errAny},
		{err: errAny},
		{err: errAny},
		{4, 3, 0, false, Rational{}, 0, 0, nil},
		{err: errAny},
	}
	if len(wants) != len(probeSeeds) {
		t.Fatalf("%d expectations for %d seeds", len(wants), len(probeSeeds))
	}
	for i, s := range probeSeeds {
		info, err := ParseProbe([]byte(s))
		w := wants[i]
		switch {
		case w.err == nil && err != nil:
			t.Errorf("seed %d: %v", i, err)
		case w.err == ErrNoVideo && !errors.Is(err, ErrNoVideo):
			t.Errorf("seed %d: %v, want ErrNoVideo", i, err)
		case w.err == errAny && err == nil:
			t.Errorf("seed %d: accepted: %+v", i, info)
		case w.err == nil:
			if info.Width != w.w || info.Height != w.h || info.Frames != w.frames || info.FramesExact != w.exact ||
				info.FrameRate != w.rate || math.Abs(info.Duration-w.dur) > 1e-12 || info.Rotation != w.rot ||
				info.FPS != w.rate.Float() {
				t.Errorf("seed %d: %+v, want %+v", i, info, w)
			}
		}
	}
}

func TestParseRational(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rational
		ok   bool
	}{
		{"25/1", Rational{25, 1}, true}, {"30000/1001", Rational{30000, 1001}, true}, {"0/0", Rational{}, true},
		{"25", Rational{25, 1}, true}, {"29.97", Rational{29970, 1000}, true}, {" 10/1 ", Rational{10, 1}, true},
		{"-1/2", Rational{}, false}, {"a/b", Rational{}, false}, {"inf", Rational{}, false}, {"", Rational{}, false},
	} {
		got, err := ParseRational(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRational(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if (Rational{30000, 1001}).String() != "30000/1001" || (Rational{}).Float() != 0 || (Rational{}).Valid() {
		t.Error("Rational methods")
	}
}

// FuzzParseProbe checks that ParseProbe never panics and that what it
// accepts is in range.
func FuzzParseProbe(f *testing.F) {
	for _, s := range probeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseProbe(data)
		if err != nil {
			return
		}
		if info.Width < 0 || info.Height < 0 || info.Width > maxSide || info.Height > maxSide ||
			info.Frames < 0 || !(info.Duration >= 0) || math.IsInf(info.Duration, 0) ||
			!(info.FPS >= 0) || math.IsInf(info.FPS, 0) || info.Rotation%90 != 0 || info.Rotation < 0 || info.Rotation >= 360 ||
			(info.FPS > 0) != info.FrameRate.Valid() {
			t.Fatalf("ParseProbe(%q) accepted %+v", data, info)
		}
	})
}
