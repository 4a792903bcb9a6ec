package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/internal/sample"
)

// The bundled models are built into the command (package internal/sample),
// so that its defaults work from any folder.
const (
	// bundledDemoName names the default model of predict in messages.
	bundledDemoName = "the bundled demo model"
	// bundledPretrainedFile is where demo -quick writes the bundled
	// pretrained model in its working folder, for train.Demo to read.
	bundledPretrainedFile = "bundled_pretrained.safetensors"
)

// loadEstimator loads the checkpoint at path, or the bundled demo model
// when path is "".
func loadEstimator(path string, opts ...ladderpose.Option) (*ladderpose.Estimator, error) {
	if path == "" {
		return ladderpose.LoadBytes(bundledDemoName, sample.Demo(), opts...)
	}
	return ladderpose.Load(path, opts...)
}

// demoBackbone returns the pretrained model the demo starts from: backbone
// if given; for a quick run without one, the bundled pretrained model,
// written into the working folder out (kept if it is already there); else
// "" (the demo pretrains).
func demoBackbone(quick bool, backbone, out string, stderr io.Writer) (string, error) {
	if backbone != "" || !quick {
		return backbone, nil
	}
	path := filepath.Join(out, bundledPretrainedFile)
	data := sample.DemoPretrained()
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, data) {
		if err := writeFileAtomic(path, data); err != nil {
			return "", fmt.Errorf("writing the bundled pretrained model: %w", err)
		}
	}
	fmt.Fprintf(stderr, "quick run: starting from the bundled pretrained model (%s)\n", path)
	return path, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder (created if need be) renamed over it.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// openEstimator loads the estimator of predict and video (the bundled demo
// model when weightsPath is empty) with opts plus those of the optional
// flags that are set, and says on stderr where it runs and what it had to
// change (Estimator.Warnings), each line prefixed with the command's name.
func openEstimator(cmd, weightsPath, side string, prec precisionChoice, detector string, personThr float64, stderr io.Writer, opts ...ladderpose.Option) (*ladderpose.Estimator, error) {
	if side != "" {
		opts = append(opts, ladderpose.WithSide(side))
	}
	if prec != "" {
		opts = append(opts, ladderpose.WithPrecision(string(prec)))
	}
	if detector != "" {
		opts = append(opts, ladderpose.WithDetector(detector), ladderpose.WithPersonThreshold(personThr))
	}
	est, err := loadEstimator(weightsPath, opts...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, "ladderpose: device: "+est.Device())
	for _, w := range est.Warnings() {
		fmt.Fprintln(stderr, cmd+": warning: "+w)
	}
	return est, nil
}
