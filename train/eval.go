package train

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

// HeatmapFunc runs a network on b normalised crops [b, 3, H, W] and returns
// heatmaps [b, K, H/4, W/4]. The result may alias the function's workspace
// until its next call.
type HeatmapFunc func(images []float32, b int) ([]float32, error)

// Evaluator scores a network on a COCO dataset with its ground-truth boxes,
// as ViTPose's test settings do (SPEC.md section 9): a crop per labelled
// person, the flip test, DARK-UDP decoding, rescoring, OKS-NMS per image,
// then COCOeval. Images are decoded once and kept.
type Evaluator struct {
	gt      *coco.Dataset
	images  map[int64]*pipeline.RGB
	persons []evalPerson
	h, w    int
}

type evalPerson struct {
	imageID int64
	box     pipeline.Box
	frame   pipeline.Frame
}

// NewEvaluator loads the images of gt from imageDir for crops of inputH x
// inputW. The people evaluated are the annotations with labelled keypoints
// and iscrowd 0 (mmpose's ground-truth-box protocol).
func NewEvaluator(gt *coco.Dataset, imageDir string, inputH, inputW int) (*Evaluator, error) {
	e := &Evaluator{gt: gt, images: map[int64]*pipeline.RGB{}, h: inputH, w: inputW}
	files := map[int64]string{}
	for _, im := range gt.Images {
		files[im.ID] = im.FileName
	}
	for _, a := range gt.Annotations {
		if a.IsCrowd != 0 || a.NumKeypoints == 0 {
			continue
		}
		if _, ok := e.images[a.ImageID]; !ok {
			img, err := pipeline.LoadImage(filepath.Join(imageDir, files[a.ImageID]))
			if err != nil {
				return nil, fmt.Errorf("evaluation data: %w", err)
			}
			e.images[a.ImageID] = img
		}
		b := pipeline.Box{X: a.BBox[0], Y: a.BBox[1], W: a.BBox[2], H: a.BBox[3]}
		if err := pipeline.CheckBox(b, e.images[a.ImageID].W, e.images[a.ImageID].H); err != nil {
			continue // a degenerate ground-truth box gives no crop
		}
		e.persons = append(e.persons, evalPerson{imageID: a.ImageID, box: b, frame: b.Frame(inputW, inputH)})
	}
	if len(e.persons) == 0 {
		return nil, fmt.Errorf("evaluation data: no person with labelled keypoints")
	}
	return e, nil
}

// People returns the number of people evaluated.
func (e *Evaluator) People() int { return len(e.persons) }

// Run evaluates the network given as f, batch crops at a time.
func (e *Evaluator) Run(ctx context.Context, f HeatmapFunc, batch int, flip bool) (*coco.EvalResult, []coco.Result, error) {
	per := 3 * e.h * e.w
	n := 1
	if flip {
		n = 2
	}
	crops := make([]float32, n*batch*per)
	poses := make([]pipeline.Pose, len(e.persons))
	for s := 0; s < len(e.persons); s += batch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		bs := min(batch, len(e.persons)-s)
		for i := 0; i < bs; i++ {
			p := e.persons[s+i]
			var fl []float32
			if flip {
				fl = crops[(bs+i)*per : (bs+i+1)*per]
			}
			if err := pipeline.CropPerson(crops[i*per:(i+1)*per], fl, e.images[p.imageID], p.frame, e.w, e.h); err != nil {
				return nil, nil, err
			}
		}
		hm, err := f(crops[:n*bs*per], n*bs)
		if err != nil {
			return nil, nil, err
		}
		k := len(hm) / (n * bs) / (e.h / 4 * e.w / 4)
		hsz := k * (e.h / 4) * (e.w / 4)
		for i := 0; i < bs; i++ {
			h := pipeline.Heatmaps{K: k, H: e.h / 4, W: e.w / 4, Data: append([]float32(nil), hm[i*hsz:(i+1)*hsz]...)}
			if flip {
				if err := pipeline.MergeFlipped(h, pipeline.Heatmaps{K: k, H: e.h / 4, W: e.w / 4, Data: hm[(bs+i)*hsz : (bs+i+1)*hsz]}, pipeline.FlipPairs[:]); err != nil {
					return nil, nil, err
				}
			}
			p := e.persons[s+i]
			kps := make([]pipeline.Keypoint, k)
			if err := pipeline.Decode(kps, h, p.frame, pipeline.DarkUDP); err != nil {
				return nil, nil, err
			}
			poses[s+i] = pipeline.Pose{Box: p.box, Frame: p.frame, Keypoints: kps, BoxScore: 1,
				Score: pipeline.Rescore(kps, 1, pipeline.RescoreThreshold)}
		}
	}
	// OKS-NMS per image, in the order of the images' people.
	byImage := map[int64][]int{}
	var order []int64
	for i, p := range e.persons {
		if _, ok := byImage[p.imageID]; !ok {
			order = append(order, p.imageID)
		}
		byImage[p.imageID] = append(byImage[p.imageID], i)
	}
	var results []coco.Result
	for _, id := range order {
		idx := byImage[id]
		ps := make([]pipeline.Pose, len(idx))
		for j, i := range idx {
			ps[j] = poses[i]
		}
		keep, err := pipeline.OKSNMS(ps, pipeline.NMSThreshold, coco.Sigmas[:])
		if err != nil {
			return nil, nil, err
		}
		for _, j := range keep {
			r := coco.Result{ImageID: id, CategoryID: 1, Score: ps[j].Score, Keypoints: make([]float64, 0, 3*len(ps[j].Keypoints))}
			for _, kp := range ps[j].Keypoints {
				r.Keypoints = append(r.Keypoints, kp.X, kp.Y, kp.Score)
			}
			results = append(results, r)
		}
	}
	res, err := coco.Evaluate(e.gt, results)
	if err != nil {
		return nil, nil, err
	}
	return res, results, nil
}
