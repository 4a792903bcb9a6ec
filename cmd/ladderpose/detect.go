package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/detect"
	"github.com/ladderpose/ladderpose/pipeline"
)

func init() {
	register(&command{
		name:    "detect",
		summary: "find objects (people) with an RT-DETR detector (COCO detection results)",
		run:     runDetect,
	})
}

const detectUsage = `usage: ladderpose detect -weights DIR [flags] IMAGE|FOLDER...

Runs an RT-DETR object detector (a Hugging Face RTDetrForObjectDetection
folder: model.safetensors and config.json, e.g. PekingU/rtdetr_r50vd or
PekingU/rtdetr_r50vd_coco_o365) on the images (JPEG or PNG files; a folder
stands for the .jpg, .jpeg and .png files in it, sorted by name), with
Hugging Face's RTDetrImageProcessor preprocessing and
post_process_object_detection (sigmoid scores, the best Q of queries x
classes, score above -threshold).

The detections go to -out (or stdout) as a COCO detection results JSON
array (image_id, category_id, bbox [x, y, w, h] in pixels, score) that
"ladderpose eval -type bbox", pycocotools and "ladderpose predict -det" read
as they are. category_id is the COCO id of the class name (COCO's 80 names
map onto ids 1..90 with their gaps); a model whose names are not COCO's
writes class index + 1, with a warning. -person keeps only the class
"person". Image ids follow predict's rules (-gt, numbered file names, or
the position on the command line). -draw writes each image with its boxes
and captions as NAME.png.

flags:`

// runDetect implements "ladderpose detect".
func runDetect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("detect", stderr)
	weightsPath := fs.String("weights", "", "RT-DETR `folder` (model.safetensors + config.json) or its model.safetensors")
	threshold := fs.Float64("threshold", 0.3, "keep detections scoring above this")
	out := fs.String("out", "", "write the COCO detection results JSON to this `file` (default: stdout)")
	drawDir := fs.String("draw", "", "write one PNG per image with the boxes drawn to this `folder`")
	gt := fs.String("gt", "", "COCO annotation `file` mapping image file names to ids")
	personOnly := fs.Bool("person", false, "keep only the class \"person\"")
	batch := fs.Int("batch", 1, "images per network batch")
	fs.Usage = func() {
		fmt.Fprintln(stderr, detectUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *weightsPath == "" {
		return fmt.Errorf("%w: need -weights (an RT-DETR folder)", errUsage)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: no images", errUsage)
	}
	if !(*threshold >= 0 && *threshold < 1) {
		return fmt.Errorf("%w: -threshold %v is not in [0, 1)", errUsage, *threshold)
	}
	if *batch < 1 {
		return fmt.Errorf("%w: -batch %d must be at least 1", errUsage, *batch)
	}
	paths, err := expandImages(fs.Args())
	if err != nil {
		return err
	}
	ids, err := imageIDs(paths, *gt, false)
	if err != nil {
		return err
	}
	names, err := outputNames(paths)
	if err != nil && *drawDir != "" {
		return err
	}
	if *drawDir != "" {
		if err := os.MkdirAll(*drawDir, 0o755); err != nil {
			return err
		}
	}
	d, err := detect.Load(*weightsPath)
	if err != nil {
		return err
	}
	cats, warn := categoryIDs(d.Config().Labels)
	if warn != "" {
		fmt.Fprintln(stderr, "detect: warning: "+warn)
	}
	person := -1
	for i, n := range d.Config().Labels {
		if n == "person" {
			person = i
		}
	}
	if *personOnly && person < 0 {
		return fmt.Errorf("-person: the model has no class \"person\" (config.json id2label)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := rateLine(stderr, "detect", "images", start)
	results := []coco.Detection{}
	unreadable, boxes := 0, 0
	for c := 0; c < len(paths); c += *batch {
		var imgs []image.Image
		var which []int
		for i := c; i < min(c+*batch, len(paths)); i++ {
			img, err := pipeline.LoadImage(paths[i])
			if err != nil {
				fmt.Fprintf(stderr, "detect: error: %v (skipped)\n", err)
				unreadable++
				continue
			}
			imgs = append(imgs, img)
			which = append(which, i)
		}
		if len(imgs) == 0 {
			continue
		}
		dets, err := d.DetectBatch(ctx, imgs, *threshold)
		if err != nil {
			return err
		}
		for j, ds := range dets {
			i := which[j]
			var drawn []pipeline.LabeledBox
			for _, det := range ds {
				if *personOnly && det.Label != person {
					continue
				}
				b := det.Box
				results = append(results, coco.Detection{ImageID: ids[i], CategoryID: cats[det.Label],
					BBox: [4]float64{b[0], b[1], b[2] - b[0], b[3] - b[1]}, Score: det.Score})
				name := det.Name
				if name == "" {
					name = fmt.Sprint(det.Label)
				}
				drawn = append(drawn, pipeline.LabeledBox{X0: b[0], Y0: b[1], X1: b[2], Y1: b[3], Caption: fmt.Sprintf("%s %.2f", name, det.Score)})
			}
			boxes += len(drawn)
			if *drawDir != "" {
				if err := pipeline.WritePNG(filepath.Join(*drawDir, names[i]+".png"), pipeline.DrawBoxes(imgs[j], drawn)); err != nil {
					return err
				}
			}
		}
		if len(paths) > 1 {
			progress(min(c+*batch, len(paths)), len(paths))
		}
	}
	if *out != "" {
		if err := coco.WriteDetections(*out, results); err != nil {
			return err
		}
	} else if err := coco.WriteDetectionsTo(stdout, results); err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(stderr, "detect: %d images, %d boxes in %.1fs (%.2f images/s)\n", len(paths)-unreadable, boxes, el, float64(len(paths)-unreadable)/max(el, 1e-9))
	if unreadable > 0 {
		return fmt.Errorf("%d of %d images could not be read (see above; the others' results were written)", unreadable, len(paths))
	}
	return nil
}

// categoryIDs maps a detector's class indices onto COCO category ids: by
// name (COCO's 80 names, ids 1..90 with gaps); when a name is not COCO's,
// every class gets index + 1 and the warning says so.
func categoryIDs(labels []string) ([]int, string) {
	ids := make([]int, len(labels))
	for i, n := range labels {
		id, ok := coco.CategoryID(n)
		if !ok {
			for j := range ids {
				ids[j] = j + 1
			}
			return ids, fmt.Sprintf("class %d %q is not a COCO category name: category_id is the class index + 1 for every class", i, n)
		}
		ids[i] = id
	}
	return ids, ""
}
