package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/video"
)

// smallVideo is the sequence most tests use: 2 s at 15 frames/s.
func smallVideo(seed uint64, people int, level Level) VideoOptions {
	return VideoOptions{Seed: seed, Width: 160, Height: 120, Frames: 30, FPS: 15, People: people, Interference: level}
}

// collect renders o and keeps every frame with its mask.
func collect(t testing.TB, o VideoOptions) (*VideoTruth, []*videoFrame) {
	t.Helper()
	var frames []*videoFrame
	truth, err := generateVideo(context.Background(), o, func(f *videoFrame) error {
		frames = append(frames, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != o.Frames || len(truth.PerFrame) != o.Frames {
		t.Fatalf("%d frames delivered, %d in the truth, want %d", len(frames), len(truth.PerFrame), o.Frames)
	}
	for i, f := range frames {
		if f.i != i {
			t.Fatalf("frame %d delivered in place %d", f.i, i)
		}
	}
	return truth, frames
}

// hashFrames is a digest of every frame's pixels, in order.
func hashFrames(t testing.TB, o VideoOptions) ([]byte, *VideoTruth) {
	t.Helper()
	h := sha256.New()
	truth, err := GenerateVideo(context.Background(), o, func(i int, img *image.RGBA) error {
		if b := img.Bounds(); b.Dx() != o.Width || b.Dy() != o.Height {
			t.Fatalf("frame %d is %v", i, b)
		}
		h.Write(img.Pix)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil), truth
}

func truthJSON(t testing.TB, v *VideoTruth) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteVideoTruthTo(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVideoDeterministic checks that a sequence is the same, frame for
// frame and byte for byte, for any number of workers and GOMAXPROCS 1 or
// 2, and that another seed gives another sequence.
func TestVideoDeterministic(t *testing.T) {
	o := smallVideo(5, 3, Heavy)
	o.Frames = 20
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	o.Workers = 0 // GOMAXPROCS = 1
	h1, t1 := hashFrames(t, o)
	runtime.GOMAXPROCS(2)
	o.Workers = 3
	h2, t2 := hashFrames(t, o)
	if !bytes.Equal(h1, h2) {
		t.Error("frames differ between 1 worker at GOMAXPROCS=1 and 3 workers at GOMAXPROCS=2")
	}
	if !bytes.Equal(truthJSON(t, t1), truthJSON(t, t2)) {
		t.Error("truth differs between runs")
	}
	o.Seed = 6
	h3, t3 := hashFrames(t, o)
	if bytes.Equal(h1, h3) || bytes.Equal(truthJSON(t, t1), truthJSON(t, t3)) {
		t.Error("seeds 5 and 6 give the same sequence")
	}
}

// TestVideoLevels checks that the interference changes the pixels but not
// the truth, that None applies nothing and that Mixed and Heavy apply
// time-varying effects.
func TestVideoLevels(t *testing.T) {
	o := smallVideo(11, 2, None)
	hNone, tNone := hashFrames(t, o)
	for _, f := range tNone.PerFrame {
		if f.Effects != nil {
			t.Fatalf("level none: frame %d has effects %v", f.Frame, f.Effects)
		}
	}
	for _, l := range []Level{Mixed, Heavy} {
		o.Interference = l
		h, tr := hashFrames(t, o)
		if bytes.Equal(h, hNone) {
			t.Errorf("%v: frames equal to the clean ones", l)
		}
		if tr.Options.Interference != l.String() {
			t.Errorf("%v: options %+v", l, tr.Options)
		}
		clean, kinds, changes := 0, map[string]bool{}, 0
		for i, f := range tr.PerFrame {
			if !reflect.DeepEqual(f.People, tNone.PerFrame[i].People) {
				t.Fatalf("%v: frame %d: people differ from level none", l, i)
			}
			if f.Effects == nil {
				clean++
			}
			for k := range f.Effects {
				kinds[k] = true
			}
			if i > 0 && !reflect.DeepEqual(f.Effects, tr.PerFrame[i-1].Effects) {
				changes++
			}
		}
		t.Logf("%v: %d of %d frames clean, effects %v, %d changes", l, clean, o.Frames, kinds, changes)
		if clean == o.Frames || changes == 0 {
			t.Errorf("%v: effects do not vary over time (%d clean frames, %d changes)", l, clean, changes)
		}
	}
}

// TestVideoRenderMatchesScene checks that drawing over the cached
// background gives exactly scene.render's canvas.
func TestVideoRenderMatchesScene(t *testing.T) {
	o, err := smallVideo(3, 4, None).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	vs := newVideoScene(o)
	s := vs.newSim()
	for i := 0; i < 7; i++ {
		s.step()
	}
	sc, _ := vs.frameScene(s.snapshot())
	got, want := vs.renderScene(sc), sc.render(-1)
	if !reflect.DeepEqual(got.f.Pix, want.f.Pix) || !reflect.DeepEqual(got.z, want.z) || !reflect.DeepEqual(got.owner, want.owner) {
		t.Error("cached-background rendering differs from scene.render")
	}
}

// boxOverlap is the intersection area of two (x, y, w, h) boxes.
func boxOverlap(a, b [4]float64) float64 {
	w := min(a[0]+a[2], b[0]+b[2]) - max(a[0], b[0])
	h := min(a[1]+a[3], b[1]+b[3]) - max(a[1], b[1])
	return max(w, 0) * max(h, 0)
}

func personOf(f *FrameTruth, track int) *PersonTruth {
	for i := range f.People {
		if f.People[i].Track == track {
			return &f.People[i]
		}
	}
	return nil
}

// TestVideoCrossing checks that the first two people really cross: both
// are seen at the start and the end in swapped left-right order, their
// boxes overlap in several frames, and in those the farther one has
// keypoints hidden (v = 1) under the nearer one's pixels.
func TestVideoCrossing(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		o := smallVideo(seed, 2, None)
		if seed > 2 { // the CI's sequence: about 2 s at 25 frames/s
			o.Width, o.Height, o.Frames, o.FPS = 192, 144, 48, 25
		}
		truth, frames := collect(t, o)
		first, last := &truth.PerFrame[0], &truth.PerFrame[o.Frames-1]
		a0, b0, a1, b1 := personOf(first, 1), personOf(first, 2), personOf(last, 1), personOf(last, 2)
		if a0 == nil || b0 == nil || a1 == nil || b1 == nil {
			t.Fatalf("seed %d: the pair is not visible at both ends", seed)
		}
		cx := func(p *PersonTruth) float64 { return p.Box[0] + p.Box[2]/2 }
		if (cx(a0) < cx(b0)) == (cx(a1) < cx(b1)) {
			t.Errorf("seed %d: left-right order does not swap: %.1f,%.1f then %.1f,%.1f", seed, cx(a0), cx(b0), cx(a1), cx(b1))
		}
		overlap, hidden := 0, 0
		for i := range truth.PerFrame {
			f := &truth.PerFrame[i]
			a, b := personOf(f, 1), personOf(f, 2)
			if a == nil || b == nil {
				continue
			}
			if boxOverlap(a.Box, b.Box) <= 0 {
				continue
			}
			overlap++
			// The people are listed far to near.
			far, near := f.People[0].Track, f.People[1].Track
			fp := personOf(f, far)
			for k := 0; k < numJoints; k++ {
				x, y, v := fp.Keypoints[3*k], fp.Keypoints[3*k+1], fp.Keypoints[3*k+2]
				if j, ok := jointPixel(x, y, o.Width, o.Height); ok && v == 1 && int(frames[i].mask[j]) == near {
					hidden++
					break
				}
			}
		}
		t.Logf("seed %d: boxes overlap in %d frames, the farther one hidden by the nearer in %d", seed, overlap, hidden)
		if overlap < 3 || hidden < 3 {
			t.Errorf("seed %d: boxes overlap in %d frames, occlusion in %d; want at least 3 each", seed, overlap, hidden)
		}
	}
}

// TestVideoVisibility checks every keypoint of every frame against the
// rendered owner mask: v = 0 exactly outside the picture (at 0, 0), v = 2
// only where the person owns the pixel, v = 1 wherever another person
// does; and box and area against the mask.
func TestVideoVisibility(t *testing.T) {
	o := smallVideo(8, 4, Mixed)
	o.FPS = 5 // 6 s: people start outside the picture and walk in
	truth, frames := collect(t, o)
	counts := [3]int{}
	byOther := 0
	for i := range truth.PerFrame {
		f, m := &truth.PerFrame[i], frames[i].mask
		for _, p := range f.People {
			n := 0
			for k := 0; k < numJoints; k++ {
				x, y, v := p.Keypoints[3*k], p.Keypoints[3*k+1], p.Keypoints[3*k+2]
				counts[int(v)]++
				j, inside := jointPixel(x, y, o.Width, o.Height)
				switch {
				case v == 0:
					if x != 0 || y != 0 {
						t.Errorf("frame %d track %d kp %d: v=0 at (%v,%v)", i, p.Track, k, x, y)
					}
					continue
				case !inside:
					t.Errorf("frame %d track %d kp %d: v=%v outside at (%v,%v)", i, p.Track, k, v, x, y)
					continue
				}
				n++
				owner := int(m[j])
				if v == 2 && owner != p.Track {
					t.Errorf("frame %d track %d kp %d: v=2 on a pixel of %d", i, p.Track, k, owner)
				}
				if owner != 0 && owner != p.Track {
					byOther++
					if v != 1 {
						t.Errorf("frame %d track %d kp %d: v=%v on a pixel of track %d", i, p.Track, k, v, owner)
					}
				}
			}
			if n != p.NumKeypoints {
				t.Errorf("frame %d track %d: num_keypoints %d, counted %d", i, p.Track, p.NumKeypoints, n)
			}
			area, x0, y0, x1, y1 := 0, o.Width, o.Height, -1, -1
			for j, id := range m {
				if int(id) == p.Track {
					x, y := j%o.Width, j/o.Width
					area++
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
				}
			}
			want := [4]float64{float64(x0) - 0.5, float64(y0) - 0.5, float64(x1 - x0 + 1), float64(y1 - y0 + 1)}
			if float64(area) != p.Area || p.Box != want {
				t.Errorf("frame %d track %d: box %v area %v, mask gives %v %d", i, p.Track, p.Box, p.Area, want, area)
			}
		}
	}
	t.Logf("keypoints v=0/1/2: %v, %d on another person's pixels", counts, byOther)
	if counts[0] == 0 || counts[1] == 0 || counts[2] == 0 || byOther == 0 {
		t.Error("the sequence did not exercise every visibility case")
	}
}

// TestVideoIdentity checks that each track id follows one person: between
// consecutive frames its keypoints move less than a step's bound, and
// less than they would if the ids of any two people were swapped.
func TestVideoIdentity(t *testing.T) {
	for _, o := range []VideoOptions{smallVideo(1, 2, None), smallVideo(2, 4, None)} {
		truth, _ := collect(t, o)
		bound := 0.08 * float64(o.Height)
		maxStep, closest := 0.0, math.Inf(1)
		for i := 1; i < o.Frames; i++ {
			prev, cur := &truth.PerFrame[i-1], &truth.PerFrame[i]
			for _, p := range cur.People {
				q := personOf(prev, p.Track)
				if q == nil {
					continue
				}
				same := kpDist(&p, q)
				if same < 0 {
					continue
				}
				maxStep = max(maxStep, same)
				if same > bound {
					t.Errorf("seed %d frame %d track %d: keypoints move %.1f px, bound %.1f", o.Seed, i, p.Track, same, bound)
				}
				for _, r := range prev.People {
					if r.Track == p.Track {
						continue
					}
					if d := kpDist(&p, &r); d >= 0 {
						closest = min(closest, d)
						if d <= same {
							t.Errorf("seed %d frame %d: track %d is nearer to track %d's last pose (%.1f) than to its own (%.1f)", o.Seed, i, p.Track, r.Track, d, same)
						}
					}
				}
			}
			for _, p := range cur.People {
				n := 0
				for _, q := range cur.People {
					if q.Track == p.Track {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("frame %d: track %d listed %d times", i, p.Track, n)
				}
			}
		}
		t.Logf("seed %d: largest keypoint step %.1f px, nearest other pose %.1f px", o.Seed, maxStep, closest)
		if got, want := len(truth.Tracks), o.People; got != want {
			t.Errorf("%d tracks, want %d", got, want)
		}
		for _, tr := range truth.Tracks {
			if tr.VisibleFrames == 0 || tr.FirstFrame < 0 || tr.LastFrame < tr.FirstFrame {
				t.Errorf("track %+v never seen", tr)
			}
		}
	}
}

// kpDist is the mean distance between the keypoints that both poses
// label (v > 0), or -1 when they share none.
func kpDist(p, q *PersonTruth) float64 {
	d, n := 0.0, 0
	for k := 0; k < numJoints; k++ {
		if p.Keypoints[3*k+2] == 0 || q.Keypoints[3*k+2] == 0 {
			continue
		}
		d += math.Hypot(p.Keypoints[3*k]-q.Keypoints[3*k], p.Keypoints[3*k+1]-q.Keypoints[3*k+1])
		n++
	}
	if n == 0 {
		return -1
	}
	return d / float64(n)
}

// TestVideoMotion runs the simulation alone for a minute of several
// people and checks that they walk (the legs swing), turn, and stay near
// the picture: within the sides' margin plus a turn's run-out and within
// the depth limits.
func TestVideoMotion(t *testing.T) {
	o, err := VideoOptions{Seed: 9, Width: 192, Height: 144, Frames: 600, FPS: 10, People: 6}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	vs := newVideoScene(o)
	s := vs.newSim()
	n := len(vs.walkers)
	yaw0 := make([]float64, n)
	turned := make([]float64, n)
	phase := make([]float64, n)
	prev := s.snapshot()
	for i := range prev {
		yaw0[i] = prev[i].yaw
	}
	fw := float64(o.Width)
	for f := 1; f < o.Frames; f++ {
		s.step()
		st := s.snapshot()
		for i, w := range st {
			turned[i] += math.Abs(wrapAngle(w.yaw - prev[i].yaw))
			phase[i] += math.Abs(wrapAngle(w.phase - prev[i].phase))
			if vs.walkers[i].motion != "turn" && (w.x < -0.2*fw || w.x > 1.2*fw) {
				t.Fatalf("t=%.1fs: walker %d at x=%.0f, outside [-0.2, 1.2] x width", w.t, i+1, w.x)
			}
			if w.rel < relMin-0.05 || w.rel > relMax+0.05 {
				t.Fatalf("t=%.1fs: walker %d at rel %.2f, outside [%v, %v]", w.t, i+1, w.rel, relMin, relMax)
			}
		}
		prev = st
	}
	for i, w := range vs.walkers {
		t.Logf("walker %d (%s): turned %.0f deg, gait phase %.0f cycles", w.id, w.motion, turned[i]*180/math.Pi, phase[i]/(2*math.Pi))
		if turned[i] < math.Pi {
			t.Errorf("walker %d (%s) turned only %.0f degrees in a minute", w.id, w.motion, turned[i]*180/math.Pi)
		}
		if w.motion != "turn" && phase[i] < 2*math.Pi*20 {
			t.Errorf("walker %d (%s) made only %.1f gait cycles in a minute", w.id, w.motion, phase[i]/(2*math.Pi))
		}
	}
}

// TestVideoMP4 writes a sequence with ffmpeg and checks the files: the
// video decodes to the right number of frames, size and rate, close to
// the rendered frames; tracks.json reads back equal; gt.coco.json is a
// valid dataset with one image per frame on which the truth itself scores
// an AP of 1.
func TestVideoMP4(t *testing.T) {
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
	dir := t.TempDir()
	o := smallVideo(4, 2, None)
	o.Frames = 24
	var rendered []*image.RGBA
	want, err := GenerateVideo(context.Background(), o, func(i int, img *image.RGBA) error {
		rendered = append(rendered, img)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls []int
	truth, err := WriteVideo(context.Background(), o, dir, func(done, total int) {
		if total != o.Frames {
			t.Errorf("progress total %d", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != o.Frames || calls[len(calls)-1] != o.Frames {
		t.Errorf("progress calls %v", calls)
	}
	if !bytes.Equal(truthJSON(t, want), truthJSON(t, truth)) {
		t.Error("WriteVideo's truth differs from GenerateVideo's")
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{VideoCOCOFileName, TracksFileName, VideoFileName}) {
		t.Errorf("files %v", names)
	}

	ctx := context.Background()
	path := filepath.Join(dir, VideoFileName)
	info, err := video.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != o.Width || info.Height != o.Height || info.Codec != "h264" || info.PixFmt != "yuv420p" || info.FPS != o.FPS {
		t.Errorf("probe: %+v", info)
	}
	r, err := video.Open(ctx, path, video.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	worst := math.Inf(1)
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n < len(rendered) {
			dec := image.NewRGBA(image.Rect(0, 0, f.Img.W, f.Img.H))
			for j := 0; j < f.Img.W*f.Img.H; j++ {
				copy(dec.Pix[4*j:4*j+3], f.Img.Pix[3*j:3*j+3])
				dec.Pix[4*j+3] = 255
			}
			// The decoded frame is nearest to the frame rendered in its
			// place, and close to it.
			best, bestAt := math.Inf(-1), -1
			for k, img := range rendered {
				psnr, err := PSNR(dec, img)
				if err != nil {
					t.Fatal(err)
				}
				if k == n {
					worst = min(worst, psnr)
				}
				if psnr > best {
					best, bestAt = psnr, k
				}
			}
			if bestAt != n {
				t.Errorf("decoded frame %d is nearest to rendered frame %d", n, bestAt)
			}
		}
		n++
	}
	t.Logf("decoded %d frames, worst PSNR against the rendered frames %.1f dB", n, worst)
	if n != o.Frames {
		t.Errorf("decoded %d frames, want %d", n, o.Frames)
	}
	if worst < 25 {
		t.Errorf("decoded frames differ from the rendered ones: PSNR %.1f dB", worst)
	}

	back, err := ReadVideoTruth(filepath.Join(dir, TracksFileName))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, truth) {
		t.Error("tracks.json reads back different")
	}
	ds, err := coco.ReadDataset(filepath.Join(dir, VideoCOCOFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Images) != o.Frames {
		t.Fatalf("%d images, want %d", len(ds.Images), o.Frames)
	}
	var results []coco.Result
	poses := 0
	for i, im := range ds.Images {
		if im.ID != int64(i) || im.Width != o.Width || im.Height != o.Height {
			t.Errorf("image %d: %+v", i, im)
		}
		poses += len(truth.PerFrame[i].People)
	}
	for _, a := range ds.Annotations {
		if a.NumKeypoints > 0 {
			results = append(results, coco.Result{ImageID: a.ImageID, CategoryID: 1, Keypoints: a.Keypoints, Score: 1})
		}
	}
	if len(ds.Annotations) != poses {
		t.Errorf("%d annotations, %d poses in the truth", len(ds.Annotations), poses)
	}
	res, err := coco.Evaluate(ds, results)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Stats[0]-1) > 1e-12 {
		t.Errorf("the truth scores AP %v against itself, want 1", res.Stats[0])
	}
}

// TestVideoStops checks that an error from the sink and a cancelled
// context end the generation with that error, and that WriteVideo leaves
// no file behind then.
func TestVideoStops(t *testing.T) {
	o := smallVideo(1, 2, Mixed)
	errSink := errors.New("sink full")
	seen := 0
	_, err := GenerateVideo(context.Background(), o, func(i int, img *image.RGBA) error {
		seen++
		if i == 5 {
			return errSink
		}
		return nil
	})
	if !errors.Is(err, errSink) || !strings.Contains(err.Error(), "frame 5") || seen != 6 {
		t.Errorf("sink error: got %v after %d frames", err, seen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = GenerateVideo(ctx, o, func(i int, img *image.RGBA) error {
		if i == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		_, err := WriteVideo(ctx, o, dir, func(done, total int) {
			if done == 4 {
				cancel()
			}
		})
		if err == nil {
			t.Error("WriteVideo did not fail when cancelled")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("cancelled WriteVideo left %d files", len(ents))
		}
	}
}

// TestVideoOptionsErrors checks that bad options are named.
func TestVideoOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    VideoOptions
		want string
	}{
		{VideoOptions{Width: 161, Height: 120}, "must be even"},
		{VideoOptions{Width: 32, Height: 32}, "video size 32x32"},
		{VideoOptions{Frames: -1}, "video frames -1"},
		{VideoOptions{FPS: 0.5}, "frame rate 0.5"},
		{VideoOptions{FPS: math.NaN()}, "frame rate NaN"},
		{VideoOptions{People: 9}, "video people 9"},
		{VideoOptions{People: -1}, "video people -1"},
		{VideoOptions{Interference: 7}, "interference level 7"},
		{VideoOptions{Workers: -2}, "workers -2"},
	} {
		err := tc.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
		if _, err := GenerateVideo(context.Background(), tc.o, nil); err == nil {
			t.Errorf("%+v: GenerateVideo accepted it", tc.o)
		}
	}
	if _, err := WriteVideo(context.Background(), VideoOptions{Frames: 2}, "", nil); err == nil || !strings.Contains(err.Error(), "no output folder") {
		t.Errorf("no folder: %v", err)
	}
}

// TestReadVideoTruthErrors checks that malformed tracks.json files are
// refused with the reason.
func TestReadVideoTruthErrors(t *testing.T) {
	o := smallVideo(2, 2, None)
	o.Frames = 3
	truth, err := GenerateVideo(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := truthJSON(t, truth)
	if back, err := ReadVideoTruthFrom(bytes.NewReader(good)); err != nil || !reflect.DeepEqual(back, truth) {
		t.Fatalf("round trip: %v", err)
	}
	for _, tc := range []struct {
		edit func(v *VideoTruth)
		want string
	}{
		{func(v *VideoTruth) { v.Frames = 4 }, "3 frame entries, header says 4"},
		{func(v *VideoTruth) { v.Format = "x" }, "format"},
		{func(v *VideoTruth) { v.PerFrame[1].Frame = 2 }, "per_frame[1] has frame 2"},
		{func(v *VideoTruth) { v.PerFrame[0].People[0].Track = 9 }, "track 9 unknown"},
		{func(v *VideoTruth) { v.PerFrame[0].People[1].Track = v.PerFrame[0].People[0].Track }, "repeated"},
		{func(v *VideoTruth) { v.PerFrame[2].People[0].Keypoints[2] = 3 }, "visibility 3"},
		{func(v *VideoTruth) { v.PerFrame[2].People[0].Keypoints = v.PerFrame[2].People[0].Keypoints[:6] }, "keypoints has 6 values"},
		{func(v *VideoTruth) { v.PerFrame[0].People[0].Box[2] = -1 }, "negative width"},
		{func(v *VideoTruth) { v.Tracks[1].ID = 1 }, "repeats"},
	} {
		var v VideoTruth
		if err := jsonClone(good, &v); err != nil {
			t.Fatal(err)
		}
		tc.edit(&v)
		_, err := ReadVideoTruthFrom(bytes.NewReader(truthJSON(t, &v)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	if _, err := ReadVideoTruthFrom(strings.NewReader(`{"format": "ladderpose-synth-video", "bogus": 1}`)); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := ReadVideoTruthFrom(strings.NewReader(`{"format":`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func jsonClone(b []byte, v *VideoTruth) error {
	back, err := ReadVideoTruthFrom(bytes.NewReader(b))
	if err != nil {
		return err
	}
	*v = *back
	return nil
}
