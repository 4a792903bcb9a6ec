package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
)

func init() {
	register(&command{
		name:    "predict",
		summary: "estimate poses in images (COCO keypoint results, pictures)",
		run:     runPredict,
	})
}

const predictUsage = `usage: ladderpose predict [flags] IMAGE|FOLDER...

Estimates the pose of each person in the images (JPEG or PNG files; a folder
stands for the .jpg, .jpeg and .png files in it, sorted by name), top-down
as ViTPose tests: each person box is cropped, run through the network (with
the flip test), decoded (DARK-UDP), rescored, and each image's people are
filtered by OKS non-maximum suppression.

Person boxes: with -det, the boxes of a COCO detection results file
(category 1, score >= -det-score); with -box (repeatable), the same boxes for every image;
with -detector DIR (an RT-DETR folder, see "ladderpose detect"), the boxes
of class "person" it finds scoring above -person-threshold; otherwise the
whole image is one box. Boxes with no area or entirely outside their image
are skipped with a warning.

Image ids (image_id of the results, and how -det's boxes find their image):
with -gt ANN.json, the id of the dataset image whose file_name is the
image's file name; otherwise, if every image is named by a number
(COCO-style, e.g. 000000397133.jpg), that number; otherwise (not allowed
with -det) the image's position on the command line, from 1.

The results go to -out (or stdout) as a COCO keypoint results JSON array
(image_id, category_id 1, keypoints [x, y, score] x 17, score) that
pycocotools and "ladderpose eval" read as they are. An image that cannot be
read is reported and skipped; the command then writes the other images'
results and exits with status 1.

Without -weights the bundled demo model is used (built into the command:
what "ladderpose demo" learnt on synthetic people, small and weak; see
testdata/sample/README.md in the repository). Threads: GOMAXPROCS. -device
says where the network runs (one line on stderr says which; see the Go
API's WithDevice): on a GPU the results agree with the CPU's to float32
rounding, not bit for bit.

flags:`

