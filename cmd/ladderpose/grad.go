package main

import (
	"fmt"
	"io"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/weights"
)

func init() {
	register(&command{
		name:    "grad",
		summary: "one training step's loss and gradients (safetensors in and out)",
		run:     runGrad,
	})
}

const gradUsage = `usage: ladderpose grad -weights W -input IN.safetensors -targets T.safetensors -output OUT.safetensors [flags]

Runs one training-mode forward (BatchNorm on the batch's statistics) and the
backward pass of the joint loss of SPEC.md section 8 on the batch "image"
[B, 3, H, W] of IN with the keypoints "keypoints" [B, 17, 3] of T (crop
pixels x, y and the COCO visibility), and writes "loss", "loss_k", "loss_s"
(shape [1]) and "grad.<name>" for every trainable tensor to OUT: all side.*
and keypoint_head.* weights (only keypoint_head.* for a model without a side
network; every tensor with -full), not the BatchNorm running statistics.
The backbone runs frozen, in inference mode, unless -full. OUT is written
atomically.

flags:`

// runGrad implements "ladderpose grad".
func runGrad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grad", stderr)
	weightsPath := fs.String("weights", "", "checkpoint `file` (safetensors) or folder")
	side := fs.String("side", "", "side network safetensors `file`")
	input := fs.String("input", "", "safetensors `file` holding \"image\" [B, 3, H, W]")
	targets := fs.String("targets", "", "safetensors `file` holding \"keypoints\" [B, 17, 3]")
	output := fs.String("output", "", "output safetensors `file`")
	lambda := fs.Float64("lambda", posemodel.DefaultLambda, "weight of the keypoint loss L_K (1-lambda weighs L_S)")
	full := fs.Bool("full", false, "differentiate every parameter, the backbone included (full fine-tuning)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, gradUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *weightsPath == "" || *input == "" || *targets == "" || *output == "" {
		return fmt.Errorf("%w: need -weights, -input, -targets and -output", errUsage)
	}
	if !(*lambda >= 0 && *lambda <= 1) {
		return fmt.Errorf("%w: -lambda %v must be in [0, 1]", errUsage, *lambda)
	}
	m, err := posemodel.Load(*weightsPath, posemodel.LoadOptions{SidePath: *side})
	if err != nil {
		return err
	}
	img, shape, err := readInput(*input, m.Cfg)
	if err != nil {
		return err
	}
	b := shape[0]
	kp, err := readKeypoints(*targets, b, m.Cfg.Keypoints)
	if err != nil {
		return err
	}
	mode := posemodel.SideTuning
	if *full {
		mode = posemodel.FullTuning
	} else if !m.HasSide() {
		mode = posemodel.HeadOnly
	}
	opt := posemodel.TrainOptions{Mode: mode, UseSide: m.HasSide()}
	m.EnableGrads(opt)
	tp := nn.NewTape(true)
	hm, err := m.TrainForward(tp, posemodel.NewWorkspace(), img, b, opt)
	if err != nil {
		return err
	}
	loss, parts, err := posemodel.JointLoss(tp, hm, kp, *lambda, m.Cfg.Input[0], m.Cfg.Input[1])
	if err != nil {
		return err
	}
	if err := tp.Backward(loss); err != nil {
		return err
	}
	ts := []weights.Tensor{
		{Name: "loss", DType: weights.F32, Shape: []int{1}, Data: []float32{float32(parts.Loss)}},
		{Name: "loss_k", DType: weights.F32, Shape: []int{1}, Data: []float32{float32(parts.Keypoint)}},
		{Name: "loss_s", DType: weights.F32, Shape: []int{1}, Data: []float32{float32(parts.Skeleton)}},
	}
	n := 0
	for _, p := range m.Params() {
		if p.Grad == nil {
			continue
		}
		ts = append(ts, weights.Tensor{Name: "grad." + p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Grad})
		n++
	}
	if err := weights.Write(*output, ts, map[string]string{posemodel.MetadataKey: m.Cfg.JSON()}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loss %.6g (L_K %.6g, L_S %.6g over %d limbs); wrote %d gradients to %s\n",
		parts.Loss, parts.Keypoint, parts.Skeleton, parts.Limbs, n, *output)
	return nil
}

// readKeypoints reads "keypoints" [b, k, 3] from a targets file.
func readKeypoints(path string, b, k int) ([]float32, error) {
	f, err := weights.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const name = "keypoints"
	if !f.Has(name) {
		return nil, fmt.Errorf("targets %s: no tensor %q [%d, %d, 3] (the file holds %q)", path, name, b, k, f.Names())
	}
	v, shape, err := f.Float32(name)
	if err != nil {
		return nil, err
	}
	if len(shape) != 3 || shape[0] != b || shape[1] != k || shape[2] != 3 {
		return nil, fmt.Errorf("targets %s: tensor %q has shape %v, want [%d, %d, 3] (one row per input image)", path, name, shape, b, k)
	}
	return append([]float32(nil), v...), nil
}
