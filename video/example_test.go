package video_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/ladderpose/ladderpose/video"
)

// Decode a file (or a stream: "rtsp://camera/live", "/dev/video0") frame by
// frame and encode each frame again into an H.264 MP4.
func Example() {
	ctx := context.Background()
	r, err := video.Open(ctx, "in.mp4", video.ReaderOptions{})
	if err != nil {
		log.Fatal(err) // names the input; says so when ffmpeg is not installed
	}
	defer r.Close()
	info := r.Info()
	w, err := video.Create(ctx, "out.mp4", video.WriterOptions{Width: info.Width, Height: info.Height, FrameRate: info.FrameRate})
	if err != nil {
		log.Fatal(err)
	}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Print(err) // a broken input: still close the writer below
			break
		}
		fmt.Printf("frame %d at %.3f s\n", f.Index, f.Time)
		if err := w.Write(f.Img); err != nil {
			log.Print(err)
			break
		}
	}
	if err := w.Close(); err != nil { // always: it finishes the file
		log.Fatal(err)
	}
}
