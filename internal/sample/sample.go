// Package sample holds the bundled models, embedded in the binaries that use
// them, so that "ladderpose predict" and "ladderpose demo -quick" work from
// any folder (testdata/sample/README.md says what each model is).
//
// The models are embedded as strings: the linker keeps only those a program
// calls for, so a binary that uses none of them carries none of their
// bytes. Each function returns a fresh copy that belongs to the caller.
package sample

import _ "embed" // the models below

// The file names of the bundled models, in this package's folder.
const (
	// SampleFile is a tiny random-weight ViTPose (width 48, depth 4, F16).
	SampleFile = "vitpose_sample.safetensors"
	// DemoFile is the demo's small ViTPose-style model with its side
	// network tuned on the high-interference set: predict's default.
	DemoFile = "demo_model.safetensors"
	// DemoPretrainedFile is that model before side-tuning (no side
	// network): where "demo -quick" starts.
	DemoPretrainedFile = "demo_pretrained.safetensors"
)

var (
	//go:embed vitpose_sample.safetensors
	sampleData string
	//go:embed demo_model.safetensors
	demoData string
	//go:embed demo_pretrained.safetensors
	demoPretrainedData string
)

// Sample returns the safetensors bytes of SampleFile.
func Sample() []byte { return []byte(sampleData) }

// Demo returns the safetensors bytes of DemoFile.
func Demo() []byte { return []byte(demoData) }

// DemoPretrained returns the safetensors bytes of DemoPretrainedFile.
func DemoPretrained() []byte { return []byte(demoPretrainedData) }
