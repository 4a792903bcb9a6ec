package gpumodel_test

import (
	"fmt"
	"log"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpumodel"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Run a checkpoint on the GPU when there is one, else on the CPU. (Not
// run as a test: it needs a checkpoint.)
func Example() {
	m, err := posemodel.Load("vitpose-b.safetensors", posemodel.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	images := tensor.New(8, 3, m.Cfg.Input[0], m.Cfg.Input[1]) // normalised crops
	dev, line, err := gpu.Select("auto", gpu.Options{})
	if err != nil {
		log.Fatal(err)
	}
	log.Println(line)
	var heatmaps tensor.Tensor
	if dev != nil {
		defer dev.Close()
		g, err := gpumodel.New(m, gpumodel.Options{Device: dev})
		if err != nil {
			log.Fatal(err)
		}
		defer g.Close()
		heatmaps, err = g.Forward(images)
		if err != nil {
			log.Fatal(err)
		}
	} else {
		heatmaps, err = m.Forward(posemodel.NewWorkspace(), images)
		if err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(heatmaps.Shape())
}
