package coco

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeAtomic writes a file through a temporary file in the same folder,
// synced and then renamed over path, so that readers see either the old
// file or the complete new one.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
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
	bw := bufio.NewWriterSize(f, 1<<20)
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
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every file system supports
	// syncing a directory, so a failure here is not an error.
	if dir, derr := os.Open(filepath.Dir(path)); derr == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// jsonList writes items as a JSON array, one element per line.
func jsonList[T any](w *bufio.Writer, items []T) error {
	w.WriteString("[")
	for i := range items {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n")
		b, err := json.Marshal(&items[i])
		if err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		w.Write(b)
	}
	if len(items) > 0 {
		w.WriteString("\n")
	}
	_, err := w.WriteString("]")
	return err
}

// WriteDataset writes d as a COCO annotation file, atomically. The dataset
// must pass ValidateKeypoints(0): COCO's 17 keypoints, or another keypoint
// set (the same number of keypoints for every person).
func WriteDataset(path string, d *Dataset) error {
	if err := d.ValidateKeypoints(0); err != nil {
		return fmt.Errorf("coco: write dataset %s: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return WriteDatasetTo(w, d) }); err != nil {
		return fmt.Errorf("coco: write dataset %s: %w", path, err)
	}
	return nil
}

// WriteDatasetTo writes d as COCO JSON ("info" if set, "images",
// "annotations", "categories"; one element per line) without validating it.
// Numbers are written in Go's shortest form, which reads back to the same
// float64 values.
func WriteDatasetTo(w io.Writer, d *Dataset) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("{")
	if d.Info != nil {
		b, err := json.Marshal(d.Info)
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
		bw.WriteString(`"info": `)
		bw.Write(b)
		bw.WriteString(",\n")
	}
	bw.WriteString(`"images": `)
	if err := jsonList(bw, d.Images); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	bw.WriteString(",\n\"annotations\": ")
	if err := jsonList(bw, d.Annotations); err != nil {
		return fmt.Errorf("annotations: %w", err)
	}
	bw.WriteString(",\n\"categories\": ")
	if err := jsonList(bw, d.Categories); err != nil {
		return fmt.Errorf("categories: %w", err)
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// WriteResults writes keypoint results as a COCO results file, atomically.
// The results must pass ValidateKeypointResults(rs, 0): 17 keypoints each,
// as ValidateResults requires, or another number, the same for all.
func WriteResults(path string, rs []Result) error {
	if err := ValidateKeypointResults(rs, 0); err != nil {
		return fmt.Errorf("coco: write results %s: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return WriteResultsTo(w, rs) }); err != nil {
		return fmt.Errorf("coco: write results %s: %w", path, err)
	}
	return nil
}

// WriteResultsTo writes keypoint results as a JSON array, one result per
// line, without validating them.
func WriteResultsTo(w io.Writer, rs []Result) error {
	bw := bufio.NewWriter(w)
	if err := jsonList(bw, rs); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// WriteDetections writes detections as a COCO detection results file,
// atomically. The detections must pass ValidateDetections.
func WriteDetections(path string, ds []Detection) error {
	if err := ValidateDetections(ds); err != nil {
		return fmt.Errorf("coco: write detections %s: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return WriteDetectionsTo(w, ds) }); err != nil {
		return fmt.Errorf("coco: write detections %s: %w", path, err)
	}
	return nil
}

// WriteDetectionsTo writes detections as a JSON array, one detection per
// line, without validating them.
func WriteDetectionsTo(w io.Writer, ds []Detection) error {
	bw := bufio.NewWriter(w)
	if err := jsonList(bw, ds); err != nil {
		return fmt.Errorf("detections: %w", err)
	}
	bw.WriteString("\n")
	return bw.Flush()
}
