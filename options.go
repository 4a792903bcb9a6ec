package ladderpose

import (
	"errors"
	"fmt"

	"github.com/ladderpose/ladderpose/pipeline"
)

// DefaultBatchSize is the number of people an Estimator runs through the
// network at once unless WithBatchSize says otherwise (with the flip test,
// twice as many crops).
const DefaultBatchSize = 8

// Option tunes Load. Options that receive an invalid value make Load fail.
type Option func(*settings) error

// settings are the estimator's options.
type settings struct {
	side     string
	method   pipeline.Method
	flip     bool
	batch    int
	heatmaps bool
}

func defaultSettings() settings {
	return settings{method: pipeline.DarkUDP, flip: true, batch: DefaultBatchSize}
}

// WithSide loads a ladder side network from the safetensors file at path
// (as written by "ladderpose init-side" or by training) on top of the main
// checkpoint; its tensors replace any of the same name in the main file.
func WithSide(path string) Option {
	return func(s *settings) error {
		if path == "" {
			return errors.New("WithSide: empty path")
		}
		s.side = path
		return nil
	}
}

// WithDecode selects the heatmap decoder: "dark-udp" (the default,
// ViTPose's reported setting) or "default" (argmax plus a quarter pixel,
// for models trained without UDP).
func WithDecode(name string) Option {
	return func(s *settings) error {
		m, err := pipeline.ParseMethod(name)
		if err != nil {
			return fmt.Errorf("WithDecode: %w", err)
		}
		s.method = m
		return nil
	}
}

// WithFlipTest turns the flip test on (the default) or off. With it, each
// person's crop also runs horizontally mirrored and the two sets of heatmaps
// are averaged, at twice the cost.
func WithFlipTest(on bool) Option {
	return func(s *settings) error {
		s.flip = on
		return nil
	}
}

// WithBatchSize sets how many people go through the network at once
// (DefaultBatchSize if not given). Larger batches use more memory (the
// workspace holds the activations of the whole batch) and amortise each
// pass of the weights through the cache. The results are the same bits for
// every batch size: the network computes each crop's rows independently.
func WithBatchSize(n int) Option {
	return func(s *settings) error {
		if n < 1 {
			return fmt.Errorf("WithBatchSize: %d people per batch, want at least 1", n)
		}
		s.batch = n
		return nil
	}
}

// WithHeatmaps makes Estimate keep each person's heatmaps (after the flip
// test, before decoding) in Pose.Heatmaps, for inspection with
// Estimator.HeatmapGrid. They cost K x H/4 x W/4 float32 values per person
// (208 KiB for COCO at 256x192).
func WithHeatmaps(on bool) Option {
	return func(s *settings) error {
		s.heatmaps = on
		return nil
	}
}
