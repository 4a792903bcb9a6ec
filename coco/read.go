package coco

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
)

// The readers walk the JSON with a json.Decoder: token by token over the
// top-level object or array, one Decode per array element into a scratch
// struct whose unknown keys ("segmentation", ...) are skipped by the scanner
// without being materialised. Memory stays proportional to what is kept, plus
// the largest single element. Keypoints are copied into large shared slabs
// (one allocation per 4096 people instead of one per person).

// slabFloats is the number of float64 values per keypoint slab: 4096
// people of COCO's 17 keypoints (any keypoint count fits).
const slabFloats = 3 * NumKeypoints * 4096

// slab hands out capacity-limited sub-slices of large float64 blocks.
type slab struct{ buf []float64 }

// copyOf returns a copy of src in the slab; appending to it reallocates.
func (s *slab) copyOf(src []float64) []float64 {
	n := len(src)
	if len(s.buf) < n {
		s.buf = make([]float64, max(n, slabFloats))
	}
	out := s.buf[:n:n]
	copy(out, src)
	s.buf = s.buf[n:]
	return out
}

// jInt is an integer field that records whether it was present.
type jInt struct {
	v  int64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler; null counts as absent.
func (p *jInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// The decoder adds the field name to an UnmarshalTypeError.
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40s", b), Type: reflect.TypeFor[int64]()}
	}
	p.v, p.ok = v, true
	return nil
}

// jFloat is a number field that records whether it was present.
type jFloat struct {
	v  float64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler; null counts as absent.
func (p *jFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40s", b), Type: reflect.TypeFor[float64]()}
	}
	p.v, p.ok = v, true
	return nil
}

// need returns the integer value of a required field.
func need(p jInt, name string) (int64, error) {
	if !p.ok {
		return 0, fmt.Errorf("missing %q", name)
	}
	return p.v, nil
}

// needInt is need for fields stored as int.
func needInt(p jInt, name string) (int, error) {
	v, err := need(p, name)
	if err == nil && int64(int(v)) != v {
		err = fmt.Errorf("%q = %d out of range", name, v)
	}
	return int(v), err
}

// reader wraps a json.Decoder with the element-wise walking helpers.
type reader struct{ dec *json.Decoder }

func newReader(r io.Reader) *reader { return &reader{dec: json.NewDecoder(r)} }

// describe names a token for an error message.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return fmt.Sprintf("string %.40q", t)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T %v", t, t)
	}
}

// token reads the next token, turning a clean EOF into io.ErrUnexpectedEOF.
func (r *reader) token() (json.Token, error) {
	tok, err := r.dec.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("at byte %d: %w", r.dec.InputOffset(), err)
	}
	return tok, nil
}

// open reads the opening delimiter of an array or object.
func (r *reader) open(want json.Delim) error {
	tok, err := r.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		kind := "an array"
		if want == '{' {
			kind = "an object"
		}
		return fmt.Errorf("at byte %d: want %s, got %s", r.dec.InputOffset(), kind, describe(tok))
	}
	return nil
}

