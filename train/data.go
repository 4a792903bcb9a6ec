package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/pipeline"
	"github.com/ladderpose/ladderpose/synth"
)

// DefaultCacheMB is the default bound of a dataset's decoded-image cache in
// MiB: about 1,600 images of 384x288, the size of the demo datasets.
const DefaultCacheMB = 512

// DataOptions configure a training dataset.
type DataOptions struct {
	// InputH and InputW are the model's input size (default 256 x 192).
	InputH, InputW int
	// CacheMB bounds the memory of decoded images kept between samples,
	// in MiB: 0 means DefaultCacheMB, a negative value keeps none (every
	// sample decodes its image).
	CacheMB int
}

// Dataset is a COCO person-keypoint training set: one sample per person
// annotation with labelled keypoints. Images are decoded when a sample
// needs them and kept in a bounded cache. Its methods may be called from
// several goroutines at once.
type Dataset struct {
	gt      *coco.Dataset
	h, w    int
	samples []sample
	images  []imageFile
	cache   *imageCache
	skipped int
}

type sample struct {
	image  int // index into images
	ann    int // index into gt.Annotations
	frame  pipeline.Frame
	joints Joints
}

type imageFile struct {
	path          string
	width, height int // as the annotations declare them (0: unknown)
}

// OpenDataset reads a COCO person-keypoint file for crops of inputH x
// inputW, with the default image cache. See OpenDatasetOptions.
func OpenDataset(annPath, imageDir string, inputH, inputW int) (*Dataset, error) {
	return OpenDatasetOptions(annPath, imageDir, DataOptions{InputH: inputH, InputW: inputW})
}

// OpenDatasetOptions reads a COCO person-keypoint file whose images'
// file_name are relative to imageDir. The samples are the annotations of
// the "person" category with iscrowd 0, num_keypoints > 0, at least one
// labelled keypoint and a box with an area that overlaps its image (mmpose's
// training set rule), in file order; the others are counted by Skipped.
// Every image a sample needs must exist (the error names the path); images
// are decoded later, by Sample. Errors of the annotation file are the coco
// reader's.
func OpenDatasetOptions(annPath, imageDir string, o DataOptions) (*Dataset, error) {
	if o.InputH == 0 && o.InputW == 0 {
		o.InputH, o.InputW = pipeline.InputH, pipeline.InputW
	}
	if o.InputH < 2 || o.InputW < 2 {
		return nil, fmt.Errorf("train: dataset: input size %dx%d must be at least 2x2", o.InputW, o.InputH)
	}
	gt, err := coco.ReadDataset(annPath)
	if err != nil {
		return nil, err
	}
	limit := int64(o.CacheMB) << 20
	if o.CacheMB == 0 {
		limit = DefaultCacheMB << 20
	}
	d := &Dataset{gt: gt, h: o.InputH, w: o.InputW, cache: newImageCache(limit)}
	person := map[int]bool{}
	for _, c := range gt.Categories {
		if c.Name == "person" {
			person[c.ID] = true
		}
	}
	if len(person) == 0 {
		return nil, fmt.Errorf("train: dataset %s: no category is named \"person\"", annPath)
	}
	imageIndex := map[int64]int{}
	imageByID := map[int64]*coco.Image{}
	for i := range gt.Images {
		imageByID[gt.Images[i].ID] = &gt.Images[i]
	}
	for ai := range gt.Annotations {
		a := &gt.Annotations[ai]
		if !person[a.CategoryID] || a.IsCrowd != 0 || a.NumKeypoints <= 0 {
			d.skipped++
			continue
		}
		var j Joints
		for k := range j {
			j[k] = [3]float64{a.Keypoints[3*k], a.Keypoints[3*k+1], a.Keypoints[3*k+2]}
		}
		im := imageByID[a.ImageID] // coco.Validate checked it exists
		box := pipeline.Box{X: a.BBox[0], Y: a.BBox[1], W: a.BBox[2], H: a.BBox[3]}
		iw, ih := im.Width, im.Height
		if iw <= 0 || ih <= 0 { // size not declared: only the area counts
			iw, ih = 1<<30, 1<<30
		}
		if err := pipeline.CheckBox(box, iw, ih); err != nil || j.Labelled() == 0 {
			d.skipped++
			continue
		}
		idx, ok := imageIndex[a.ImageID]
		if !ok {
			path := filepath.Join(imageDir, im.FileName)
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("train: dataset %s: image id %d: %w", annPath, im.ID, err)
			}
			idx = len(d.images)
			imageIndex[a.ImageID] = idx
			d.images = append(d.images, imageFile{path: path, width: im.Width, height: im.Height})
		}
		d.samples = append(d.samples, sample{image: idx, ann: ai, frame: box.Frame(o.InputW, o.InputH), joints: j})
	}
	if len(d.samples) == 0 {
		return nil, fmt.Errorf("train: dataset %s: no person annotation with labelled keypoints (%d skipped)", annPath, d.skipped)
	}
	return d, nil
}