// runPredict implements "ladderpose predict".
func runPredict(args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("predict", stderr)
	weightsPath := fs.String("weights", "", "checkpoint `file` (safetensors) or folder (model.safetensors + config.json); default: the bundled demo model")
	side := fs.String("side", "", "side network safetensors `file` (from init-side or training)")
	det := fs.String("det", "", "COCO detection results `file` with the person boxes")
	detScore := fs.Float64("det-score", 0, "ignore detections scoring below this")
	gt := fs.String("gt", "", "COCO annotation `file` mapping image file names to ids")
	var boxFlags boxList
	fs.Var(&boxFlags, "box", "a person box `x,y,w,h` (pixels) for every image; repeat it for several people")
	detector := fs.String("detector", "", "RT-DETR `folder` that finds the people when neither -box nor -det is given")
	personThr := fs.Float64("person-threshold", ladderpose.DefaultPersonThreshold, "with -detector: keep person boxes scoring above this")
	out := fs.String("out", "", "write the results JSON to this `file` (default: stdout)")
	drawDir := fs.String("draw", "", "write one PNG per image with the skeletons drawn to this `folder` (NAME.png for image NAME.jpg)")
	drawThr := fs.Float64("draw-thr", 0.3, "draw keypoints scoring above this")
	hmDir := fs.String("heatmaps", "", "write a grid of each person's heatmaps over its crop to this `folder` (NAME_K.png for the K-th person of image NAME, by score)")
	decode := fs.String("decode", "dark-udp", "heatmap decoder: dark-udp or default")
	flip := fs.Bool("flip", true, "flip test (run the mirrored crop too and average)")
	batch := fs.Int("batch", ladderpose.DefaultBatchSize, "people per network batch")
	dataset := fs.Int("dataset", 0, "the ViTPose+ expert to use: Hugging Face's dataset_index (0: COCO)")
	dev := addDeviceFlag(fs)
	prec := addPrecisionFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, predictUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: no images given", errUsage)
	}
	if *det != "" && len(boxFlags) > 0 {
		return fmt.Errorf("%w: -det and -box exclude each other", errUsage)
	}
	if *det == "" && *detScore != 0 {
		return fmt.Errorf("%w: -det-score needs -det", errUsage)
	}
	if *batch < 1 {
		return fmt.Errorf("%w: -batch %d: want at least 1", errUsage, *batch)
	}
	paths, err := expandImages(fs.Args())
	if err != nil {
		return err
	}
	ids, err := imageIDs(paths, *gt, *det != "")
	if err != nil {
		return err
	}
	var dets map[int64][]ladderpose.Box
	if *det != "" {
		if dets, err = readBoxes(*det, *detScore, ids, stderr); err != nil {
			return err
		}
	}
	names, err := outputNames(paths)
	if err != nil && (*drawDir != "" || *hmDir != "") {
		return err
	}
	for _, d := range []string{*drawDir, *hmDir} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
	}

	if *detector != "" && (*det != "" || len(boxFlags) > 0) {
		return fmt.Errorf("%w: -detector finds the boxes itself: not with -det or -box", errUsage)
	}
	est, err := openEstimator("predict", *weightsPath, *side, *prec, *detector, *personThr, stderr,
		ladderpose.WithDecode(*decode), ladderpose.WithFlipTest(*flip), ladderpose.WithBatchSize(*batch),
		ladderpose.WithHeatmaps(*hmDir != ""), ladderpose.WithDevice(string(*dev)), ladderpose.WithDataset(*dataset))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, est.Close()) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := rateLine(stderr, "predict", "images", start)
	var results []coco.Result
	unreadable, noBoxes, people := 0, 0, 0
	// Images go to the estimator a few at a time, so that the people of
	// several images share network batches.
	chunk := *batch
	for c := 0; c < len(paths); c += chunk {
		var reqs []ladderpose.Request
		var which []int
		for i := c; i < min(c+chunk, len(paths)); i++ {
			img, err := ladderpose.LoadImage(paths[i])
			if err != nil {
				fmt.Fprintf(stderr, "predict: error: %v (skipped)\n", err)
				unreadable++
				continue
			}
			var boxes []ladderpose.Box
			switch {
			case dets != nil:
				boxes = dets[ids[i]]
			case len(boxFlags) > 0:
				boxes = append([]ladderpose.Box(nil), boxFlags...)
			}
			if dets != nil || len(boxFlags) > 0 {
				boxes = usableBoxes(boxes, img.Bounds(), paths[i], stderr)
				if len(boxes) == 0 {
					noBoxes++
					continue
				}
			}
			reqs = append(reqs, ladderpose.Request{Image: img, Boxes: boxes})
			which = append(which, i)
		}
		outs, err := est.EstimateBatch(ctx, reqs)
		if err != nil {
			return err
		}
		for j, poses := range outs {
			i := which[j]
			people += len(poses)
			for _, p := range poses {
				results = append(results, toResult(ids[i], p))
			}
			if *drawDir != "" {
				pic := est.Draw(reqs[j].Image, poses, *drawThr)
				if err := pipeline.WritePNG(filepath.Join(*drawDir, names[i]+".png"), pic); err != nil {
					return err
				}
			}
			if *hmDir != "" {
				for k, p := range poses {
					g, err := est.HeatmapGrid(reqs[j].Image, p)
					if err != nil {
						return err
					}
					if err := pipeline.WritePNG(filepath.Join(*hmDir, fmt.Sprintf("%s_%d.png", names[i], k)), g); err != nil {
						return err
					}
				}
			}
		}
		if len(paths) > 1 {
			progress(min(c+chunk, len(paths)), len(paths))
		}
	}

	if *out != "" {
		if err := coco.WriteResults(*out, results); err != nil {
			return err
		}
	} else if err := coco.WriteResultsTo(stdout, results); err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(stderr, "predict: %d images, %d people in %.1fs (%.2f images/s)", len(paths)-unreadable, people, el, float64(len(paths)-unreadable)/max(el, 1e-9))
	if noBoxes > 0 {
		fmt.Fprintf(stderr, "; %d images without usable boxes", noBoxes)
	}
	if *out != "" {
		fmt.Fprintf(stderr, "; results in %s", *out)
	}
	fmt.Fprintln(stderr)
	if unreadable > 0 {
		return fmt.Errorf("%d of %d images could not be read (see above; the others' results were written)", unreadable, len(paths))
	}
	return nil
}

// rateLine returns a progress callback that prints at most one line a
// second to w with the rate and the estimated time left, and always the
// last one.
func rateLine(w io.Writer, cmd, unit string, start time.Time) func(done, total int) {
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if done < total && now.Sub(last) < time.Second {
			return
		}
		last = now
		rate := float64(done) / max(now.Sub(start).Seconds(), 1e-9)
		eta := time.Duration(float64(total-done) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(w, "%s: %d/%d %s, %.2f %s/s, ETA %v\n", cmd, done, total, unit, rate, unit, eta)
	}
}

// boxList is the repeatable -box flag.
type boxList []ladderpose.Box

func (l *boxList) String() string { return fmt.Sprint([]ladderpose.Box(*l)) }

func (l *boxList) Set(s string) error {
	b, err := parseBox(s)
	if err != nil {
		return err
	}
	*l = append(*l, b)
	return nil
}

