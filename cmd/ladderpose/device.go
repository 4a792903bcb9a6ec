package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// The -device flag, shared by the commands that run the network (predict
// through the Go API's WithDevice; forward and bench through loadNet):
//
//	dev := addDeviceFlag(fs) // before parseFlags
//	...
//	m, net, err := loadNet(*dev, stderr, func(inferenceOnly bool) (*posemodel.Model, error) {
//		return posemodel.Load(path, posemodel.LoadOptions{InferenceOnly: inferenceOnly})
//	})
//	if err != nil { return err }
//	defer net.Close()
//	hm, err := net.Forward(images)
//
// The device is chosen before the model is loaded: inference-only (one
// copy of the weights) for the CPU, with every weight's host values for a
// GPU, which gpumodel.New uploads. loadNet writes one line to stderr saying
// where the network runs. Training (train, grad, demo) runs on the CPU
// only and has no -device.

func init() {
	register(&command{
		name:    "device",
		summary: "say where the network would run (GPU or CPU) and why",
		run:     runDevice,
	})
}

// deviceChoice is the value of -device: auto, cpu or cuda.
type deviceChoice string

func (c *deviceChoice) String() string { return string(*c) }

// Set accepts auto, cpu and cuda (any case).
func (c *deviceChoice) Set(s string) error {
	switch v := strings.ToLower(s); v {
	case gpu.ChoiceAuto, gpu.ChoiceCPU, gpu.ChoiceCUDA:
		*c = deviceChoice(v)
		return nil
	}
	return fmt.Errorf("unknown device %q (want auto, cpu or cuda)", s)
}

// addDeviceFlag registers -device on fs, default auto.
func addDeviceFlag(fs *flag.FlagSet) *deviceChoice {
	c := deviceChoice(gpu.ChoiceAuto)
	fs.Var(&c, "device", "where the network runs: `auto` (the GPU when one is usable, else the CPU), cpu or cuda (the GPU or an error)")
	return &c
}

