package ladderpose

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Estimator runs top-down pose estimation with one model. It is safe for
// concurrent use (see the package documentation).
type Estimator struct {
	cfg    posemodel.Config
	kps    pipeline.KeypointSet
	sigmas []float64 // OKS-NMS constants
	warn   []string
	side   bool
	set    settings
	device string           // where the network runs, for Device
	model  *posemodel.Model // the network on the CPU; nil on a GPU
	pool   sync.Pool        // *worker
	gpu    *gpuNet          // the network on a GPU; nil on the CPU
	closed atomic.Bool
	det    *personDetector // nil without WithDetector
}

// gpuNet is the network on a GPU. Its passes run one at a time: the
// device is one queue, and a pass's kept intermediates (the fusion levels)
// must be read before the next pass replaces them.
type gpuNet struct {
	mu  sync.Mutex
	net *devnet.Net
}

// worker is one call's scratch: the model workspace (on the CPU) and the
// input batch.
type worker struct {
	ws *posemodel.Workspace
	in []float32
}

// fusionNames are the intermediates that make Pose.Fusion.
var fusionNames = [...]string{"level_fre", "level_spa", "sim_fre", "sim_spa"}

// ErrClosed is returned by the methods of an Estimator after Close.
var ErrClosed = errors.New("ladderpose: the estimator is closed")

// Load reads a checkpoint (a safetensors file, or a folder holding
// model.safetensors and, for Hugging Face checkpoints, config.json) and
// returns an estimator for it, on the device of WithDevice (the CPU by
// default). The model must predict the 17 COCO keypoints.
func Load(path string, opts ...Option) (*Estimator, error) {
	set := defaultSettings()
	for _, o := range opts {
		if err := o(&set); err != nil {
			return nil, fmt.Errorf("ladderpose: %w", err)
		}
	}
	return load(path, set, func(l devnet.LoadFunc) (*devnet.Net, error) {
		return devnet.Load(set.device, gpu.Options{}, l)
	})
}

// LoadBytes is Load for a safetensors checkpoint held in memory (one
// embedded with go:embed, say; the command line's bundled models are);
// name stands for its path in errors. The config comes from the
// checkpoint's "ladderpose.config" metadata or the standard ViTPose sizes
// recognised from its shapes (a Hugging Face config.json cannot come with
// it). WithSide still names a file. data must not change while LoadBytes
// runs; the estimator keeps no reference to it.
func LoadBytes(name string, data []byte, opts ...Option) (*Estimator, error) {
	set := defaultSettings()
	for _, o := range opts {
		if err := o(&set); err != nil {
			return nil, fmt.Errorf("ladderpose: %w", err)
		}
	}
	return loadWith(name, set, func(l devnet.LoadFunc) (*devnet.Net, error) {
		return devnet.Load(set.device, gpu.Options{}, l)
	}, func(o posemodel.LoadOptions) (*posemodel.Model, error) {
		return posemodel.LoadBytes(name, data, o)
	})
}

// load is Load with the device placement given (tests place the network on
// an emulated GPU).
func load(path string, set settings, place func(devnet.LoadFunc) (*devnet.Net, error)) (*Estimator, error) {
	return loadWith(path, set, place, func(o posemodel.LoadOptions) (*posemodel.Model, error) {
		return posemodel.Load(path, o)
	})
}

