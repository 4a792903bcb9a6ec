package ladderpose

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/posemodel"
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
	device   string
	dataset  int
	sigmas   []float64
	detector string
	personT  float64
	// precision is posemodel.LoadOptions.Precision ("" for the
	// checkpoint's own).
	precision string
}

func defaultSettings() settings {
	return settings{method: pipeline.DarkUDP, flip: true, batch: DefaultBatchSize, device: DeviceCPU, personT: DefaultPersonThreshold}
}

// The devices WithDevice accepts.
const (
	DeviceCPU  = "cpu"  // the CPU (the default)
	DeviceCUDA = "cuda" // an NVIDIA GPU, or Load fails
	DeviceAuto = "auto" // the GPU when one is usable and takes the model, else the CPU
)

// WithDevice chooses where the network runs (cropping, decoding and the
// rest always run on the CPU):
//
//   - "cpu", the default: the pure-Go kernels, GOMAXPROCS threads;
//   - "cuda": the first NVIDIA GPU, through package gpu (the CUDA driver,
//     cuBLAS and NVRTC, loaded at run time). Load fails with an error
//     naming why when there is none, when the libraries are missing, when
//     the program was built without cgo, or when the weights do not fit in
//     its memory (activations that do not fit make Estimate fail);
//   - "auto": the GPU when "cuda" would work, else the CPU.
//
// Estimator.Device says which was chosen and, on the CPU, why. The case of
// the name does not matter.
//
// On a GPU the weights are uploaded once and the host copy dropped; the
// estimator holds device memory until Close. Its heatmaps agree with the
// CPU's to float32 rounding (the tests allow 1e-4 of their range; IEEE
// float32 products, no TF32), not bit for bit, so keypoints can differ in
// the last digits;
// they are bit-identical from run to run on the same GPU model and library
// versions, but may change with the batch size (cuBLAS picks its algorithm
// by shape). Concurrent calls share the GPU: their network passes run one
// at a time, while their cropping and decoding overlap (see the package
// documentation). Larger batches (WithBatchSize 32 or more) keep a GPU
// busy.
func WithDevice(choice string) Option {
	return func(s *settings) error {
		switch c := strings.ToLower(choice); c {
		case DeviceCPU, DeviceCUDA, DeviceAuto:
			s.device = c
			return nil
		}
		return fmt.Errorf("WithDevice: unknown device %q (want cpu, cuda or auto)", choice)
	}
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
// pass of the weights through the cache. On the CPU the results are the
// same bits for every batch size: the network computes each crop's rows
// independently (on a GPU see WithDevice).
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

// WithDataset chooses the expert of a ViTPose+ backbone (Hugging Face's
// dataset_index: 0, the default, is COCO; the others are the datasets the
// model was trained on, in its training order, e.g. AIC, MPII, AP-10K,
// APT-36K and COCO-WholeBody for usyd-community/vitpose-plus-*). Load
// refuses an index outside the model's experts, and any index but 0 for a
// model without experts.
func WithDataset(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("WithDataset: dataset index %d is negative", n)
		}
		s.dataset = n
		return nil
	}
}

// WithPrecision chooses the arithmetic of the backbone's linear layers:
// "float32", or "int8" (symmetric per-output-channel 7-bit weights,
// quantized at load; per-token 8-bit activations; exact int32 sums;
// LayerNorm, softmax, GELU, the side network and the head stay float32;
// about 0.4x the time of float32 on AVX-512 VNNI and 0.6x on AVX2, see the
// README's "int8" section). Without it the checkpoint decides: int8 for a file written by
// "ladderpose quantize", else float32 (such a file cannot run at
// "float32"). int8 runs on the CPU only: with WithDevice("auto") it stays
// on the CPU (Device says why), with "cuda" Load fails. The case of the name
// does not matter.
func WithPrecision(p string) Option {
	return func(s *settings) error {
		v, err := posemodel.ParsePrecision(p)
		if err != nil {
			return fmt.Errorf("WithPrecision: %w", err)
		}
		if v == "" {
			return fmt.Errorf("WithPrecision: empty precision (want float32 or int8)")
		}
		s.precision = v
		return nil
	}
}

// WithSigmas gives the per-keypoint OKS constants of the model's keypoints,
// which OKS non-maximum suppression uses. COCO's 17 keypoints have theirs
// built in; for another keypoint set without WithSigmas the suppression
// uses COCO's mean sigma for every keypoint, and Estimator.Warnings says
// so. Load refuses a list whose length is not the model's keypoint count,
// or a sigma that is not positive and finite.
func WithSigmas(sigmas []float64) Option {
	return func(s *settings) error {
		for i, v := range sigmas {
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("WithSigmas: sigma %d is %v, want a positive finite number", i, v)
			}
		}
		s.sigmas = append([]float64(nil), sigmas...)
		return nil
	}
}

// DefaultPersonThreshold is the detector score a person box must exceed
// unless WithPersonThreshold says otherwise: 0.3, as in Hugging Face's
// VitPose documentation (RT-DETR's post_process_object_detection with
// threshold 0.3).
const DefaultPersonThreshold = 0.3

// WithDetector loads an RT-DETR person detector (a Hugging Face
// RTDetrForObjectDetection folder: model.safetensors and config.json, e.g.
// PekingU/rtdetr_r50vd_coco_o365; see package detect) so that Estimate
// finds the people itself when it is given no boxes: every box labelled
// "person" scoring above the person threshold is estimated, with the
// detector's score as the box score. Without a detector a request without
// boxes is one whole-image box. The detector runs on the CPU.
func WithDetector(path string) Option {
	return func(s *settings) error {
		if path == "" {
			return errors.New("WithDetector: empty path")
		}
		s.detector = path
		return nil
	}
}

// WithPersonThreshold sets the detector score a person box must exceed
// (DefaultPersonThreshold if not given), a number in [0, 1).
func WithPersonThreshold(t float64) Option {
	return func(s *settings) error {
		if !(t >= 0 && t < 1) {
			return fmt.Errorf("WithPersonThreshold: %v is not in [0, 1)", t)
		}
		s.personT = t
		return nil
	}
}