// selectDevice opens the chosen device: a GPU, or nil for the CPU. It
// writes one line to stderr saying which and, when auto falls back to the
// CPU, why. "cuda" without a usable GPU is an error.
func selectDevice(c deviceChoice, stderr io.Writer) (*gpu.Device, error) {
	d, line, err := gpu.Select(string(c), gpu.Options{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, "ladderpose: "+line)
	return d, nil
}

// network runs a model's forward pass on the chosen device.
type network interface {
	// Forward maps images [B, 3, H, W] to heatmaps [B, K, H/4, W/4]. The
	// result may alias the network's memory until its next Forward.
	Forward(images tensor.Tensor) (tensor.Tensor, error)
	// Keep makes the following passes keep the named intermediate tensors
	// (posemodel.Model.IntermediateNames) for Intermediate.
	Keep(names ...string) error
	// Intermediate returns a kept tensor of the last pass.
	Intermediate(name string) (tensor.Tensor, bool)
	// SetDataset chooses a ViTPose+ backbone's expert for the following
	// passes (0: COCO); an index the model does not have is an error.
	SetDataset(i int) error
	// SetStageTimer reports each stage's time of the following passes
	// (nil: none); on a GPU it synchronises the device at every stage.
	SetStageTimer(fn func(stage string, d time.Duration))
	// Device says where the network runs: "cpu" or "gpu: " and the GPU.
	Device() string
	// Close releases the device.
	Close() error
}

// loadNet selects the device for c, loads the model with load
// (inference-only exactly when it runs on the CPU) and returns it with the
// network on that device (devnet.Load: "auto" also falls back to the CPU
// when the GPU cannot take the model). It writes one line to stderr saying
// where the network runs and why. On a GPU the model returned is the host
// copy the GPU was built from, for its Cfg and names.
func loadNet(c deviceChoice, stderr io.Writer, load devnet.LoadFunc) (*posemodel.Model, network, error) {
	return placeNet(stderr, func(l devnet.LoadFunc) (*devnet.Net, error) {
		return devnet.Load(string(c), gpu.Options{}, l)
	}, load)
}

// placeNet is loadNet with the device placement given (tests place the
// network on an emulated GPU).
func placeNet(stderr io.Writer, place func(devnet.LoadFunc) (*devnet.Net, error), load devnet.LoadFunc) (*posemodel.Model, network, error) {
	n, err := place(load)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(stderr, "ladderpose: "+n.Line)
	if n.OnGPU() {
		return n.Model, &gpuNet{n: n}, nil
	}
	return n.Model, &cpuNet{m: n.Model, ws: posemodel.NewWorkspace()}, nil
}

// openNet is loadNet for a model already in memory (it needs its host
// values to go on a GPU).
func openNet(m *posemodel.Model, c deviceChoice, stderr io.Writer) (network, error) {
	_, net, err := loadNet(c, stderr, func(bool) (*posemodel.Model, error) { return m, nil })
	return net, err
}

type cpuNet struct {
	m  *posemodel.Model
	ws *posemodel.Workspace
}

func (n *cpuNet) Forward(images tensor.Tensor) (tensor.Tensor, error) {
	return n.m.Forward(n.ws, images)
}

func (n *cpuNet) Keep(names ...string) error {
	have := n.m.IntermediateNames()
	for _, name := range names {
		if !slices.Contains(have, name) {
			return fmt.Errorf("no intermediate %q (this model has %v)", name, have)
		}
	}
	n.ws.Keep(names...)
	return nil
}

func (n *cpuNet) Intermediate(name string) (tensor.Tensor, bool) { return n.ws.Intermediate(name) }

func (n *cpuNet) SetDataset(i int) error {
	if err := n.m.CheckDataset(i); err != nil {
		return fmt.Errorf("%w: -dataset: %w", errUsage, err)
	}
	n.ws.SetDataset(i)
	return nil
}

// SetDataset accepts only 0: ViTPose+ backbones do not go on a GPU
// (gpumodel.New refuses them).
func (g *gpuNet) SetDataset(i int) error {
	if i != 0 {
		return fmt.Errorf("%w: -dataset %d: the backbone has no experts (not a ViTPose+ model), only 0 is allowed", errUsage, i)
	}
	return nil
}

func (n *cpuNet) SetStageTimer(fn func(string, time.Duration)) { n.ws.SetStageTimer(fn) }
func (n *cpuNet) Device() string                               { return "cpu" }
func (n *cpuNet) Close() error                                 { return nil }

type gpuNet struct{ n *devnet.Net }

func (g *gpuNet) Forward(images tensor.Tensor) (tensor.Tensor, error) { return g.n.GPU.Forward(images) }
func (g *gpuNet) Keep(names ...string) error                          { return g.n.GPU.Keep(names...) }
func (g *gpuNet) Intermediate(name string) (tensor.Tensor, bool)      { return g.n.GPU.Intermediate(name) }
func (g *gpuNet) SetStageTimer(fn func(string, time.Duration))        { g.n.GPU.SetStageTimer(fn) }
func (g *gpuNet) Device() string                                      { return "gpu: " + g.n.GPU.Device().Info().String() }
func (g *gpuNet) Close() error                                        { return g.n.Close() }

// runDevice implements "ladderpose device": it resolves -device as the
// other commands do and prints the line they log.
func runDevice(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("device", stderr)
	dev := addDeviceFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ladderpose device [-device auto|cpu|cuda]\n\n"+
			"Opens the device the network would run on, as the commands with -device do, and\n"+
			"prints the line they log: the GPU (name, compute capability, memory, driver and\n"+
			"library versions) or the CPU and why no GPU is usable.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	d, err := selectDevice(*dev, stdout)
	if err != nil {
		return err
	}
	if d != nil {
		return d.Close()
	}
	return nil
}