// array walks a JSON array, calling each for every element with the element
// index. The error names the element and the byte offset where it starts.
func (r *reader) array(what string, each func(i int) error) error {
	if err := r.open('['); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for i := 0; r.dec.More(); i++ {
		off := r.dec.InputOffset()
		if err := each(i); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("%s[%d] (starting near byte %d): %w", what, i, off, err)
		}
	}
	if _, err := r.token(); err != nil { // the closing ']'
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// skip reads one value of any kind token by token, keeping none of it.
func (r *reader) skip() error {
	depth := 0
	for {
		tok, err := r.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// end checks that nothing but white space follows the top-level value.
func (r *reader) end() error {
	tok, err := r.dec.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("after the top-level value, at byte %d: %w", r.dec.InputOffset(), err)
	}
	return fmt.Errorf("after the top-level value, at byte %d: unexpected %s", r.dec.InputOffset(), describe(tok))
}

// openFile opens path and runs read on it, naming the file in errors.
func openFile[T any](path, what string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("coco: %s: %w", what, err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, fmt.Errorf("coco: %s %s: %w", what, path, err)
	}
	return v, nil
}

// ReadDataset reads a COCO person-keypoint annotation file. See
// ReadDatasetFrom.
func ReadDataset(path string) (*Dataset, error) {
	return openFile(path, "dataset", ReadDatasetFrom)
}

// imageJSON, annotationJSON and categoryJSON are the decoding scratch structs:
// they record which required fields were present and decode lists into
// slices so that a wrong length is caught instead of silently truncated.
type imageJSON struct {
	ID       jInt   `json:"id"`
	FileName string `json:"file_name"`
	Width    jInt   `json:"width"`
	Height   jInt   `json:"height"`
}

type annotationJSON struct {
	ID           jInt      `json:"id"`
	ImageID      jInt      `json:"image_id"`
	CategoryID   jInt      `json:"category_id"`
	Keypoints    []float64 `json:"keypoints"`
	NumKeypoints jInt      `json:"num_keypoints"`
	BBox         []float64 `json:"bbox"`
	Area         jFloat    `json:"area"`
	IsCrowd      jInt      `json:"iscrowd"`
}

type categoryJSON struct {
	ID            jInt     `json:"id"`
	Name          string   `json:"name"`
	Supercategory string   `json:"supercategory"`
	Keypoints     []string `json:"keypoints"`
	Skeleton      [][]int  `json:"skeleton"`
}

// ReadDatasetFrom reads a COCO person-keypoint annotation file: "images",
// "annotations" (with keypoints, num_keypoints, bbox, area, iscrowd) and
// "categories" are required, "info" is kept, every other key ("licenses",
// and "segmentation" inside annotations) is skipped. An annotation without
// "iscrowd" has iscrowd 0, as pycocotools assumes. The dataset is checked
// with Validate; errors name the offending element and where it starts.
func ReadDatasetFrom(r io.Reader) (*Dataset, error) { return readDataset(r, true, NumKeypoints) }

// ReadKeypointDataset reads a keypoint annotation file whose people have k
// keypoints. See ReadKeypointDatasetFrom.
func ReadKeypointDataset(path string, k int) (*Dataset, error) {
	return openFile(path, "dataset", func(r io.Reader) (*Dataset, error) {
		return ReadKeypointDatasetFrom(r, k)
	})
}

// ReadKeypointDatasetFrom is ReadDatasetFrom for a keypoint set of k
// keypoints: every annotation has k (x, y, v) triples and categories that
// name keypoints name k. With k = 0 any number of keypoints is accepted,
// the same for the whole file: that of the first annotation. The dataset is
// checked with ValidateKeypoints(k).
func ReadKeypointDatasetFrom(r io.Reader, k int) (*Dataset, error) {
	if k < 0 {
		return nil, fmt.Errorf("keypoint count %d is negative", k)
	}
	return readDataset(r, true, k)
}

// ReadInstances reads a COCO instances (object detection) annotation file.
// See ReadInstancesFrom.
func ReadInstances(path string) (*Dataset, error) {
	return openFile(path, "dataset", ReadInstancesFrom)
}

// ReadInstancesFrom reads a COCO instances annotation file, the ground
// truth of box evaluation (instances_val2017.json, or a person-keypoint
// file): as ReadDatasetFrom, but an annotation needs only id, image_id,
// category_id, bbox and area; keypoints and num_keypoints are kept when
// present. "segmentation", "ignore" (which COCOeval overwrites) and other
// keys are skipped. The dataset is checked with ValidateInstances.
func ReadInstancesFrom(r io.Reader) (*Dataset, error) {
	return readDataset(r, false, NumKeypoints)
}

// readDataset is ReadKeypointDatasetFrom, with keypoints optional unless
// needKeypoints (ReadInstancesFrom).
func readDataset(r io.Reader, needKeypoints bool, k int) (*Dataset, error) {
	rd := newReader(r)
	if err := rd.open('{'); err != nil {
		return nil, fmt.Errorf("top level: %w", err)
	}
	d := &Dataset{}
	seen := map[string]bool{}
	var kp slab
	for rd.dec.More() {
		tok, err := rd.token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok { // the decoder itself rejects non-string keys; kept for safety
			return nil, fmt.Errorf("at byte %d: want an object key, got %s", rd.dec.InputOffset(), describe(tok))
		}
		if seen[key] && (key == "images" || key == "annotations" || key == "categories" || key == "info") {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "info":
			if err := rd.dec.Decode(&d.Info); err != nil {
				return nil, fmt.Errorf("info: %w", err)
			}
		case "images":
			err = rd.array("images", func(i int) error {
				var raw imageJSON
				if err := rd.dec.Decode(&raw); err != nil {
					return err
				}
				id, err := need(raw.ID, "id")
				if err != nil {
					return err
				}
				w, h := int(raw.Width.v), int(raw.Height.v)
				if int64(w) != raw.Width.v || int64(h) != raw.Height.v {
					return fmt.Errorf("size %dx%d out of range", raw.Width.v, raw.Height.v)
				}
				d.Images = append(d.Images, Image{ID: id, FileName: raw.FileName, Width: w, Height: h})
				return nil
			})
		case "annotations":
			var raw annotationJSON
			err = rd.array("annotations", func(i int) error {
				raw = annotationJSON{Keypoints: raw.Keypoints[:0], BBox: raw.BBox[:0]}
				if err := rd.dec.Decode(&raw); err != nil {
					return err
				}
				if k == 0 { // the first annotation sets the count
					k = tripleCount(len(raw.Keypoints))
				}
				a, err := raw.annotation(&kp, needKeypoints, k)
				if err != nil {
					return err
				}
				d.Annotations = append(d.Annotations, a)
				return nil
			})
		case "categories":
			err = rd.array("categories", func(i int) error {
				var raw categoryJSON
				if err := rd.dec.Decode(&raw); err != nil {
					return err
				}
				c, err := raw.category()
				d.Categories = append(d.Categories, c)
				return err
			})
		default:
			err = rd.skip()
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := rd.token(); err != nil { // the closing '}'
		return nil, err
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	for _, key := range []string{"images", "annotations", "categories"} {
		if !seen[key] {
			return nil, fmt.Errorf("missing %q", key)
		}
	}
	if err := d.validate(needKeypoints, k); err != nil {
		return nil, err
	}
	return d, nil
}

// annotation converts and checks a decoded annotation, copying its keypoints
// into the slab. Keypoints and num_keypoints are optional unless
// needKeypoints; k is the keypoint count (0: any number of triples).
func (raw *annotationJSON) annotation(kp *slab, needKeypoints bool, k int) (Annotation, error) {
	var a Annotation
	var err error
	if a.ID, err = need(raw.ID, "id"); err != nil {
		return a, err
	}
	if a.ImageID, err = need(raw.ImageID, "image_id"); err != nil {
		return a, err
	}
	if a.CategoryID, err = needInt(raw.CategoryID, "category_id"); err != nil {
		return a, err
	}
	if needKeypoints || raw.NumKeypoints.ok {
		if a.NumKeypoints, err = needInt(raw.NumKeypoints, "num_keypoints"); err != nil {
			return a, err
		}
	}
	if needKeypoints && len(raw.Keypoints) == 0 {
		return a, errors.New(`missing "keypoints"`)
	}
	if len(raw.BBox) != 4 {
		return a, fmt.Errorf("bbox has %d values, want 4 (x, y, width, height)", len(raw.BBox))
	}
	copy(a.BBox[:], raw.BBox)
	if !raw.Area.ok {
		return a, errors.New(`missing "area"`)
	}
	a.Area = raw.Area.v
	if raw.IsCrowd.ok {
		if a.IsCrowd, err = needInt(raw.IsCrowd, "iscrowd"); err != nil {
			return a, err
		}
	}
	a.Keypoints = raw.Keypoints // checked before copying: a wrong length may be huge
	if err := checkAnnotation(&a, needKeypoints, k); err != nil {
		return a, fmt.Errorf("id %d: %w", a.ID, err)
	}
	a.Keypoints = nil
	if len(raw.Keypoints) > 0 {
		a.Keypoints = kp.copyOf(raw.Keypoints)
	}
	return a, nil
}

// category converts a decoded category.
func (raw *categoryJSON) category() (Category, error) {
	c := Category{Name: raw.Name, Supercategory: raw.Supercategory}
	if len(raw.Keypoints) > 0 {
		c.Keypoints = raw.Keypoints
	}
	var err error
	if c.ID, err = needInt(raw.ID, "id"); err != nil {
		return c, err
	}
	for e, edge := range raw.Skeleton {
		if len(edge) != 2 {
			return c, fmt.Errorf("skeleton[%d] has %d values, want 2", e, len(edge))
		}
		c.Skeleton = append(c.Skeleton, [2]int{edge[0], edge[1]})
	}
	return c, nil
}

// ReadResults reads a COCO keypoint results file. See ReadResultsFrom.
func ReadResults(path string) ([]Result, error) {
	return openFile(path, "results", ReadResultsFrom)
}

type resultJSON struct {
	ImageID    jInt      `json:"image_id"`
	CategoryID jInt      `json:"category_id"`
	Keypoints  []float64 `json:"keypoints"`
	Score      jFloat    `json:"score"`
}

// ReadResultsFrom reads keypoint results: a JSON array of objects with
// image_id, category_id, keypoints (17 x, y, score triples) and score, all
// required; other keys are skipped. Each result is checked as
// ValidateResults does; errors name the offending element.
func ReadResultsFrom(r io.Reader) ([]Result, error) { return readResults(r, NumKeypoints) }

// ReadKeypointResults reads keypoint results of a keypoint set of k
// keypoints. See ReadKeypointResultsFrom.
func ReadKeypointResults(path string, k int) ([]Result, error) {
	return openFile(path, "results", func(r io.Reader) ([]Result, error) {
		return ReadKeypointResultsFrom(r, k)
	})
}

// ReadKeypointResultsFrom is ReadResultsFrom for a keypoint set of k
// keypoints: k (x, y, score) triples per result. With k = 0 any number is
// accepted, the same for every result: that of the first. Each result is
// checked as ValidateKeypointResults(k) does.
func ReadKeypointResultsFrom(r io.Reader, k int) ([]Result, error) {
	if k < 0 {
		return nil, fmt.Errorf("keypoint count %d is negative", k)
	}
	return readResults(r, k)
}

// readResults is ReadKeypointResultsFrom.
func readResults(r io.Reader, k int) ([]Result, error) {
	rd := newReader(r)
	var out []Result
	var kp slab
	var raw resultJSON
	err := rd.array("results", func(i int) error {
		raw = resultJSON{Keypoints: raw.Keypoints[:0]}
		if err := rd.dec.Decode(&raw); err != nil {
			return err
		}
		var res Result
		var err error
		if res.ImageID, err = need(raw.ImageID, "image_id"); err != nil {
			return err
		}
		if res.CategoryID, err = needInt(raw.CategoryID, "category_id"); err != nil {
			return err
		}
		if !raw.Score.ok {
			return errors.New(`missing "score"`)
		}
		if len(raw.Keypoints) == 0 {
			return errors.New(`missing "keypoints"`)
		}
		res.Score, res.Keypoints = raw.Score.v, raw.Keypoints
		if k == 0 { // the first result sets the count
			k = tripleCount(len(raw.Keypoints))
		}
		if err := validateResult(&res, k); err != nil {
			return fmt.Errorf("image_id %d: %w", res.ImageID, err)
		}
		res.Keypoints = kp.copyOf(raw.Keypoints)
		out = append(out, res)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadDetections reads a COCO detection results file (person boxes for
// top-down pose estimation), keeping the detections whose score is at least
// minScore. See ReadDetectionsFrom.
func ReadDetections(path string, minScore float64) ([]Detection, error) {
	return openFile(path, "detections", func(r io.Reader) ([]Detection, error) {
		return ReadDetectionsFrom(r, minScore)
	})
}

type detectionJSON struct {
	ImageID    jInt      `json:"image_id"`
	CategoryID jInt      `json:"category_id"`
	BBox       []float64 `json:"bbox"`
	Score      jFloat    `json:"score"`
}

// ReadDetectionsFrom reads detection results: a JSON array of objects with
// image_id, category_id, bbox (x, y, width, height) and score, all
// required; other keys ("segmentation", "area", ...) are skipped. Every
// detection is checked as ValidateDetections does, then those scoring below
// minScore are dropped; all categories are kept, in file order.
func ReadDetectionsFrom(r io.Reader, minScore float64) ([]Detection, error) {
	rd := newReader(r)
	var out []Detection
	var raw detectionJSON
	err := rd.array("detections", func(i int) error {
		raw = detectionJSON{BBox: raw.BBox[:0]}
		if err := rd.dec.Decode(&raw); err != nil {
			return err
		}
		var d Detection
		var err error
		if d.ImageID, err = need(raw.ImageID, "image_id"); err != nil {
			return err
		}
		if d.CategoryID, err = needInt(raw.CategoryID, "category_id"); err != nil {
			return err
		}
		if !raw.Score.ok {
			return errors.New(`missing "score"`)
		}
		if len(raw.BBox) == 0 {
			return errors.New(`missing "bbox"`)
		}
		if len(raw.BBox) != 4 {
			return fmt.Errorf("bbox has %d values, want 4 (x, y, width, height)", len(raw.BBox))
		}
		copy(d.BBox[:], raw.BBox)
		d.Score = raw.Score.v
		if err := validateDetection(&d); err != nil {
			return fmt.Errorf("image_id %d: %w", d.ImageID, err)
		}
		if d.Score >= minScore {
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadBoxResults reads a COCO detection results file for EvaluateBoxes.
// See ReadBoxResultsFrom.
func ReadBoxResults(path string) ([]Detection, error) {
	return openFile(path, "results", ReadBoxResultsFrom)
}

// ReadBoxResultsFrom reads COCO detection results for EvaluateBoxes: a JSON
// array of {"image_id", "category_id", "bbox": [x, y, width, height],
// "score"}, as ReadDetectionsFrom reads it but keeping every detection
// whatever its score. Errors name the offending detection, its index and
// where it starts.
func ReadBoxResultsFrom(r io.Reader) ([]Detection, error) {
	return ReadDetectionsFrom(r, math.Inf(-1))
}