// Len is the number of samples.
func (d *Dataset) Len() int { return len(d.samples) }

// Skipped is the number of annotations that are not samples (crowds, other
// categories, no labelled keypoints, empty boxes or boxes outside the
// image).
func (d *Dataset) Skipped() int { return d.skipped }

// Coco returns the annotations (for evaluation). They must not be modified.
func (d *Dataset) Coco() *coco.Dataset { return d.gt }

// InputSize is the crop size (height, width).
func (d *Dataset) InputSize() (h, w int) { return d.h, d.w }

// Annotation returns sample i's annotation.
func (d *Dataset) Annotation(i int) *coco.Annotation { return &d.gt.Annotations[d.samples[i].ann] }

// ImagePath returns the file of sample i's image.
func (d *Dataset) ImagePath(i int) string { return d.images[d.samples[i].image].path }

// Frame returns sample i's crop frame by the box rule of SPEC.md section 9
// (the frame before augmentation).
func (d *Dataset) Frame(i int) pipeline.Frame { return d.samples[i].frame }

// CacheStats reports the decoded-image cache's counters.
func (d *Dataset) CacheStats() CacheStats { return d.cache.snapshot() }

// loadImage decodes image idx (through the cache) and checks its size
// against the annotations.
func (d *Dataset) loadImage(idx int) (*pipeline.RGB, error) {
	f := d.images[idx]
	return d.cache.get(idx, func() (*pipeline.RGB, error) {
		img, err := pipeline.LoadImage(f.path)
		if err != nil {
			return nil, err
		}
		if (f.width > 0 && img.W != f.width) || (f.height > 0 && img.H != f.height) {
			return nil, fmt.Errorf("image %s is %dx%d, the annotations say %dx%d", f.path, img.W, img.H, f.width, f.height)
		}
		return img, nil
	})
}

// Sample fills img ([3*H*W], the normalised CHW crop of SPEC.md section 9)
// and kpts ([17*3]: crop pixel x, y and COCO visibility) with sample i
// augmented by aug, drawing every random choice from rng (which may be nil
// when aug draws nothing, as NoAugment). Keypoints that leave the crop keep
// their visibility (the loss's target weight drops them); unlabelled ones
// are (0, 0, 0). With NoAugment the crop is bit for bit the inference crop
// of the ground-truth box (pipeline.CropPerson).
func (d *Dataset) Sample(i int, rng *rand.Rand, aug Augment, img, kpts []float32) error {
	_, err := d.SampleTransform(i, rng, aug, img, kpts)
	return err
}

