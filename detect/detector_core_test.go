package detect

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// goldenDir is the RT-DETR reference cases (see its README.md).
const goldenDir = "../../shared/goldens/detr"

var goldenCases = []string{"r18_small", "r50_tiny"}

// goldenCase is one reference case: the model, its input and the expected
// tensors.
type goldenCase struct {
	name     string
	det      *Detector
	px       []float32
	b, h, w  int
	expected *weights.File
}

func loadGolden(t testing.TB, name string) *goldenCase {
	t.Helper()
	dir := filepath.Join(goldenDir, name)
	if _, err := os.Stat(goldenDir); os.IsNotExist(err) {
		t.Skipf("goldens not present at %s", goldenDir)
	}
	det, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	in, err := weights.Open(filepath.Join(dir, "input.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	px, shape, err := in.Float32("pixel_values")
	if err != nil {
		t.Fatal(err)
	}
	px = append([]float32(nil), px...)
	exp, err := weights.Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exp.Close() })
	return &goldenCase{name: name, det: det, px: px, b: shape[0], h: shape[2], w: shape[3], expected: exp}
}

// ref returns an expected tensor.
func (g *goldenCase) ref(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	d, s, err := g.expected.Float32(name)
	if err != nil {
		t.Fatalf("%s: expected %s: %v", g.name, name, err)
	}
	return d, s
}

// maxAbs returns max |x|.
func maxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// maxDiff returns max |a - b| (NaN counts as infinite).
func maxDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d != d {
			return math.Inf(1)
		}
		m = math.Max(m, d)
	}
	return m
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGoldenBackboneEncoder checks the backbone features, the AIFI output
// and the encoder levels of both cases against Hugging Face's, within 3e-5
// of each tensor's max |ref|.
func TestGoldenBackboneEncoder(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			got := map[string][]float32{}
			shapes := map[string][]int{}
			_, _, err := g.det.Forward(context.Background(), g.px, g.b, g.h, g.w, func(n string, data []float32, shape ...int) {
				got[n] = append([]float32(nil), data...)
				shapes[n] = append([]int(nil), shape...)
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"backbone_feature0", "backbone_feature1", "backbone_feature2",
				"encoder_aifi_out", "encoder_level0", "encoder_level1", "encoder_level2"} {
				ref, rs := g.ref(t, n)
				if !sameInts(rs, shapes[n]) {
					t.Errorf("%s: shape %v, want %v", n, shapes[n], rs)
					continue
				}
				m := maxAbs(ref)
				d := maxDiff(got[n], ref)
				t.Logf("%s: max|diff| %.3g, max|ref| %.3g, ratio %.3g", n, d, m, d/m)
				if d > 3e-5*m {
					t.Errorf("%s: max|diff| %.3g > 3e-5 x max|ref| %.3g", n, d, m)
				}
			}
		})
	}
}

// rowMap returns, for each image and each of our query rows, the reference
// row with the same enc_topk_indices entry (-1 if none).
func rowMap(ours []int, ref []float32, b, q int) []int {
	m := make([]int, b*q)
	for i := 0; i < b; i++ {
		pos := map[int]int{}
		for r := 0; r < q; r++ {
			pos[int(ref[i*q+r])] = r
		}
		for r := 0; r < q; r++ {
			if j, ok := pos[ours[i*q+r]]; ok {
				m[i*q+r] = j
			} else {
				m[i*q+r] = -1
			}
		}
	}
	return m
}

