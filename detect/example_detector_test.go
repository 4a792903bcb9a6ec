package detect_test

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"log"
	"os"

	"github.com/ladderpose/ladderpose/detect"
)

// Example loads a Hugging Face RT-DETR checkpoint (for example a download
// of PekingU/rtdetr_r50vd: model.safetensors, config.json and
// preprocessor_config.json) and detects the objects in a photo.
func Example() {
	det, err := detect.Load("rtdetr_r50vd") // the folder, or its model.safetensors
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("photo.jpg")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	dets, err := det.Detect(context.Background(), img, 0.5)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dets {
		fmt.Printf("%s %.2f [%.0f %.0f %.0f %.0f]\n", d.Name, d.Score, d.Box[0], d.Box[1], d.Box[2], d.Box[3])
	}
}
