package ladderpose

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Estimator runs top-down pose estimation with one model. It is safe for
// concurrent use (see the package documentation).
type Estimator struct {
	model *posemodel.Model
	set   settings
	pool  sync.Pool // *worker
}

// worker is one call's scratch: the model workspace and the input batch.
type worker struct {
	ws *posemodel.Workspace
	in []float32
}

// Load reads a checkpoint (a safetensors file, or a folder holding
// model.safetensors and, for Hugging Face checkpoints, config.json) and
// returns an estimator for it. The model must predict the 17 COCO keypoints.
func Load(path string, opts ...Option) (*Estimator, error) {
	set := defaultSettings()
	for _, o := range opts {
		if err := o(&set); err != nil {
			return nil, fmt.Errorf("ladderpose: %w", err)
		}
	}
	m, err := posemodel.Load(path, posemodel.LoadOptions{SidePath: set.side, InferenceOnly: true})
	if err != nil {
		return nil, fmt.Errorf("ladderpose: %w", err)
	}
	if k := m.Cfg.Keypoints; k != coco.NumKeypoints {
		return nil, fmt.Errorf("ladderpose: %s: the model predicts %d keypoints; the estimator needs COCO's %d (flip pairs, OKS sigmas)", path, k, coco.NumKeypoints)
	}
	return &Estimator{model: m, set: set}, nil
}

// Config returns the model's configuration.
func (e *Estimator) Config() posemodel.Config { return e.model.Cfg }

// HasSide reports whether the model has a ladder side network (and Pose.Fusion
// is set).
func (e *Estimator) HasSide() bool { return e.model.HasSide() }

// Estimate finds the pose of the person in each box of img (nil or empty
// boxes: the whole image as one box of score 1). Boxes with no area or lying
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
	cfg := e.model.Cfg
	inH, inW := cfg.Input[0], cfg.Input[1]
	imgs := make([]*pipeline.RGB, len(reqs))
	origin := make([]image.Point, len(reqs))
	var people []person
	for i, r := range reqs {
		if r.Image == nil {
			return nil, fmt.Errorf("ladderpose: request %d: no image", i)
		}
		imgs[i], origin[i] = packed(r.Image)
		boxes := r.Boxes
		if len(boxes) == 0 {
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
		keep, err := pipeline.OKSNMS(found[i], pipeline.NMSThreshold, coco.Sigmas[:])
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

// getWorker takes a worker from the pool, or makes one.
func (e *Estimator) getWorker() *worker {
	if w, ok := e.pool.Get().(*worker); ok {
		return w
	}
	ws := posemodel.NewWorkspace()
	if e.model.HasSide() {
		ws.Keep("level_fre", "level_spa", "sim_fre", "sim_spa")
	}
	return &worker{ws: ws}
}

// runBatch crops, runs and decodes one batch of people, appending each to
// found and extra under its image.
func (e *Estimator) runBatch(w *worker, imgs []*pipeline.RGB, batch []person, found [][]pipeline.Pose, extra [][]Pose) error {
	cfg := e.model.Cfg
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
	hmT, err := e.model.Forward(w.ws, tensor.FromSlice(in, crops, 3, inH, inW))
	if err != nil {
		return fmt.Errorf("ladderpose: %w", err)
	}
	hmAll := hmT.Data()
	per := k * hh * hw
	var lf, ls, sf, ss []float32
	if e.model.HasSide() {
		lf, ls, sf, ss = kept(w.ws, "level_fre"), kept(w.ws, "level_spa"), kept(w.ws, "sim_fre"), kept(w.ws, "sim_spa")
		if lf == nil || ls == nil || sf == nil || ss == nil {
			return errors.New("ladderpose: the side network kept no fusion levels")
		}
	}
	fusion := func(j int) *Fusion {
		return &Fusion{LevelFre: int(lf[j]), LevelSpa: int(ls[j]), SimFre: float64(sf[j]), SimSpa: float64(ss[j])}
	}
	for i, p := range batch {
		hm := pipeline.Heatmaps{K: k, H: hh, W: hw, Data: hmAll[i*per : (i+1)*per]}
		if e.set.flip {
			fl := pipeline.Heatmaps{K: k, H: hh, W: hw, Data: hmAll[(nb+i)*per : (nb+i+1)*per]}
			if err := pipeline.MergeFlipped(hm, fl, pipeline.FlipPairs[:]); err != nil {
				return fmt.Errorf("ladderpose: %w", err)
			}
		}
		kps := make([]pipeline.Keypoint, k)
		if err := pipeline.Decode(kps, hm, p.f, e.set.method); err != nil {
			return fmt.Errorf("ladderpose: request %d: box %d %v: %w", p.img, p.box, p.b, err)
		}
		pose := Pose{Box: p.b, BoxIndex: p.box}
		if e.model.HasSide() {
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
	cfg := e.model.Cfg
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
