package detect

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"

	"github.com/ladderpose/ladderpose/weights"
)

// Detector is a loaded RT-DETR model with its preprocessing. It is read-only
// after Load and safe for concurrent use: each call takes its own workspace
// from a pool, so a warm Detector allocates nothing per call beyond the
// results. Results are bit-identical for any GOMAXPROCS.
type Detector struct {
	cfg  *Config
	prep Preprocess
	bb   *backbone
	enc  *hybridEncoder
	dec  *decoderNet
	pool wsPool
}

// wsPool keeps the workspaces of finished calls for the next ones: a call
// takes one (or makes one when all are in use) and gives it back, so
// sequential calls share a single workspace and concurrent calls have one
// each. Unlike a sync.Pool, it keeps one workspace per P no more than it
// needs, and a garbage collection does not empty it (a workspace holds
// hundreds of MB at 640x640; making another costs that much memory again).
type wsPool struct {
	mu   sync.Mutex
	free []*workspace
}

func (p *wsPool) get() *workspace {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		ws := p.free[n-1]
		p.free = p.free[:n-1]
		return ws
	}
	return &workspace{}
}

func (p *wsPool) put(ws *workspace) {
	p.mu.Lock()
	p.free = append(p.free, ws)
	p.mu.Unlock()
}

// Load reads an RT-DETR checkpoint: a folder holding model.safetensors and
// config.json (and optionally preprocessor_config.json), or the
// safetensors file itself with those beside it. Weights may be F32, F16 or
// BF16. BatchNorms are folded into their convolutions and each RepVGG
// block's two branches into one 3x3 convolution. A missing or misshapen
// tensor is named in the error.
func Load(path string) (*Detector, error) {
	wp, cp, err := resolvePaths(path)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(cp)
	if err != nil {
		return nil, err
	}
	prep, err := LoadPreprocess(filepath.Join(filepath.Dir(cp), "preprocessor_config.json"))
	if err != nil {
		return nil, err
	}
	f, err := weights.Open(wp)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	defer f.Close()
	d, err := newDetector(cfg, fileGetter(f))
	if err != nil {
		return nil, errWrap(wp, err)
	}
	if err := d.SetPreprocess(prep); err != nil {
		return nil, fmt.Errorf("%w (preprocessor_config.json \"size\")", err)
	}
	return d, nil
}

// newDetector builds the network from weights read through get.
func newDetector(cfg *Config, get getter) (*Detector, error) {
	d := &Detector{cfg: cfg, prep: DefaultPreprocess}
	var err error
	if d.bb, err = newBackbone(cfg, get); err != nil {
		return nil, err
	}
	if d.enc, err = newHybridEncoder(cfg, get); err != nil {
		return nil, err
	}
	if d.dec, err = newDecoderNet(cfg, get); err != nil {
		return nil, err
	}
	// Loading leaves as much garbage as the weights (the unfolded and
	// unpacked copies): collect it and return it to the OS now, so that the
	// first call's workspace does not come on top of it (peak memory).
	debug.FreeOSMemory()
	return d, nil
}

// Config returns the model's configuration (read-only).
func (d *Detector) Config() *Config { return d.cfg }

// Preprocess returns the model's preprocessing settings.
func (d *Detector) Preprocess() Preprocess { return d.prep }

// SetPreprocess replaces the preprocessing settings (for example another
// input size). It must not run concurrently with other methods.
func (d *Detector) SetPreprocess(p Preprocess) error {
	if p.Height <= 0 || p.Width <= 0 || p.Height > 1<<14 || p.Width > 1<<14 {
		return fmt.Errorf("detect: preprocess size %dx%d", p.Height, p.Width)
	}
	if m := slices.Max(d.cfg.FeatStrides); p.Height%m != 0 || p.Width%m != 0 {
		return fmt.Errorf("detect: preprocess size %dx%d: want multiples of the largest feature stride %d", p.Height, p.Width, m)
	}
	d.prep = p
	return nil
}

// DumpFunc receives named intermediate tensors during Forward (the
// goldens' names: backbone_feature{l}, encoder_aifi_out, encoder_level{l},
// enc_topk_indices, enc_topk_scores, enc_topk_logits, enc_topk_bboxes,
// init_reference_points, intermediate_logits,
// intermediate_reference_points, decoder_last_hidden_state). data aliases
// the workspace and is valid only during the call.
type DumpFunc func(name string, data []float32, shape ...int)

// Forward runs the network on pixelValues [b, 3, h, w] (preprocessed,
// channels first) and returns logits [b, Q, C] and pred_boxes [b, Q, 4]
// (cx, cy, w, h in [0, 1]). The feature pyramid's levels must halve
// exactly, as Hugging Face's concatenations need: h and w multiples of the
// largest feature stride (32) always work. dump, if not nil, receives the
// intermediate tensors.
func (d *Detector) Forward(ctx context.Context, pixelValues []float32, b, h, w int, dump DumpFunc) (logits, boxes []float32, err error) {
	ws := d.pool.get()
	defer d.pool.put(ws)
	if err := d.forward(ctx, ws, pixelValues, b, h, w, dump); err != nil {
		return nil, nil, err
	}
	out := &ws.dec
	return append([]float32(nil), out.Logits...), append([]float32(nil), out.Boxes...), nil
}

