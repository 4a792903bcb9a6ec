package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/ladderpose/ladderpose/train"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "the paper's ablation at small scale on synthetic high-interference data",
		run:     runDemo,
	})
}

const demoUsage = `usage: ladderpose demo [-quick] [-out DIR] [flags]

Generates a clean and a high-interference synthetic dataset, pretrains a
small ViTPose-style model on the clean one (full training), freezes it, then
side-tunes each setting of the paper's Table 6 on the interference training
split and evaluates it on the interference validation split: the frozen
baseline (head only), + frequency path, + spatial path, + both by plain
addition, + adaptive symmetric fusion, + multi-graph aggregation (the full
side network). It prints the table and writes ablation.json, ablation.md,
report.json and demo_model.safetensors (the pretrained model with the
trained full side network) in DIR. -lambdas adds Table 2's lambda sweep.
-quick is the CI-sized run: it starts from the bundled pretrained model
(built into the command: what the default run pretrains; written to
DIR/bundled_pretrained.safetensors for the run) unless -backbone names
another; -backbone skips pretraining.

flags:`

// runDemo implements "ladderpose demo".
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	out := fs.String("out", "demo-out", "working `folder`")
	quick := fs.Bool("quick", false, "small datasets and few epochs (about 3 minutes)")
	lambdas := fs.Bool("lambdas", false, "also sweep lambda over 0.1, 0.3, 0.5, 0.7, 0.9")
	backbone := fs.String("backbone", "", "pretrained small model `file` (skips pretraining)")
	seed := fs.Uint64("seed", 1, "seed of the data, initialisation and training")
	minGain := fs.Float64("min-gain", -1, "exit non-zero unless the full side network beats the frozen baseline by more than this AP")
	minTuneGain := fs.Float64("min-tune-gain", -1, "exit non-zero unless the full side network beats the pretrained model without tuning by more than this AP")
	fs.Usage = func() {
		fmt.Fprintln(stderr, demoUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	bb, err := demoBackbone(*quick, *backbone, *out, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := train.Demo(ctx, train.DemoOptions{Out: *out, Quick: *quick, Seed: *seed, Lambdas: *lambdas, Backbone: bb, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, train.AblationTable(rep))
	fmt.Fprintf(stdout, "\ntook %.0fs; wrote %s/ablation.json and %s\n", rep.Seconds, *out, rep.Model)
	if *minGain >= 0 && !(rep.Gain > *minGain) {
		return fmt.Errorf("the full side network gains %.4f AP over the frozen baseline, not more than %g", rep.Gain, *minGain)
	}
	if full := rep.Ablation[len(rep.Ablation)-1].AP; *minTuneGain >= 0 && !(full-rep.ZeroShotAP > *minTuneGain) {
		return fmt.Errorf("the full side network gains %.4f AP over the untuned pretrained model, not more than %g", full-rep.ZeroShotAP, *minTuneGain)
	}
	return nil
}
