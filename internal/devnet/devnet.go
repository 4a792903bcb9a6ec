// Package devnet puts a ladderpose network on the device a user chose
// ("auto", "cpu" or "cuda", resolved by gpu.Select), for the Go API and the
// commands. It selects the device before the model is loaded, because the
// two devices want the weights in different forms: on the CPU the model is
// loaded inference-only (posemodel.LoadOptions.InferenceOnly: the backbone's
// linear weights only packed for the kernels, one copy of the weights in
// memory), while gpumodel.New needs every weight's host values to upload.
package devnet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/posemodel"
)

// LoadFunc loads (or builds) the model; inferenceOnly says whether it may
// be loaded inference-only (true exactly when it will run on the CPU).
type LoadFunc func(inferenceOnly bool) (*posemodel.Model, error)

// Net is a loaded network on its device.
type Net struct {
	// Model is the loaded model: on the CPU, the network itself; on a GPU,
	// the host copy of the weights that GPU was built from (its Cfg and
	// HasSide still describe the network; the caller may drop it).
	Model *posemodel.Model
	// GPU is the network on the GPU, nil on the CPU.
	GPU *gpumodel.Model
	// Line says where the network runs, and on the CPU why, for the log:
	// "device: CPU (as asked)", "device: CPU (no usable GPU: REASON)",
	// "device: GPU cuda 0: NAME (...)" or, when "auto" found a GPU that
	// could not take the model, "device: CPU (GPU cuda 0: NAME cannot take
	// the model: ERROR)".
	Line string

	dev *gpu.Device
}

// Load selects the device for choice (gpu.Select with opts), loads the
// model with load and puts it on the device (see Place). "cuda" without a
// usable GPU and an unknown choice are errors; "auto" (or "") falls back to
// the CPU.
func Load(choice string, opts gpu.Options, load LoadFunc) (*Net, error) {
	dev, line, err := gpu.Select(choice, opts)
	if err != nil {
		return nil, fmt.Errorf("device %q: %w", choice, err)
	}
	c := strings.ToLower(choice)
	return Place(dev, line, c == gpu.ChoiceAuto || c == "", load)
}

// Place loads the model with load, inference-only when dev is nil, and puts
// it on dev (nil: the CPU); line is gpu.Select's line for dev. Place owns
// dev: it is closed on failure, else by Net.Close. When gpumodel.New fails
// on dev (too little device memory for the weights, a kernel that does not
// compile, ...), the result is that error, or with fallBack the model
// reloaded inference-only on the CPU, with the reason in Line.
func Place(dev *gpu.Device, line string, fallBack bool, load LoadFunc) (*Net, error) {
	m, err := load(dev == nil)
	if err != nil {
		if dev != nil {
			err = errors.Join(err, dev.Close())
		}
		return nil, err
	}
	if dev == nil {
		return &Net{Model: m, Line: line}, nil
	}
	g, err := gpumodel.New(m, gpumodel.Options{Device: dev})
	if err == nil {
		return &Net{Model: m, GPU: g, Line: line, dev: dev}, nil
	}
	info := dev.Info().String()
	if cerr := dev.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if !fallBack {
		return nil, fmt.Errorf("%s: %w", info, err)
	}
	// Reload for the CPU: the model loaded for the GPU holds its weights
	// twice (host values and the CPU kernels' packed copy).
	cpu, lerr := load(true)
	if lerr != nil {
		return nil, lerr
	}
	return &Net{Model: cpu, Line: fmt.Sprintf("device: CPU (GPU %s cannot take the model: %v)", info, err)}, nil
}

// OnGPU reports whether the network runs on a GPU.
func (n *Net) OnGPU() bool { return n.GPU != nil }

// Close releases the GPU network and its device; on the CPU it does
// nothing. Calling it again does nothing.
func (n *Net) Close() error {
	if n.GPU == nil {
		return nil
	}
	err := n.GPU.Close()
	if n.dev != nil {
		err = errors.Join(err, n.dev.Close())
	}
	return err
}