// TestGoldenFull checks the whole network (logits within 2e-4, pred_boxes
// within 2e-5, absolute) and the decoder's other outputs (3e-5 x max|ref|,
// init_reference_points 1e-4) against Hugging Face's, matching query rows
// through enc_topk_indices.
func TestGoldenFull(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			ws := &workspace{}
			if err := g.det.forward(context.Background(), ws, g.px, g.b, g.h, g.w, nil); err != nil {
				t.Fatal(err)
			}
			o := &ws.dec
			cfg := g.det.cfg
			q, c, nl := cfg.NumQueries, len(cfg.Labels), cfg.DecoderLayers
			refIdx, _ := g.ref(t, "enc_topk_indices")
			rows := rowMap(o.TopkIndices, refIdx, g.b, q)
			for i, r := range rows {
				if r < 0 {
					t.Fatalf("image %d row %d: selected position %d is not among the reference's", i/q, i%q, o.TopkIndices[i])
				}
			}
			// compare checks a [B, (L,) Q, k] tensor row by row.
			compare := func(name string, got []float32, layers, k int, tol float64, abs bool) {
				ref, shape := g.ref(t, name)
				if len(ref) != len(got) {
					t.Errorf("%s: %d values, want %v", name, len(got), shape)
					return
				}
				if !abs {
					tol *= maxAbs(ref)
				}
				worst := 0.0
				for i := 0; i < g.b; i++ {
					for l := 0; l < layers; l++ {
						for r := 0; r < q; r++ {
							rr := rows[i*q+r]
							a := got[((i*layers+l)*q+r)*k : ((i*layers+l)*q+r+1)*k]
							e := ref[((i*layers+l)*q+rr)*k : ((i*layers+l)*q+rr+1)*k]
							worst = math.Max(worst, maxDiff(a, e))
						}
					}
				}
				t.Logf("%s: max|diff| %.3g (tolerance %.3g)", name, worst, tol)
				if worst > tol {
					t.Errorf("%s: max|diff| %.3g > %.3g", name, worst, tol)
				}
			}
			compare("logits", o.Logits, 1, c, 2e-4, true)
			compare("pred_boxes", o.Boxes, 1, 4, 2e-5, true)
			compare("init_reference_points", o.InitRef, 1, 4, 1e-4, true)
			compare("enc_topk_logits", o.TopkLogits, 1, c, 3e-5, false)
			compare("enc_topk_bboxes", o.TopkBoxes, 1, 4, 3e-5, false)
			compare("intermediate_logits", o.InterLogits, nl, c, 3e-5, false)
			compare("intermediate_reference_points", o.InterRef, nl, 4, 3e-5, false)
			compare("decoder_last_hidden_state", o.Hidden, 1, cfg.DModel, 3e-5, false)
		})
	}
}

// TestDeterministicGOMAXPROCS checks that the whole network gives the same
// bits with GOMAXPROCS 1 and 2, and on a second run with a warm workspace.
func TestDeterministicGOMAXPROCS(t *testing.T) {
	g := loadGolden(t, "r50_tiny")
	run := func(procs int) ([]float32, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var levels []float32
		logits, boxes, err := g.det.Forward(context.Background(), g.px, g.b, g.h, g.w, func(n string, data []float32, shape ...int) {
			if n == "encoder_level0" {
				levels = append([]float32(nil), data...)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return append(logits, boxes...), levels
	}
	a, la := run(1)
	b, lb := run(2)
	c, lc := run(2)
	for _, p := range []struct {
		name string
		x, y []float32
	}{{"outputs 1 vs 2", a, b}, {"outputs 2 vs 2", b, c}, {"encoder_level0 1 vs 2", la, lb}, {"encoder_level0 2 vs 2", lb, lc}} {
		if len(p.x) != len(p.y) || len(p.x) == 0 {
			t.Fatalf("%s: lengths %d, %d", p.name, len(p.x), len(p.y))
		}
		for i := range p.x {
			if math.Float32bits(p.x[i]) != math.Float32bits(p.y[i]) {
				t.Fatalf("%s differ at %d: %v vs %v", p.name, i, p.x[i], p.y[i])
			}
		}
	}
}

// TestGoldenDetections runs Forward and the postprocessing on the goldens'
// pixel values (threshold 0.3, target size = input size) and compares with
// Hugging Face's detections.json: the same set of (image, query, label),
// queries matched through enc_topk_indices, scores within 1e-5 and boxes
// within 2e-5 x the image size.
func TestGoldenDetections(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			ws := &workspace{}
			if err := g.det.forward(context.Background(), ws, g.px, g.b, g.h, g.w, nil); err != nil {
				t.Fatal(err)
			}
			cfg := g.det.cfg
			q, c := cfg.NumQueries, len(cfg.Labels)
			targets := make([][2]int, g.b)
			for i := range targets {
				targets[i] = [2]int{g.h, g.w}
			}
			dets, err := postprocess(ws.dec.Logits, ws.dec.Boxes, g.b, q, c, targets, 0.3, 0, cfg.Labels)
			if err != nil {
				t.Fatal(err)
			}
			refIdx, _ := g.ref(t, "enc_topk_indices")
			rows := rowMap(ws.dec.TopkIndices, refIdx, g.b, q)
			data, err := os.ReadFile(filepath.Join(goldenDir, name, "detections.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref []struct {
				Image, Query, Label int
				Score               float64
				Box                 [4]float64
			}
			if err := json.Unmarshal(data, &ref); err != nil {
				t.Fatal(err)
			}
			type key struct{ image, query, label int }
			want := map[key]int{}
			for i, r := range ref {
				want[key{r.Image, r.Query, r.Label}] = i
			}
			n := 0
			scale := float64(max(g.h, g.w))
			worstS, worstB := 0.0, 0.0
			for img, ds := range dets {
				for _, d := range ds {
					k := key{img, rows[img*q+d.Query], d.Label}
					i, ok := want[k]
					if !ok {
						t.Errorf("detection %+v (reference query %d) is not in detections.json", d, k.query)
						continue
					}
					n++
					worstS = math.Max(worstS, math.Abs(d.Score-ref[i].Score))
					for j := range d.Box {
						worstB = math.Max(worstB, math.Abs(d.Box[j]-ref[i].Box[j])/scale)
					}
					if d.Name != cfg.Labels[d.Label] {
						t.Errorf("detection name %q, want %q", d.Name, cfg.Labels[d.Label])
					}
				}
			}
			t.Logf("%d detections, max|score diff| %.3g, max|box diff|/size %.3g", n, worstS, worstB)
			if n != len(ref) {
				t.Errorf("%d detections, detections.json has %d", n, len(ref))
			}
			if worstS > 1e-5 || worstB > 2e-5 {
				t.Errorf("score diff %.3g > 1e-5 or box diff %.3g > 2e-5 of the size", worstS, worstB)
			}
		})
	}
}

// smallDetector returns the r50_tiny model preprocessing to 256x256, to keep
// the Detect tests quick.
func smallDetector(t *testing.T) *Detector {
	t.Helper()
	g := loadGolden(t, "r50_tiny")
	p := g.det.Preprocess()
	p.Height, p.Width = 256, 256
	if err := g.det.SetPreprocess(p); err != nil {
		t.Fatal(err)
	}
	return g.det
}

// testImage returns a w x h RGB image with a smooth pattern.
func testImage(w, h, seed int) *RGB {
	m := &RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				m.Pix[3*(y*w+x)+c] = uint8((x*7 + y*13 + c*50 + seed*31 + (x*y)%17) % 256)
			}
		}
	}
	return m
}

