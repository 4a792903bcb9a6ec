package gpumodel_test

import (
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/internal/sample"
	"github.com/ladderpose/ladderpose/posemodel"
)

// TestNewRefusesInt8: a model at int8 precision is refused before any
// device is opened, with an error that says why.
func TestNewRefusesInt8(t *testing.T) {
	m, err := posemodel.LoadBytes("demo", sample.Demo(), posemodel.LoadOptions{Precision: "int8"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = gpumodel.New(m, gpumodel.Options{})
	if err == nil || !strings.Contains(err.Error(), "int8 precision, which the GPU path does not implement") {
		t.Fatalf("gpumodel.New on an int8 model: %v", err)
	}
}
