package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

func init() {
	register(&command{
		name:    "forward",
		summary: "run the network on a tensor of crops (safetensors in and out)",
		run:     runForward,
	})
}

const forwardUsage = `usage: ladderpose forward -weights W -input IN.safetensors -output OUT.safetensors [flags]

Runs the network alone, without cropping or decoding: reads the tensor
"image" [B, 3, H, W] (normalised crops, NCHW; 256x192 for standard models)
from IN and writes "heatmaps" [B, K, H/4, W/4] and "backbone" (the last
LayerNorm's tokens, [B, N, D]) to OUT, plus the intermediate tensors named
by -dump: for a model with a side network f_vit [B, N, D], f_fre, f_spa,
f_fv, f_sv, f_fus [B, N, C], and level_fre, level_spa (the fusion levels
1..4), sim_fre, sim_spa (the similarities that chose them) as float32 [B].
"-dump all" dumps every one. OUT is written atomically, as F32, with the
model's config in the "ladderpose.config" metadata.

-device says where the network runs (one line on stderr says which): on
the CPU (GOMAXPROCS threads) the output is bit-identical for any number of
threads; on a GPU it agrees with the CPU's to float32 rounding and is
bit-identical from run to run on the same GPU and libraries. -precision
int8 runs the backbone's linear layers as int8 GEMMs (CPU only; also
bit-identical for any number of threads).

An RT-DETR detector folder (config.json with model_type "rt_detr") runs the
detector instead: IN holds "pixel_values" [B, 3, H, W] (already resized and
rescaled to [0, 1], H and W multiples of 32), OUT gets "logits" [B, Q, C]
and "pred_boxes" [B, Q, 4] (normalised cx, cy, w, h), and -dump names the
backbone's, encoder's and decoder's intermediates (backbone_feature0..2,
encoder_aifi_out, encoder_level0..2, enc_topk_*, init_reference_points,
intermediate_logits, intermediate_reference_points,
decoder_last_hidden_state; "all" for every one), with Hugging Face's names.
The detector runs on the CPU.

flags:`

// runForward implements "ladderpose forward".
func runForward(args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("forward", stderr)
	weightsPath := fs.String("weights", "", "checkpoint `file` (safetensors) or folder (model.safetensors + config.json)")
	side := fs.String("side", "", "side network safetensors `file`")
	input := fs.String("input", "", "input safetensors `file` holding \"image\" [B, 3, H, W]")
	output := fs.String("output", "", "output safetensors `file`")
	dump := fs.String("dump", "", "comma-separated intermediate tensors to write as well, or \"all\"")
	batch := fs.Int("batch", 0, "run at most this many images at once (0: the whole input)")
	dataset := fs.Int("dataset", 0, "the ViTPose+ expert to use: Hugging Face's dataset_index (0: COCO)")
	dev := addDeviceFlag(fs)
	prec := addPrecisionFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, forwardUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *weightsPath == "" || *input == "" || *output == "" {
		return fmt.Errorf("%w: need -weights, -input and -output", errUsage)
	}
	if *batch < 0 {
		return fmt.Errorf("%w: -batch %d must not be negative", errUsage, *batch)
	}
	if isDetector(*weightsPath) {
		if *side != "" || *dataset != 0 || *prec != "" {
			return fmt.Errorf("%w: -side, -dataset and -precision are for pose models, and %s is an RT-DETR detector", errUsage, *weightsPath)
		}
		return forwardDetector(*weightsPath, *input, *output, *dump, stderr)
	}
	m, net, err := loadNet(*dev, stderr, func(inferenceOnly bool) (*posemodel.Model, error) {
		return posemodel.Load(*weightsPath, posemodel.LoadOptions{SidePath: *side, InferenceOnly: inferenceOnly, Precision: string(*prec)})
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, net.Close()) }()
	if err := net.SetDataset(*dataset); err != nil {
		return err
	}
	avail := m.IntermediateNames()
	names := []string{"backbone"}
	for _, n := range strings.Split(*dump, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == "all":
			names = append(names, avail...)
		case !slices.Contains(avail, n):
			hint := ""
			if !m.HasSide() {
				hint = " (the model has no side network)"
			}
			return fmt.Errorf("%w: -dump %q: this model has %s%s", errUsage, n, strings.Join(avail, ", "), hint)
		default:
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)

	img, shape, err := readInput(*input, m.Cfg)
	if err != nil {
		return err
	}
	b := shape[0]
	step := b
	if *batch > 0 {
		step = min(*batch, b)
	}
	per := 3 * shape[2] * shape[3]
	if err := net.Keep(names...); err != nil {
		return err
	}
	outs := map[string]*weights.Tensor{}
	order := append([]string{"heatmaps"}, names...)
	for s := 0; s < b; s += step {
		n := min(step, b-s)
		hm, err := net.Forward(tensor.FromSlice(img[s*per:(s+n)*per], n, 3, shape[2], shape[3]))
		if err != nil {
			return err
		}
		for _, name := range order {
			t := hm
			if name != "heatmaps" {
				var ok bool
				if t, ok = net.Intermediate(name); !ok {
					return fmt.Errorf("the model kept no intermediate %q", name)
				}
			}
			o := outs[name]
			if o == nil {
				sh := t.Shape()
				sh[0] = b
				o = &weights.Tensor{Name: name, DType: weights.F32, Shape: sh, Data: make([]float32, 0, t.Len()/n*b)}
				outs[name] = o
			}
			o.Data = append(o.Data, t.Contiguous().Data()...)
		}
	}
	ts := make([]weights.Tensor, 0, len(outs))
	for _, name := range order {
		ts = append(ts, *outs[name])
	}
	if err := weights.Write(*output, ts, map[string]string{posemodel.MetadataKey: m.Cfg.JSON()}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s for %d images\n", *output, strings.Join(order, ", "), b)
	return nil
}

// readInput reads the "image" tensor of an input file and checks its shape
// against the model's input size.
func readInput(path string, cfg posemodel.Config) ([]float32, []int, error) {
	f, err := weights.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	const name = "image"
	want := fmt.Sprintf("[B, 3, %d, %d]", cfg.Input[0], cfg.Input[1])
	if !f.Has(name) {
		have := f.Names()
		if len(have) > 8 {
			have = append(have[:8], "...")
		}
		return nil, nil, fmt.Errorf("input %s: no tensor %q %s (the file holds %q)", path, name, want, have)
	}
	v, shape, err := f.Float32(name)
	if err != nil {
		return nil, nil, err
	}
	if len(shape) != 4 || shape[0] < 1 || shape[1] != 3 || shape[2] != cfg.Input[0] || shape[3] != cfg.Input[1] {
		return nil, nil, fmt.Errorf("input %s: tensor %q has shape %v, want %s", path, name, shape, want)
	}
	return append([]float32(nil), v...), shape, nil
}
