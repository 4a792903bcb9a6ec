// Package video reads and writes video frames through the ffmpeg and ffprobe
// programs, run as child processes over pipes: no cgo, no codec code in Go.
// It knows nothing of poses: frames in, frames out.
//
// Both programs come from Debian's ffmpeg package (apt-get install ffmpeg);
// ffmpeg 5.1 or newer is needed (for -fps_mode). When a program is missing
// from PATH, Probe, Open and Create fail with an error that names it and the
// package (it wraps exec.ErrNotFound).
//
// # Probing
//
// Probe runs `ffprobe -print_format json -show_streams -show_format` and
// describes the first video stream: its size (after the rotation that ffmpeg
// applies when decoding, so the size matches the decoded frames), codec, frame
// rate, duration and frame count. The frame rate is the stream's
// avg_frame_rate, or r_frame_rate when the average is unknown (0/0). The frame
// count is the container's nb_frames when it has one (Info.FramesExact is
// then true), else round(duration x rate) (an estimate: FramesExact false),
// else 0 (unknown: live streams). An input without a video stream is an error
// naming the input.
//
// # Reading
//
// Open starts
//
//	ffmpeg -nostdin -hide_banner -nostats -loglevel level+info [-xerror -err_detect explode]
//	       [INPUT OPTIONS] [-ss START] -i INPUT
//	       -map 0:v:0 -vf [scale=W:H,]showinfo=checksum=0 -fps_mode passthrough
//	       [-frames:v N] -f rawvideo -pix_fmt rgb24 pipe:1
//
// and Reader.Next returns its frames in decoding order as packed 8-bit RGB
// (3 bytes a pixel, rows of 3*W bytes). Every decoded frame comes out once
// (-fps_mode passthrough: no frames duplicated or dropped to a constant rate).
// Frame.Time is the frame's presentation time in seconds from the start of
// the input: START plus pts x time_base, both read from the showinfo filter's
// log lines on ffmpeg's stderr (the filter logs each frame before ffmpeg
// writes it to stdout, so the time of frame n is known when its pixels are).
// When a frame has no pts (pts:NOPTS, some raw device streams) its time is
// START + n / rate and Frame.FromPTS is false.
//
// Reading ends with io.EOF when ffmpeg has written whole frames and exited
// with status 0. The other ends are errors naming the input with the last
// lines of ffmpeg's stderr: a non-zero exit; a stream that stops in the middle
// of a frame (ErrPartialFrame); and, when the container states its exact frame
// count (Info.FramesExact), neither Start nor MaxFrames is set and fewer frames
// came out, ErrTruncated; an input that ends before its first frame,
// ErrNoFrames. A file truncated where ffmpeg can still decode
// what precedes the cut and the container states no frame count (MPEG-TS,
// Matroska written live) ends cleanly after the frames that survive; compare
// Reader.Count with Info.Frames to spot it. A corrupt frame in the middle is
// concealed by ffmpeg's decoder (the frame may look damaged, frames may be
// missing) unless ReaderOptions.Strict is set, which passes -xerror
// -err_detect explode so that ffmpeg stops with an error at the first damaged
// packet.
//
// Live inputs (rtsp://, http://, /dev/video0) work the same way: nothing
// needs the length. Open probes the input for its frame size unless
// ReaderOptions.Width and Height are given (then frames are scaled to that
// size); when ffprobe reports no size (a live stream that has not started),
// Open says so and asks for Width and Height. A live stream that stops
// sending without closing leaves Next waiting: end it with the context
// (Next then returns the context's error and ffmpeg is killed), or let ffmpeg
// give up by itself with an input option in ReaderOptions.InputArgs, such as
// "-rw_timeout", "5000000" (microseconds; http, tcp) or "-timeout",
// "5000000" (rtsp).
//
// # Writing
//
// Create starts
//
//	ffmpeg -nostdin -hide_banner -nostats -loglevel error -y -f rawvideo
//	       -pix_fmt rgb24 -s WxH -framerate RATE -i pipe:0
//	       [-vf pad=ceil(iw/2)*2:ceil(ih/2)*2] -c:v libx264 -preset P -crf C
//	       -pix_fmt yuv420p -g ROUND(RATE) [-movflags +frag_keyframe+empty_moov+default_base_moof]
//	       -flush_packets 1 PATH
//
// H.264 in yuv420p needs even sizes: an odd width or height is padded with
// one black column on the right or one black row at the bottom, so the file's
// size is (W+W%2) x (H+H%2). A keyframe every second (-g = the rate rounded,
// at least 1).
//
// A drawn video must stay playable when the input breaks. MP4 and MOV files
// are written fragmented (a fragment per keyframe, so at most about one
// second of frames, plus what the encoder still holds, is lost if ffmpeg is
// killed); Matroska and MPEG-TS are written as streams and need nothing.
// -flush_packets 1 puts every muxed packet on disk at once. Writer.Close must always be called, also after
// errors: it closes ffmpeg's stdin, waits for it to flush and finish the
// file, and reports its exit status with the stderr tail.
//
// Nothing here is safe for concurrent use by several goroutines; a Reader and
// a Writer may each live on their own goroutine.
package video
