package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// The -device flag, shared by the commands that run the network:
//
//	dev := addDeviceFlag(fs)           // before parseFlags
//	...
//	net, err := openNet(m, *dev, stderr) // after loading the model
//	if err != nil { return err }
//	defer net.Close()
//	hm, err := net.Forward(images)
//
// openNet writes one line to stderr saying where the network runs.

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
	// Device says where the network runs.
	Device() string
	// Close releases the device.
	Close() error
}

// openNet selects the device (see selectDevice) and returns the network m
// on it.
func openNet(m *posemodel.Model, c deviceChoice, stderr io.Writer) (network, error) {
	d, err := selectDevice(c, stderr)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return &cpuNet{m: m, ws: posemodel.NewWorkspace()}, nil
	}
	g, err := gpumodel.New(m, gpumodel.Options{Device: d})
	if err != nil {
		d.Close()
		return nil, err
	}
	return &gpuNet{g: g, d: d}, nil
}

type cpuNet struct {
	m  *posemodel.Model
	ws *posemodel.Workspace
}

func (n *cpuNet) Forward(images tensor.Tensor) (tensor.Tensor, error) {
	return n.m.Forward(n.ws, images)
}
func (n *cpuNet) Device() string { return "cpu" }
func (n *cpuNet) Close() error   { return nil }

type gpuNet struct {
	g *gpumodel.Model
	d *gpu.Device
}

func (n *gpuNet) Forward(images tensor.Tensor) (tensor.Tensor, error) { return n.g.Forward(images) }
func (n *gpuNet) Device() string                                      { return "gpu: " + n.d.Info().String() }
func (n *gpuNet) Close() error                                        { return errors.Join(n.g.Close(), n.d.Close()) }

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
