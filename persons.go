package ladderpose

import (
	"context"
	"fmt"
	"image"
	"strings"

	"github.com/ladderpose/ladderpose/detect"
)

// personDetector is an estimator's detector and the class index of its
// "person" label.
type personDetector struct {
	det    *detect.Detector
	person int
	thr    float64
}

// loadPersonDetector loads the RT-DETR model of WithDetector and finds its
// "person" label.
func loadPersonDetector(path string, thr float64) (*personDetector, error) {
	d, err := detect.Load(path)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	for i, name := range d.Config().Labels {
		if strings.EqualFold(strings.TrimSpace(name), "person") {
			return &personDetector{det: d, person: i, thr: thr}, nil
		}
	}
	return nil, fmt.Errorf("detector %s: no class is labelled \"person\" in its config.json id2label (%d classes)", path, len(d.Config().Labels))
}

// HasDetector reports whether the estimator finds people itself
// (WithDetector).
func (e *Estimator) HasDetector() bool { return e.det != nil }

// DetectPeople runs the estimator's detector on each image and returns its
// person boxes above the person threshold, best first, in the image's
// coordinates (its Bounds().Min included), with the detector's score. It
// fails without a detector (WithDetector).
func (e *Estimator) DetectPeople(ctx context.Context, imgs []image.Image) ([][]Box, error) {
	if e.det == nil {
		return nil, fmt.Errorf("ladderpose: detect people: the estimator has no detector (WithDetector)")
	}
	if e.closed.Load() {
		return nil, ErrClosed
	}
	dets, err := e.det.det.DetectBatch(ctx, imgs, e.det.thr)
	if err != nil {
		return nil, fmt.Errorf("ladderpose: %w", err)
	}
	out := make([][]Box, len(imgs))
	for i, ds := range dets {
		min := imgs[i].Bounds().Min
		for _, d := range ds {
			if d.Label != e.det.person {
				continue
			}
			x0, y0 := d.Box[0]+float64(min.X), d.Box[1]+float64(min.Y)
			out[i] = append(out[i], Box{X: x0, Y: y0, W: d.Box[2] - d.Box[0], H: d.Box[3] - d.Box[1], Score: d.Score})
		}
	}
	return out, nil
}
