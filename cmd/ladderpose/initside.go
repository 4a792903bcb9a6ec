package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/weights"
)

func init() {
	register(&command{
		name:    "init-side",
		summary: "write a freshly initialised ladder side network for a backbone",
		run:     runInitSide,
	})
}

const initSideUsage = `usage: ladderpose init-side -backbone W.safetensors -out side.safetensors [flags]

Writes a new ladder side network (every side.* tensor, BatchNorm running
statistics included) for the backbone of checkpoint W, initialised
deterministically from -seed: convolutions and linear layers as PyTorch's
default, BatchNorm in its initial state, the ladder gates 0, MGA's alpha
and beta 1/3 and the output projection 0, so that W with the new side
network (predict/forward -weights W -side side.safetensors) gives exactly
W's heatmaps until the side network is trained. The full model config
(backbone and side sizes) goes into the "ladderpose.config" metadata.

flags:`

// runInitSide implements "ladderpose init-side".
func runInitSide(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init-side", stderr)
	backbone := fs.String("backbone", "", "checkpoint `file` (or folder) with the ViTPose backbone and head")
	out := fs.String("out", "", "side network safetensors `file` to write")
	channels := fs.Int("channels", posemodel.DefaultSide.Channels, "side channels C")
	width := fs.Int("fusion-width", 0, "fusion width e (default: channels/2)")
	heads := fs.Int("fusion-heads", posemodel.DefaultSide.FusionHeads, "fusion attention heads")
	nodes := fs.Int("nodes", posemodel.DefaultSide.Nodes, "graph nodes V")
	seed := fs.Uint64("seed", 1, "initialisation seed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, initSideUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *backbone == "" || *out == "" {
		return fmt.Errorf("%w: need -backbone and -out", errUsage)
	}
	side := posemodel.SideConfig{Channels: *channels, FusionWidth: *width, FusionHeads: *heads, Nodes: *nodes}
	if side.FusionWidth == 0 {
		side.FusionWidth = side.Channels / 2
	}
	m, err := posemodel.Load(*backbone, posemodel.LoadOptions{InferenceOnly: true})
	if err != nil {
		return err
	}
	cfg := m.Cfg
	cfg.Side = &side
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := m.InitSide(&side, *seed); err != nil {
		return err
	}
	var ts []weights.Tensor
	n := 0
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "side.") {
			ts = append(ts, weights.Tensor{Name: p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Data})
			n += p.Len()
		}
	}
	if err := weights.Write(*out, ts, map[string]string{posemodel.MetadataKey: m.Cfg.JSON()}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: side network C=%d e=%d heads=%d nodes=%d, %d tensors, %d values (seed %d)\n",
		*out, side.Channels, side.FusionWidth, side.FusionHeads, side.Nodes, len(ts), n, *seed)
	return nil
}
