package synth

import (
	"bufio"
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"github.com/ladderpose/ladderpose/coco"
)

// splitmix64 is a bijective 64-bit mixer (Steele, Lea and Flood's
// SplitMix64 finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// SampleRNG returns the generator Generate uses for image index (0-based)
// of the dataset with the given seed: RenderSample(SampleRNG(seed, i), opts)
// reproduces Generate's image i (before JPEG encoding) in memory.
func SampleRNG(seed uint64, index int) *rand.Rand {
	a := splitmix64(seed)
	return rand.New(rand.NewPCG(splitmix64(a^uint64(index)), splitmix64(a+0x632be59bd9b4e019^splitmix64(uint64(index)))))
}

// ImageFileName is the file name (under Dir/images/) of image index.
func ImageFileName(index int) string { return fmt.Sprintf("%06d.jpg", index+1) }

// Generate renders opts.N images in opts.Workers goroutines and writes
// them as JPEG files Dir/images/000001.jpg, ... (image id i+1 for index i,
// file_name relative to Dir/images/), and their annotations as COCO
// person-keypoint files: the last round(Val*N) images go to Dir/val.json,
// the others to Dir/train.json (a split with no images writes no file).
// Annotation ids count from 1 in image order. Every file is written
// atomically. Image i depends only on (Seed, i), so the output is the same
// byte for byte for any Workers or GOMAXPROCS. progress, if not nil, is
// called from Generate's own goroutine after each image with the number
// done so far. It returns the whole dataset (both splits).
func Generate(opts Options, progress func(done, total int)) (*coco.Dataset, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Dir == "" {
		return nil, fmt.Errorf("synth: generate: no output folder")
	}
	imgDir := filepath.Join(o.Dir, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: generate: %w", err)
	}

	type result struct {
		i    int
		anns []coco.Annotation
		err  error
	}
	jobs := make(chan int)
	results := make(chan result)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < min(o.Workers, max(o.N, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for i := range jobs {
				anns, err := renderFile(o, i, imgDir, &buf)
				results <- result{i, anns, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < o.N; i++ {
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	// Collect everything (after an error the feeder stops and the workers
	// finish what they hold).
	perImage := make([][]coco.Annotation, o.N)
	var firstErr error
	done := 0
	for r := range results {
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				close(stop)
			}
			continue
		}
		perImage[r.i] = r.anns
		done++
		if progress != nil && firstErr == nil {
			progress(done, o.N)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}

	all := newDataset(o)
	nVal := int(math.Round(o.Val * float64(o.N)))
	train, val := newDataset(o), newDataset(o)
	var annID int64
	for i, anns := range perImage {
		im := coco.Image{ID: int64(i + 1), FileName: ImageFileName(i), Width: o.Width, Height: o.Height}
		split := train
		if i >= o.N-nVal {
			split = val
		}
		all.Images = append(all.Images, im)
		split.Images = append(split.Images, im)
		for _, a := range anns {
			annID++
			a.ID, a.ImageID = annID, im.ID
			all.Annotations = append(all.Annotations, a)
			split.Annotations = append(split.Annotations, a)
		}
	}
	for _, s := range []struct {
		name string
		d    *coco.Dataset
	}{{"train.json", train}, {"val.json", val}} {
		if len(s.d.Images) == 0 {
			continue
		}
		if err := coco.WriteDataset(filepath.Join(o.Dir, s.name), s.d); err != nil {
			return nil, fmt.Errorf("synth: generate: %w", err)
		}
	}
	return all, nil
}

// Info returns the "info" object Generate writes into train.json and
// val.json for o: every option that changes the dataset's content (after
// defaults), so that a program can tell whether a folder already holds the
// dataset it would generate (a dataset from another version of these
// options, or of the generator before some options existed, lacks fields or
// differs in them).
func Info(o Options) (map[string]any, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return info(o), nil
}

func info(o Options) map[string]any {
	return map[string]any{
		"description":  "ladderpose synthetic person keypoints (industrial scenes)",
		"seed":         o.Seed,
		"interference": o.Interference.String(),
		"width":        o.Width,
		"height":       o.Height,
		"images":       o.N,
		"val":          o.Val,
		"people":       []int{o.MinPeople, o.MaxPeople},
		"quality":      o.Quality,
		"max_yaw":      o.MaxYaw,
	}
}

func newDataset(o Options) *coco.Dataset {
	return &coco.Dataset{
		Info:        info(o),
		Images:      []coco.Image{},
		Annotations: []coco.Annotation{},
		Categories:  []coco.Category{coco.PersonCategory()},
	}
}

// renderFile renders image i and writes it as a JPEG.
func renderFile(o Options, i int, dir string, buf *bytes.Buffer) ([]coco.Annotation, error) {
	s, err := RenderSample(SampleRNG(o.Seed, i), o)
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if err := jpeg.Encode(buf, s.Image, &jpeg.Options{Quality: o.Quality}); err != nil {
		return nil, fmt.Errorf("synth: image %d: encode: %w", i, err)
	}
	path := filepath.Join(dir, ImageFileName(i))
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	}); err != nil {
		return nil, fmt.Errorf("synth: image %d: %w", i, err)
	}
	return s.Annotations, nil
}

// writeFileAtomic writes path through a temporary file in the same folder
// that is synced and then renamed over path.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