// parseBox reads "x,y,w,h".
func parseBox(s string) (ladderpose.Box, error) {
	parts := strings.Split(s, ",")
	var v [4]float64
	ok := len(parts) == 4
	for i := 0; ok && i < 4; i++ {
		var err error
		v[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		ok = err == nil
	}
	if !ok {
		return ladderpose.Box{}, fmt.Errorf("%w: -box %q: want x,y,w,h (four numbers)", errUsage, s)
	}
	return ladderpose.NewBox(v[0], v[1], v[2], v[3]), nil
}

// imageExt reports whether a file name has an image extension.
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// expandImages replaces each folder argument by the images in it.
func expandImages(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", a, err)
		}
		if !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(paths)
		for _, e := range ents {
			if !e.IsDir() && imageExt(e.Name()) {
				paths = append(paths, filepath.Join(a, e.Name()))
			}
		}
		if len(paths) == n {
			return nil, fmt.Errorf("folder %s holds no .jpg, .jpeg or .png files", a)
		}
	}
	return paths, nil
}

// imageIDs assigns each image its COCO image id (see predictUsage).
func imageIDs(paths []string, gtPath string, needReal bool) ([]int64, error) {
	ids := make([]int64, len(paths))
	if gtPath != "" {
		gt, err := coco.ReadDataset(gtPath)
		if err != nil {
			return nil, err
		}
		byName := make(map[string]int64, len(gt.Images))
		for _, im := range gt.Images {
			byName[filepath.Base(im.FileName)] = im.ID
		}
		for i, p := range paths {
			id, ok := byName[filepath.Base(p)]
			if !ok {
				return nil, fmt.Errorf("image %s: no image with file_name %q in %s", p, filepath.Base(p), gtPath)
			}
			ids[i] = id
		}
		return ids, uniqueIDs(paths, ids)
	}
	numeric := true
	for i, p := range paths {
		stem := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		id, err := strconv.ParseInt(stem, 10, 64)
		if err != nil || id < 0 {
			numeric = false
			break
		}
		ids[i] = id
	}
	if numeric {
		return ids, uniqueIDs(paths, ids)
	}
	if needReal {
		return nil, fmt.Errorf("%w: with -det the images need COCO-style numeric file names (e.g. 000000397133.jpg) or -gt ANN.json to find their image ids", errUsage)
	}
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids, nil
}

// uniqueIDs reports two images with the same id.
func uniqueIDs(paths []string, ids []int64) error {
	seen := make(map[int64]int, len(ids))
	for i, id := range ids {
		if j, dup := seen[id]; dup {
			return fmt.Errorf("images %s and %s both have image id %d", paths[j], paths[i], id)
		}
		seen[id] = i
	}
	return nil
}

// readBoxes reads the person detections (category 1) of the given images.
func readBoxes(path string, minScore float64, ids []int64, stderr io.Writer) (map[int64][]ladderpose.Box, error) {
	ds, err := coco.ReadDetections(path, minScore)
	if err != nil {
		return nil, err
	}
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := make(map[int64][]ladderpose.Box)
	other, elsewhere := 0, 0
	for _, d := range ds {
		switch {
		case d.CategoryID != 1:
			other++
		case !want[d.ImageID]:
			elsewhere++
		default:
			out[d.ImageID] = append(out[d.ImageID], ladderpose.Box{X: d.BBox[0], Y: d.BBox[1], W: d.BBox[2], H: d.BBox[3], Score: d.Score})
		}
	}
	if other > 0 || elsewhere > 0 {
		fmt.Fprintf(stderr, "predict: %s: ignored %d detections of other categories and %d of images not given\n", path, other, elsewhere)
	}
	return out, nil
}

// usableBoxes drops, with a warning, the boxes that have no area or lie
// outside the image.
func usableBoxes(boxes []ladderpose.Box, r image.Rectangle, path string, stderr io.Writer) []ladderpose.Box {
	var out []ladderpose.Box
	for j, b := range boxes {
		err := pipeline.CheckBox(pipeline.Box{X: b.X - float64(r.Min.X), Y: b.Y - float64(r.Min.Y), W: b.W, H: b.H}, r.Dx(), r.Dy())
		if err != nil && pipeline.Skippable(err) {
			fmt.Fprintf(stderr, "predict: warning: %s: box %d: %v; skipped\n", path, j, err)
			continue
		}
		out = append(out, b) // a broken box reaches the estimator, which fails on it
	}
	return out
}

// outputNames gives each image the base name of its pictures (the file name
// without extension); two images with the same name are an error.
func outputNames(paths []string) ([]string, error) {
	names := make([]string, len(paths))
	seen := map[string]string{}
	for i, p := range paths {
		n := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if q, dup := seen[n]; dup {
			return nil, fmt.Errorf("%w: images %s and %s would write pictures of the same name %q", errUsage, q, p, n)
		}
		seen[n] = p
		names[i] = n
	}
	return names, nil
}

// toResult turns a pose into a COCO keypoint result.
func toResult(id int64, p ladderpose.Pose) coco.Result {
	kps := make([]float64, 0, 3*len(p.Keypoints))
	for _, k := range p.Keypoints {
		kps = append(kps, k.X, k.Y, k.Score)
	}
	return coco.Result{ImageID: id, CategoryID: 1, Keypoints: kps, Score: p.Score}
}