// SampleTransform is Sample that also returns the geometric transform it
// drew.
func (d *Dataset) SampleTransform(i int, rng *rand.Rand, aug Augment, img, kpts []float32) (Transform, error) {
	if i < 0 || i >= len(d.samples) {
		return Transform{}, fmt.Errorf("train: sample %d out of range [0, %d)", i, len(d.samples))
	}
	if len(img) != 3*d.h*d.w || len(kpts) != 3*coco.NumKeypoints {
		return Transform{}, fmt.Errorf("train: sample %d: buffers of %d and %d values, want %d (3x%dx%d) and %d",
			i, len(img), len(kpts), 3*d.h*d.w, d.h, d.w, 3*coco.NumKeypoints)
	}
	if err := aug.Check(); err != nil {
		return Transform{}, fmt.Errorf("train: sample %d: %w", i, err)
	}
	var dr draws
	var jitter [3]float64
	if aug.random() {
		if rng == nil {
			return Transform{}, errors.New("train: sample: augmentation needs a random generator")
		}
		dr = drawGeometry(rng)
		for k := range jitter {
			jitter[k] = rng.Float64()
		}
	}
	s := &d.samples[i]
	im, err := d.loadImage(s.image)
	if err != nil {
		return Transform{}, fmt.Errorf("train: sample %d: %w", i, err)
	}
	t, j := aug.transform(s.frame, s.joints, im.W, float64(d.w)/float64(d.h), dr)
	if err := pipeline.CropCHW(img, im, t.Matrix(d.w, d.h), d.w, d.h); err != nil {
		return t, fmt.Errorf("train: sample %d (%s): %w", i, d.images[s.image].path, err)
	}
	cropJoints(kpts, t, j, d.w, d.h)
	if aug.Color || aug.Interference != synth.None {
		n := d.h * d.w
		denormalise(img, n)
		if aug.Color {
			f := func(u float64) float32 { return float32(1 + (2*u-1)*colorRange) }
			colorJitter(img, n, f(jitter[0]), f(jitter[1]), f(jitter[2]))
		}
		if aug.Interference != synth.None {
			if err := synth.InterfereFrame(&synth.Frame{W: d.w, H: d.h, Pix: img}, rng, aug.Interference); err != nil {
				return t, fmt.Errorf("train: sample %d: %w", i, err)
			}
		}
		normalise(img, n)
	}
	return t, nil
}

// cropJoints writes joints j (in the image as t sees it: flipped when
// t.Flip, as transform returns them) in pixels of the w x h crop into kpts
// [17*3], with their visibility; unlabelled joints become (0, 0, 0).
func cropJoints(kpts []float32, t Transform, j Joints, w, h int) {
	m := RotatedCropMatrix(t.Frame, t.Rotation, w, h)
	for k := range j {
		if j[k][2] <= 0 {
			kpts[3*k], kpts[3*k+1], kpts[3*k+2] = 0, 0, 0
			continue
		}
		x, y := m.Apply(j[k][0], j[k][1])
		kpts[3*k], kpts[3*k+1], kpts[3*k+2] = float32(x), float32(y), float32(j[k][2])
	}
}

// Normalisation constants of SPEC.md section 9, per channel.
var (
	chanMean = [3]float32{pipeline.MeanR, pipeline.MeanG, pipeline.MeanB}
	chanStd  = [3]float32{pipeline.StdR, pipeline.StdG, pipeline.StdB}
)

// denormalise turns a normalised CHW crop of n pixels per plane back into
// [0, 1] values.
func denormalise(pix []float32, n int) {
	for c := 0; c < 3; c++ {
		p := pix[c*n : (c+1)*n]
		m, s := chanMean[c], chanStd[c]
		for i, v := range p {
			p[i] = v*s + m
		}
	}
}

// normalise clamps values to [0, 1], as a picture's are (synth's sensor
// noise and blooms may leave the range), and turns them into the network's
// input, (v-mean)/std.
func normalise(pix []float32, n int) {
	for c := 0; c < 3; c++ {
		p := pix[c*n : (c+1)*n]
		m, s := chanMean[c], 1/chanStd[c]
		for i, v := range p {
			p[i] = (min(max(v, 0), 1) - m) * s
		}
	}
}
