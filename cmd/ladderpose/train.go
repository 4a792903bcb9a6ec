package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/synth"
	"github.com/ladderpose/ladderpose/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "side-tune (or fully fine-tune) a model on a COCO-format dataset",
		run:     runTrain,
	})
}

const trainUsage = `usage: ladderpose train -data DIR -weights VIT.safetensors -out RUN/ [flags]

Trains on DIR/train.json with images in DIR/images (the layout "ladderpose
synth" writes; -train, -val and -images name other files) and validates on
DIR/val.json every epoch with COCO keypoint AP. By default it side-tunes: the
backbone stays frozen, a side network (the checkpoint's, -side's, or a fresh
one) and the head are trained with the joint loss of SPEC.md section 8.
-full trains every parameter; -head-only trains the head alone (the frozen
baseline). RUN receives side.safetensors (last) and side_best.safetensors
(best validation AP) or model*.safetensors with -full, state.safetensors to
continue with -resume bit-identically, log.csv and curves.png. Ctrl-C saves
the state and exits; a NaN or infinite loss stops with an error and keeps
the last good checkpoint.

flags:`

// runTrain implements "ladderpose train".
func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	data := fs.String("data", "", "dataset `folder` with train.json, val.json and images/")
	trainAnn := fs.String("train", "", "training annotations `file` (default DATA/train.json)")
	valAnn := fs.String("val", "", "validation annotations `file` (default DATA/val.json; \"none\" to skip)")
	images := fs.String("images", "", "image `folder` (default DATA/images)")
	weightsPath := fs.String("weights", "", "pretrained checkpoint `file` (the frozen backbone)")
	side := fs.String("side", "", "side network `file` to start from (default: the checkpoint's, else a fresh one)")
	out := fs.String("out", "", "run `folder`")
	full := fs.Bool("full", false, "train every parameter (full fine-tuning)")
	headOnly := fs.Bool("head-only", false, "train only the head on the frozen backbone (no side network)")
	variant := fs.String("variant", "full", "side network variant: full, asf, add, freq, spatial (ablations)")
	resume := fs.Bool("resume", false, "continue the run in -out from its state.safetensors")
	epochs := fs.Int("epochs", 20, "epochs")
	batch := fs.Int("batch", 32, "batch size")
	lr := fs.Float64("lr", 5e-4, "AdamW learning rate")
	wd := fs.Float64("wd", 1e-4, "AdamW weight decay (weights only)")
	lambda := fs.Float64("lambda", posemodel.DefaultLambda, "loss weight of L_K (1-lambda weighs L_S)")
	warmup := fs.Int("warmup", 100, "linear warm-up steps")
	steps := fs.String("step-decay", "", "comma-separated epochs at which the rate drops 10x (default: cosine decay)")
	clip := fs.Float64("clip", 5, "gradient-norm clipping (0: none)")
	seed := fs.Uint64("seed", 1, "seed of the data order, augmentation and a fresh side network")
	aug := fs.Bool("augment", true, "flip, scale, rotation, half-body and colour augmentation")
	interf := fs.String("interference", "none", "training-time interference augmentation: none, mixed, heavy")
	channels := fs.Int("channels", posemodel.DefaultSide.Channels, "channels of a fresh side network")
	workers := fs.Int("workers", 0, "data loading goroutines (0: GOMAXPROCS)")
	noFlip := fs.Bool("no-flip", false, "validate without the flip test")
	fs.Usage = func() {
		fmt.Fprintln(stderr, trainUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *weightsPath == "" || *out == "" || (*data == "" && (*trainAnn == "" || *images == "")) {
		return fmt.Errorf("%w: need -weights, -out and -data (or -train and -images)", errUsage)
	}
	if *full && *headOnly {
		return fmt.Errorf("%w: -full and -head-only exclude each other", errUsage)
	}
	v, err := parseVariant(*variant)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	level, err := synth.ParseLevel(*interf)
	if err != nil {
		return fmt.Errorf("%w: -interference: %v", errUsage, err)
	}
	o := train.Options{Out: *out, Epochs: *epochs, Batch: *batch, LR: *lr, WeightDecay: *wd, Lambda: *lambda,
		Warmup: *warmup, ClipNorm: *clip, Seed: *seed, Workers: *workers, Resume: *resume, Flip: !*noFlip, Progress: stderr}
	o.TrainAnn, o.ValAnn, o.ImageDir = *trainAnn, *valAnn, *images
	if *data != "" {
		if o.TrainAnn == "" {
			o.TrainAnn = filepath.Join(*data, "train.json")
		}
		if o.ValAnn == "" {
			o.ValAnn = filepath.Join(*data, "val.json")
		}
		if o.ImageDir == "" {
			o.ImageDir = filepath.Join(*data, "images")
		}
	}
	if o.ValAnn == "none" {
		o.ValAnn = ""
	}
	if *steps != "" {
		for _, s := range strings.Split(*steps, ",") {
			var e int
			if _, err := fmt.Sscan(strings.TrimSpace(s), &e); err != nil || e < 1 {
				return fmt.Errorf("%w: -step-decay %q: want positive epochs", errUsage, *steps)
			}
			o.StepDecay = append(o.StepDecay, e)
		}
	}
	if *aug {
		o.Augment = train.DefaultAugment()
	} else {
		o.Augment = train.NoAugment()
	}
	o.Augment.Interference = level
	m, err := posemodel.Load(*weightsPath, posemodel.LoadOptions{SidePath: *side})
	if err != nil {
		return err
	}
	switch {
	case *headOnly:
		o.Train = posemodel.TrainOptions{Mode: posemodel.HeadOnly}
	case *full:
		o.Train = posemodel.TrainOptions{Mode: posemodel.FullTuning, UseSide: m.HasSide(), Variant: v}
	default:
		if !m.HasSide() {
			sc := posemodel.DefaultSide
			sc.Channels, sc.FusionWidth = *channels, *channels/2
			if err := m.InitSide(&sc, *seed); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "side network: fresh, %d channels (seed %d)\n", *channels, *seed)
		}
		o.Train = posemodel.TrainOptions{Mode: posemodel.SideTuning, UseSide: true, Variant: v}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := train.Train(ctx, m, o)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(stderr, "\n%v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	last, best := train.CheckpointNames(o.Train.Mode)
	fmt.Fprintf(stdout, "trained %d parameters for %d epochs in %.0fs; best validation AP %.4f (epoch %d)\n%s (last), %s (best)\n",
		res.TrainableParams, len(res.Epochs), res.TrainSeconds, res.BestAP, res.BestEpoch,
		filepath.Join(*out, last), filepath.Join(*out, best))
	return nil
}

func parseVariant(s string) (posemodel.Variant, error) {
	switch s {
	case "full", "mga":
		return posemodel.VariantFull, nil
	case "asf":
		return posemodel.VariantASF, nil
	case "add":
		return posemodel.VariantAdd, nil
	case "freq", "frequency":
		return posemodel.VariantFreq, nil
	case "spatial", "aspp":
		return posemodel.VariantSpatial, nil
	}
	return 0, fmt.Errorf("unknown variant %q (want full, asf, add, freq or spatial)", s)
}