// forward runs the network, leaving the results in ws.dec.
func (d *Detector) forward(ctx context.Context, ws *workspace, px []float32, b, h, w int, dump DumpFunc) error {
	if b <= 0 || h <= 0 || w <= 0 {
		return fmt.Errorf("detect: input [%d, 3, %d, %d]: want positive sizes", b, h, w)
	}
	if h > 1<<14 || w > 1<<14 {
		return fmt.Errorf("detect: input %dx%d: at most %d on a side", h, w, 1<<14)
	}
	if len(px) != b*d.cfg.NumChannels*h*w {
		return fmt.Errorf("detect: %d pixel values, want [%d, %d, %d, %d] = %d", len(px), b, d.cfg.NumChannels, h, w, b*d.cfg.NumChannels*h*w)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	nl := len(d.cfg.EncoderInChannels)
	var shapeArr [slotsPerKind]featureShape
	shapes := shapeArr[:nl]
	if err := d.bb.forward(ws, px, b, h, w, shapes); err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	if dump != nil {
		for l, s := range shapes {
			dump(levelName("backbone_feature", l), ws.buf(kindFeature, l, b*s.c*s.h*s.w), b, s.c, s.h, s.w)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var levelArr [slotsPerKind][]float32
	levels := levelArr[:nl]
	var aifi func(l int, data []float32)
	if dump != nil {
		c := d.cfg.EncoderHiddenDim
		aifi = func(l int, data []float32) {
			dump("encoder_aifi_out", data, b, c, shapes[l].h, shapes[l].w)
		}
	}
	if err := d.enc.forward(ws, b, shapes, levels, aifi); err != nil {
		return fmt.Errorf("detect: encoder: %w", err)
	}
	var sizeArr [slotsPerKind][2]int
	sizes := sizeArr[:nl]
	for l, s := range shapes {
		sizes[l] = [2]int{s.h, s.w}
	}
	if dump != nil {
		for l, s := range sizes {
			dump(levelName("encoder_level", l), levels[l], b, d.cfg.EncoderHiddenDim, s[0], s[1])
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.dec.forward(levels, sizes, b, &ws.dec); err != nil {
		return err
	}
	if dump != nil {
		o := &ws.dec
		q, c, l := d.cfg.NumQueries, len(d.cfg.Labels), d.cfg.DecoderLayers
		idx := ws.buf(kindAIFI, 9, len(o.TopkIndices))
		for i, v := range o.TopkIndices {
			idx[i] = float32(v)
		}
		dump("enc_topk_indices", idx, b, q)
		dump("enc_topk_scores", o.TopkScores, b, q)
		dump("enc_topk_logits", o.TopkLogits, b, q, c)
		dump("enc_topk_bboxes", o.TopkBoxes, b, q, 4)
		dump("init_reference_points", o.InitRef, b, q, 4)
		dump("intermediate_logits", o.InterLogits, b, l, q, c)
		dump("intermediate_reference_points", o.InterRef, b, l, q, 4)
		dump("decoder_last_hidden_state", o.Hidden, b, q, d.cfg.DModel)
	}
	return nil
}

// levelName returns prefix + the level number.
func levelName(prefix string, l int) string {
	switch l {
	case 0:
		return prefix + "0"
	case 1:
		return prefix + "1"
	case 2:
		return prefix + "2"
	}
	return prefix + strconv.Itoa(l)
}

// Detect finds objects in img: it preprocesses the image as
// RTDetrImageProcessor does (resize, rescale), runs the network and keeps
// the detections whose score exceeds threshold, best first, with boxes in
// img's pixel coordinates (relative to its Bounds().Min). Any image size
// from 1x1 up to 65536 on a side works.
func (d *Detector) Detect(ctx context.Context, img image.Image, threshold float64) ([]Detection, error) {
	res, err := d.DetectBatch(ctx, []image.Image{img}, threshold)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// DetectBatch is Detect on several images run as one batch.
func (d *Detector) DetectBatch(ctx context.Context, imgs []image.Image, threshold float64) ([][]Detection, error) {
	if len(imgs) == 0 {
		return nil, fmt.Errorf("detect: no images")
	}
	ws := d.pool.get()
	defer d.pool.put(ws)
	p := d.prep
	n, h, w := len(imgs), p.Height, p.Width
	px := ws.buf(kindInput, 0, n*3*h*w)
	if cap(ws.targets) < n {
		ws.targets = make([][2]int, n)
	}
	targets := ws.targets[:n]
	for i, img := range imgs {
		var iw, ih int
		var err error
		ws.rgb, iw, ih, err = toRGB(ws.rgb, img)
		if err != nil {
			return nil, fmt.Errorf("detect: image %d: %w", i, err)
		}
		if cap(ws.resized) < 3*h*w {
			ws.resized = make([]uint8, 3*h*w)
		}
		resized := ws.resized[:3*h*w]
		pilResizeBilinear(resized, ws.rgb, iw, ih, w, h, &ws.resample)
		p.toPixels(px[i*3*h*w:(i+1)*3*h*w], resized, w, h)
		targets[i] = [2]int{ih, iw}
	}
	if err := d.forward(ctx, ws, px, n, h, w, nil); err != nil {
		return nil, err
	}
	q, c := d.cfg.NumQueries, len(d.cfg.Labels)
	res, err := postprocess(ws.dec.Logits, ws.dec.Boxes, n, q, c, targets, threshold, 0, d.cfg.Labels)
	if err != nil {
		return nil, err
	}
	for i, img := range imgs {
		min := img.Bounds().Min
		for j := range res[i] {
			bx := &res[i][j].Box
			bx[0] += float64(min.X)
			bx[1] += float64(min.Y)
			bx[2] += float64(min.X)
			bx[3] += float64(min.Y)
		}
	}
	return res, nil
}