// TestDetectSizes checks Detect on tiny and extreme images: 1x1, 1 x 3000,
// 3000 x 1 and an offset image; and that Detect is Forward plus the
// postprocessing on the preprocessed image.
func TestDetectSizes(t *testing.T) {
	det := smallDetector(t)
	ctx := context.Background()
	for _, sz := range [][2]int{{1, 1}, {1, 3000}, {3000, 1}, {37, 501}} {
		img := testImage(sz[0], sz[1], 1)
		dets, err := det.Detect(ctx, img, 0)
		if err != nil {
			t.Fatalf("%dx%d: %v", sz[0], sz[1], err)
		}
		if len(dets) != det.cfg.NumQueries {
			t.Errorf("%dx%d: %d detections at threshold 0, want %d (top Q)", sz[0], sz[1], len(dets), det.cfg.NumQueries)
		}
		for i := 1; i < len(dets); i++ {
			if dets[i].Score > dets[i-1].Score {
				t.Fatalf("%dx%d: detections not sorted by score", sz[0], sz[1])
			}
		}
		for _, d := range dets {
			for _, v := range d.Box {
				if math.IsNaN(v) || math.Abs(v) > 10*float64(max(sz[0], sz[1])) {
					t.Fatalf("%dx%d: box %v", sz[0], sz[1], d.Box)
				}
			}
		}
	}
	// Detect = preprocess + Forward + postprocess, with boxes scaled to the
	// image and offset by its Bounds().Min.
	img := testImage(300, 200, 2)
	dets, err := det.Detect(ctx, img, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	resized := make([]uint8, 3*256*256)
	pilResizeBilinear(resized, img.Pix, 300, 200, 256, 256, nil)
	px := make([]float32, 3*256*256)
	p := det.Preprocess()
	p.toPixels(px, resized, 256, 256)
	logits, boxes, err := det.Forward(ctx, px, 1, 256, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := postprocess(logits, boxes, 1, det.cfg.NumQueries, len(det.cfg.Labels), [][2]int{{200, 300}}, 0.01, 0, det.cfg.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(want[0]) == 0 || len(dets) != len(want[0]) {
		t.Fatalf("Detect gave %d detections, Forward + postprocess %d", len(dets), len(want[0]))
	}
	for i := range dets {
		if dets[i] != want[0][i] {
			t.Fatalf("detection %d: %+v, want %+v", i, dets[i], want[0][i])
		}
	}
	// The same image at an offset: boxes move by the offset.
	off := image.NewRGBA(image.Rect(10, 20, 310, 220))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			i := 3 * (y*300 + x)
			off.Set(10+x, 20+y, color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255})
		}
	}
	dets2, err := det.Detect(ctx, off, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	for i := range dets2 {
		b, w := dets2[i].Box, dets[i].Box
		if b[0] != w[0]+10 || b[1] != w[1]+20 || b[2] != w[2]+10 || b[3] != w[3]+20 || dets2[i].Score != dets[i].Score {
			t.Fatalf("offset image: detection %d %+v, want %+v moved by (10, 20)", i, dets2[i], dets[i])
		}
	}
	// Bad input.
	if _, err := det.Detect(ctx, nil, 0.5); err == nil {
		t.Error("nil image accepted")
	}
	if _, err := det.DetectBatch(ctx, nil, 0.5); err == nil {
		t.Error("empty batch accepted")
	}
	if _, _, err := det.Forward(ctx, px[:10], 1, 256, 256, nil); err == nil {
		t.Error("short pixel values accepted")
	}
	if _, _, err := det.Forward(ctx, make([]float32, 3*100*100), 1, 100, 100, nil); err == nil || !strings.Contains(err.Error(), "2x") {
		t.Errorf("100x100 input: error %v, want the FPN size error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := det.Detect(cctx, img, 0.5); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestDetectConcurrent checks that concurrent DetectBatch calls give the
// same results as sequential ones, and that a warm call allocates only its
// results.
func TestDetectConcurrent(t *testing.T) {
	det := smallDetector(t)
	ctx := context.Background()
	imgs := []image.Image{testImage(64, 48, 1), testImage(300, 100, 2), testImage(5, 9, 3), testImage(256, 256, 4)}
	want := make([][]Detection, len(imgs))
	for i, img := range imgs {
		d, err := det.Detect(ctx, img, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = d
	}
	var wg sync.WaitGroup
	errs := make([]error, len(imgs))
	got := make([][]Detection, len(imgs))
	for i, img := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = det.Detect(ctx, img, 0.05)
		}()
	}
	wg.Wait()
	for i := range imgs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(got[i]) != len(want[i]) {
			t.Fatalf("image %d: %d detections concurrently, %d alone", i, len(got[i]), len(want[i]))
		}
		for j := range got[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("image %d detection %d: %+v concurrently, %+v alone", i, j, got[i][j], want[i][j])
			}
		}
	}
	// A batch gives the same as one image at a time.
	batch, err := det.DetectBatch(ctx, imgs, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for i := range imgs {
		if len(batch[i]) != len(want[i]) {
			t.Fatalf("image %d: %d detections in a batch, %d alone", i, len(batch[i]), len(want[i]))
		}
		for j := range batch[i] {
			if batch[i][j] != want[i][j] {
				t.Fatalf("image %d detection %d: %+v in a batch, %+v alone", i, j, batch[i][j], want[i][j])
			}
		}
	}
}

// TestForwardAllocs checks that a warm forward allocates no activation
// memory: what remains are the kernels' small per-call closures and tail
// buffers (in ops), bounded here by bytes.
func TestForwardAllocs(t *testing.T) {
	g := loadGolden(t, "r50_tiny")
	ws := &workspace{}
	ctx := context.Background()
	if err := g.det.forward(ctx, ws, g.px, g.b, g.h, g.w, nil); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	const runs = 3
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		if err := g.det.forward(ctx, ws, g.px, g.b, g.h, g.w, nil); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / runs
	objs := float64(after.Mallocs-before.Mallocs) / runs
	ws0 := 0
	for _, b := range ws.bufs {
		ws0 += 4 * cap(b)
	}
	t.Logf("warm forward: %.0f allocations, %.0f bytes (workspace %d bytes)", objs, bytes, ws0)
	if bytes > 128<<10 {
		t.Errorf("warm forward allocates %.0f bytes, want under 128 KiB (the workspace holds %d)", bytes, ws0)
	}
}

// BenchmarkDetect measures Detect on one 640x480 image with the r50_tiny
// golden model at the default 640x640 input (ms per image).
func BenchmarkDetect(b *testing.B) {
	g := loadGolden(b, "r50_tiny")
	img := testImage(640, 480, 1)
	ctx := context.Background()
	if _, err := g.det.Detect(ctx, img, 0.5); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.det.Detect(ctx, img, 0.5); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/image")
}

// TestDetectAllocs checks that a warm Detect allocates little beyond its
// results (the kernels' small per-call closures and tail buffers, and the
// postprocessing's ranking).
func TestDetectAllocs(t *testing.T) {
	det := smallDetector(t)
	ctx := context.Background()
	img := testImage(300, 200, 1)
	if _, err := det.Detect(ctx, img, 0.5); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	const runs = 3
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		if _, err := det.Detect(ctx, img, 0.5); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	bytes := float64(after.TotalAlloc-before.TotalAlloc) / runs
	t.Logf("warm Detect: %.0f allocations, %.0f bytes", float64(after.Mallocs-before.Mallocs)/runs, bytes)
	if bytes > 512<<10 {
		t.Errorf("warm Detect allocates %.0f bytes, want under 512 KiB", bytes)
	}
}