// loadWith is load with the model read by read (from a file or from
// memory); path names the checkpoint in errors.
func loadWith(path string, set settings, place func(devnet.LoadFunc) (*devnet.Net, error), read func(posemodel.LoadOptions) (*posemodel.Model, error)) (*Estimator, error) {
	n, err := place(func(inferenceOnly bool) (*posemodel.Model, error) {
		m, err := read(posemodel.LoadOptions{SidePath: set.side, InferenceOnly: inferenceOnly, Precision: set.precision})
		if err != nil {
			return nil, err
		}
		if err := m.CheckDataset(set.dataset); err != nil {
			return nil, fmt.Errorf("%s: WithDataset: %w", path, err)
		}
		if k := m.Cfg.Keypoints; set.sigmas != nil && len(set.sigmas) != k {
			return nil, fmt.Errorf("%s: WithSigmas: %d sigmas for the model's %d keypoints", path, len(set.sigmas), k)
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("ladderpose: %w", err)
	}
	e := &Estimator{cfg: n.Model.Cfg, side: n.Model.HasSide(), set: set, device: strings.TrimPrefix(n.Line, "device: ")}
	e.setKeypoints()
	if set.detector != "" {
		if e.det, err = loadPersonDetector(set.detector, set.personT); err != nil {
			return nil, fmt.Errorf("ladderpose: %w", errors.Join(err, n.Close()))
		}
	}
	if !n.OnGPU() {
		e.model = n.Model
		return e, nil
	}
	n.Model = nil // the weights are on the GPU; the host copy can go
	if e.side {
		if err := n.GPU.Keep(fusionNames[:]...); err != nil {
			return nil, fmt.Errorf("ladderpose: %w", errors.Join(err, n.Close()))
		}
	}
	e.gpu = &gpuNet{net: n}
	return e, nil
}

// meanCOCOSigma is the OKS constant used for every keypoint of a set
// without sigmas: the mean of COCO's 17.
var meanCOCOSigma = func() float64 {
	var s float64
	for _, v := range coco.Sigmas {
		s += v
	}
	return s / coco.NumKeypoints
}()

// setKeypoints describes the model's keypoints (names, flip pairs,
// skeleton, sigmas) and notes what the estimator cannot do with them.
func (e *Estimator) setKeypoints() {
	c := e.cfg
	e.kps = pipeline.NewKeypointSet(c.Keypoints, c.KeypointNames, c.Skeleton)
	if e.set.flip && !e.kps.COCO && len(e.kps.FlipPairs) == 0 {
		e.set.flip = false
		e.warn = append(e.warn, fmt.Sprintf("flip test off: no left/right pairs can be derived from the names of the model's %d keypoints", c.Keypoints))
	}
	switch {
	case e.set.sigmas != nil:
		e.sigmas = e.set.sigmas
	case e.kps.Sigmas != nil:
		e.sigmas = e.kps.Sigmas
	default:
		e.sigmas = make([]float64, c.Keypoints)
		for i := range e.sigmas {
			e.sigmas[i] = meanCOCOSigma
		}
		e.warn = append(e.warn, fmt.Sprintf("no OKS sigmas for the model's %d keypoints: OKS-NMS uses COCO's mean sigma %.4f for each (give them with WithSigmas)", c.Keypoints, meanCOCOSigma))
	}
}

// Warnings lists, one line each, what the estimator does differently from
// its options because of the model: the flip test turned off for keypoints
// without left/right pairs, OKS sigmas it had to assume. Empty for COCO
// models.
func (e *Estimator) Warnings() []string { return append([]string(nil), e.warn...) }

// Keypoints describes the model's keypoints: names, flip pairs, skeleton
// and OKS sigmas (see pipeline.KeypointSet).
func (e *Estimator) Keypoints() pipeline.KeypointSet { return e.kps }

// Device says where the network runs and, on the CPU, why: "CPU (as
// asked)", "CPU (no usable GPU: REASON)", "CPU (GPU ... cannot take the
// model: ERROR)" or "GPU cuda 0: NAME (compute capability, memory),
// driver and library versions".
func (e *Estimator) Device() string { return e.device }

// Close releases the GPU memory and device of an estimator running on a
// GPU; on the CPU there is nothing to release. Afterwards Estimate and
// EstimateBatch return ErrClosed (on either device); a call in flight on a
// GPU fails at its next network pass. Closing again does nothing.
func (e *Estimator) Close() error {
	if e.closed.Swap(true) || e.gpu == nil {
		return nil
	}
	e.gpu.mu.Lock()
	defer e.gpu.mu.Unlock()
	if err := e.gpu.net.Close(); err != nil {
		return fmt.Errorf("ladderpose: %w", err)
	}
	return nil
}

// Config returns the model's configuration.
func (e *Estimator) Config() posemodel.Config { return e.cfg }

// HasSide reports whether the model has a ladder side network (and Pose.Fusion
// is set).
func (e *Estimator) HasSide() bool { return e.side }

// Estimate finds the pose of the person in each box of img. With nil or
// empty boxes it estimates every person the detector finds (WithDetector;
// none found: no poses) or, without a detector, the whole image as one box
// of score 1. Boxes with no area or lying
// entirely outside the image are skipped; a box with a NaN or infinite value
// is an error. The poses come after OKS non-maximum suppression, by
// decreasing score.
func (e *Estimator) Estimate(ctx context.Context, img image.Image, boxes []Box) ([]Pose, error) {
	out, err := e.EstimateBatch(ctx, []Request{{Image: img, Boxes: boxes}})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// person is one box to run, with where it comes from.
type person struct {
	img, box int // request and box index
	b        Box
	f        pipeline.Frame // in the packed image's coordinates
}

// EstimateBatch is Estimate for several images at once: the people of all
// images go through the network together, in batches of the batch size, so
// that small images with few people still fill the batches. It returns one
// slice of poses per request, in order. ctx is checked before each batch;
// when it is done, EstimateBatch returns its error.
func (e *Estimator) EstimateBatch(ctx context.Context, reqs []Request) ([][]Pose, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.closed.Load() {
		return nil, ErrClosed
	}
	cfg := e.cfg
	inH, inW := cfg.Input[0], cfg.Input[1]
	imgs := make([]*pipeline.RGB, len(reqs))
	origin := make([]image.Point, len(reqs))
	var people []person
	for i, r := range reqs {
		if r.Image == nil {
			return nil, fmt.Errorf("ladderpose: request %d: no image", i)
		}
	}
	detected, err := e.detectMissing(ctx, reqs)
	if err != nil {
		return nil, err
	}
	for i, r := range reqs {
		imgs[i], origin[i] = packed(r.Image)
		boxes := r.Boxes
		if detected != nil && len(boxes) == 0 {
			boxes = detected[i]
		}
		if len(boxes) == 0 && detected == nil {
			b := r.Image.Bounds()
			boxes = []Box{NewBox(float64(b.Min.X), float64(b.Min.Y), float64(b.Dx()), float64(b.Dy()))}
		}
		for j, b := range boxes {
			if math.IsNaN(b.Score) || math.IsInf(b.Score, 0) {
				return nil, fmt.Errorf("ladderpose: request %d: box %d %v: score is not finite", i, j, b)
			}
			pb := pipeline.Box{X: b.X - float64(origin[i].X), Y: b.Y - float64(origin[i].Y), W: b.W, H: b.H}
			if err := pipeline.CheckBox(pb, imgs[i].W, imgs[i].H); err != nil {
				if pipeline.Skippable(err) {
					continue
				}
				return nil, fmt.Errorf("ladderpose: request %d: box %d %v: %w", i, j, b, err)
			}
			people = append(people, person{img: i, box: j, b: b, f: pb.Frame(inW, inH)})
		}
	}

	found := make([][]pipeline.Pose, len(reqs)) // in pipeline coordinates
	extra := make([][]Pose, len(reqs))          // the rest of each pose
	if len(people) > 0 {
		w := e.getWorker()
		defer e.pool.Put(w)
		for start := 0; start < len(people); start += e.set.batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			batch := people[start:min(start+e.set.batch, len(people))]
			if err := e.runBatch(w, imgs, batch, found, extra); err != nil {
				return nil, err
			}
		}
	}

	out := make([][]Pose, len(reqs))
	for i := range reqs {
		if len(found[i]) == 0 {
			continue
		}
		keep, err := pipeline.OKSNMS(found[i], pipeline.NMSThreshold, e.sigmas)
		if err != nil {
			return nil, fmt.Errorf("ladderpose: request %d: %w", i, err)
		}
		ox, oy := float64(origin[i].X), float64(origin[i].Y)
		for _, k := range keep {
			p := extra[i][k]
			pp := found[i][k]
			p.Keypoints = pp.Keypoints
			for j := range p.Keypoints {
				p.Keypoints[j].X += ox
				p.Keypoints[j].Y += oy
			}
			p.Score = pp.Score
			p.Frame = pp.Frame
			p.Frame.CX += ox
			p.Frame.CY += oy
			out[i] = append(out[i], p)
		}
	}
	return out, nil
}

// detectMissing runs the detector on the requests without boxes and
// returns each request's person boxes (nil for those with boxes); it
// returns nil without a detector.
func (e *Estimator) detectMissing(ctx context.Context, reqs []Request) ([][]Box, error) {
	if e.det == nil {
		return nil, nil
	}
	var imgs []image.Image
	var which []int
	for i, r := range reqs {
		if len(r.Boxes) == 0 {
			imgs = append(imgs, r.Image)
			which = append(which, i)
		}
	}
	out := make([][]Box, len(reqs))
	if len(imgs) == 0 {
		return out, nil
	}
	found, err := e.DetectPeople(ctx, imgs)
	if err != nil {
		return nil, err
	}
	for j, i := range which {
		out[i] = found[j]
	}
	return out, nil
}

// getWorker takes a worker from the pool, or makes one.
func (e *Estimator) getWorker() *worker {
	if w, ok := e.pool.Get().(*worker); ok {
		return w
	}
	w := &worker{}
	if e.model != nil {
		w.ws = posemodel.NewWorkspace()
		w.ws.SetDataset(e.set.dataset)
		if e.side {
			w.ws.Keep(fusionNames[:]...)
		}
	}
	return w
}

// forward runs the network on a batch of crops: it returns the heatmaps
// and, with a side network, the kept fusion values of each crop (in the
// order of fusionNames).
func (e *Estimator) forward(w *worker, images tensor.Tensor) ([]float32, [len(fusionNames)][]float32, error) {
	var fus [len(fusionNames)][]float32
	if e.gpu != nil {
		e.gpu.mu.Lock()
		defer e.gpu.mu.Unlock()
		g := e.gpu.net.GPU
		hm, err := g.Forward(images)
		if err != nil {
			return nil, fus, err
		}
		if e.side {
			for i, n := range fusionNames {
				if t, ok := g.Intermediate(n); ok {
					fus[i] = t.Contiguous().Data()
				}
			}
		}
		return hm.Data(), fus, nil
	}
	hm, err := e.model.Forward(w.ws, images)
	if err != nil {
		return nil, fus, err
	}
	if e.side {
		for i, n := range fusionNames {
			fus[i] = kept(w.ws, n)
		}
	}
	return hm.Data(), fus, nil
}

// runBatch crops, runs and decodes one batch of people, appending each to
// found and extra under its image.
func (e *Estimator) runBatch(w *worker, imgs []*pipeline.RGB, batch []person, found [][]pipeline.Pose, extra [][]Pose) error {
	cfg := e.cfg
	inH, inW := cfg.Input[0], cfg.Input[1]
	hh, hw, k := cfg.HeatmapH(), cfg.HeatmapW(), cfg.Keypoints
	nb := len(batch)
	crops := nb
	if e.set.flip {
		crops = 2 * nb // the plain crops, then the mirrored ones
	}
	sz := 3 * inH * inW
	if cap(w.in) < crops*sz {
		w.in = make([]float32, crops*sz)
	}
	in := w.in[:crops*sz]
	for i, p := range batch {
		var fl []float32
		if e.set.flip {
			fl = in[(nb+i)*sz : (nb+i+1)*sz]
		}
		if err := pipeline.CropPerson(in[i*sz:(i+1)*sz], fl, imgs[p.img], p.f, inW, inH); err != nil {
			return fmt.Errorf("ladderpose: request %d: box %d %v: %w", p.img, p.box, p.b, err)
		}
	}
	hmAll, fus, err := e.forward(w, tensor.FromSlice(in, crops, 3, inH, inW))
	if err != nil {
		return fmt.Errorf("ladderpose: %w", err)
	}
	per := k * hh * hw
	lf, ls, sf, ss := fus[0], fus[1], fus[2], fus[3]
	if e.side {
		for i, f := range fus {
			if len(f) != crops {
				return fmt.Errorf("ladderpose: the side network kept %d values of %s for %d crops", len(f), fusionNames[i], crops)
			}
		}
	}
	fusion := func(j int) *Fusion {
		return &Fusion{LevelFre: int(lf[j]), LevelSpa: int(ls[j]), SimFre: float64(sf[j]), SimSpa: float64(ss[j])}
	}
	for i, p := range batch {
		hm := pipeline.Heatmaps{K: k, H: hh, W: hw, Data: hmAll[i*per : (i+1)*per]}
		if e.set.flip {
			fl := pipeline.Heatmaps{K: k, H: hh, W: hw, Data: hmAll[(nb+i)*per : (nb+i+1)*per]}
			if err := pipeline.MergeFlipped(hm, fl, e.kps.FlipPairs); err != nil {
				return fmt.Errorf("ladderpose: %w", err)
			}
		}
		kps := make([]pipeline.Keypoint, k)
		if err := pipeline.Decode(kps, hm, p.f, e.set.method); err != nil {
			return fmt.Errorf("ladderpose: request %d: box %d %v: %w", p.img, p.box, p.b, err)
		}
		pose := Pose{Box: p.b, BoxIndex: p.box}
		if e.side {
			pose.Fusion = fusion(i)
			if e.set.flip {
				pose.FusionFlipped = fusion(nb + i)
			}
		}
		if e.set.heatmaps {
			pose.Heatmaps = &Heatmaps{K: k, H: hh, W: hw, Data: append([]float32(nil), hm.Data...)}
		}
		found[p.img] = append(found[p.img], pipeline.Pose{
			Box:       pipeline.Box{X: p.b.X, Y: p.b.Y, W: p.b.W, H: p.b.H},
			Frame:     p.f,
			Keypoints: kps,
			BoxScore:  p.b.Score,
			Score:     pipeline.Rescore(kps, p.b.Score, pipeline.RescoreThreshold),
		})
		extra[p.img] = append(extra[p.img], pose)
	}
	return nil
}

// kept returns a kept [B] intermediate's values, or nil.
func kept(ws *posemodel.Workspace, name string) []float32 {
	t, ok := ws.Intermediate(name)
	if !ok {
		return nil
	}
	return t.Contiguous().Data()
}

// packed returns img as packed RGB (without a copy when it already is one)
// and the origin of its bounds.
func packed(img image.Image) (*pipeline.RGB, image.Point) {
	if m, ok := img.(*pipeline.RGB); ok {
		return m, image.Point{}
	}
	return pipeline.ToRGB(img), img.Bounds().Min
}

// HeatmapGrid returns a picture of a person's heatmaps over its crop: one
// tile per keypoint and one with their maximum (see pipeline.HeatmapGrid).
// The pose must come from an estimator with WithHeatmaps(true); img is the
// image it was found in.
func (e *Estimator) HeatmapGrid(img image.Image, p Pose) (*image.RGBA, error) {
	if p.Heatmaps == nil {
		return nil, errors.New("ladderpose: heatmap grid: the pose has no heatmaps (load with WithHeatmaps(true))")
	}
	cfg := e.cfg
	inH, inW := cfg.Input[0], cfg.Input[1]
	rgb, origin := packed(img)
	f := p.Frame
	f.CX -= float64(origin.X)
	f.CY -= float64(origin.Y)
	chw := make([]float32, 3*inH*inW)
	if err := pipeline.CropPerson(chw, nil, rgb, f, inW, inH); err != nil {
		return nil, fmt.Errorf("ladderpose: heatmap grid: %w", err)
	}
	crop, err := pipeline.CropImage(chw, inW, inH)
	if err != nil {
		return nil, fmt.Errorf("ladderpose: heatmap grid: %w", err)
	}
	g, err := pipeline.HeatmapGrid(crop, *p.Heatmaps)
	if err != nil {
		return nil, fmt.Errorf("ladderpose: %w", err)
	}
	return g, nil
}
