package ladderpose

import (
	"fmt"
	"image"

	"github.com/ladderpose/ladderpose/pipeline"
)

// The bundled samples, as paths relative to the repository root (for the
// repository's own tests and examples). SampleWeights is a tiny
// random-weight checkpoint (for tests whose numbers do not depend on
// training); DemoWeights is what "ladderpose demo" learnt: a small
// ViTPose-style model pretrained on clean synthetic people with a side
// network tuned on the high-interference set ("ladderpose predict" uses it
// when no -weights is given); DemoPretrained is that model before
// side-tuning (the demo's -quick starts from it). SampleImage is a synthetic
// scene with two people. The command line has the two demo models built in
// (package internal/sample embeds the models), so it finds them from any
// folder; a program of your own can embed a checkpoint likewise and read it
// with LoadBytes.
const (
	SampleWeights  = "internal/sample/vitpose_sample.safetensors"
	DemoWeights    = "internal/sample/demo_model.safetensors"
	DemoPretrained = "internal/sample/demo_pretrained.safetensors"
	SampleImage    = "testdata/sample/people.jpg"
)

// Box is a person box in image pixels, as a detector gives it: top-left
// corner (X, Y), width W and height H, and the detector's confidence Score,
// which scales the person score (SPEC.md section 9). A box drawn by hand
// should have Score 1 (NewBox); a Score of 0 makes every person score 0.
type Box struct {
	X, Y, W, H float64
	Score      float64
}

// NewBox returns the box (x, y, w, h) with Score 1.
func NewBox(x, y, w, h float64) Box { return Box{X: x, Y: y, W: w, H: h, Score: 1} }

// Keypoint is one keypoint: position in image pixels (pixel centres at
// integers) and score, the maximum of its heatmap. Located reports whether
// the position means anything (a maximum <= 0 gives none).
type Keypoint = pipeline.Keypoint

// Frame is the region a person's crop was cut from: centre and padded size
// in image pixels (the box widened to the input's aspect ratio and enlarged
// by 1.25).
type Frame = pipeline.Frame

// Heatmaps are one person's K heatmaps, [K, H/4, W/4] float32.
type Heatmaps = pipeline.Heatmaps

// Pose is one person found in an image.
type Pose struct {
	// Keypoints are the model's keypoints in order (Estimator.Keypoints
	// names them): for COCO models the 17 COCO keypoints (nose, left_eye,
	// right_eye, left_ear, right_ear, left_shoulder, right_shoulder,
	// left_elbow, right_elbow, left_wrist, right_wrist, left_hip,
	// right_hip, left_knee, right_knee, left_ankle, right_ankle), in the
	// coordinates of the image passed in (its Bounds().Min included).
	Keypoints []Keypoint
	// Score is the person score: the box score times the mean of the
	// keypoint scores above 0.2 (0 if none is).
	Score float64
	// Box is the input box and BoxIndex its index in the request's boxes
	// (0 for the whole-image box used when none is given).
	Box      Box
	BoxIndex int
	// Frame is where the crop was taken (in the image's coordinates).
	Frame Frame
	// Fusion is what the side network's adaptive symmetric fusion chose
	// for this person's crop, nil for a model without a side network.
	// FusionFlipped is the same for the mirrored crop of the flip test (nil
	// without the flip test or a side network).
	Fusion, FusionFlipped *Fusion
	// Heatmaps are the person's heatmaps after the flip test, kept only
	// with WithHeatmaps(true).
	Heatmaps *Heatmaps
}

// Fusion describes the data-dependent choice of the adaptive symmetric
// fusion (SPEC.md section 5) for one crop, once for the frequency path and
// once for the spatial path: the cosine similarity of the compressed
// backbone and side features, and the level it selects, the number of
// horizontal strips the 16x12 token grid is split into for cross-attention
// (1 if the similarity is >= 0.75, 2 if >= 0.5, 3 if >= 0.25, else 4).
type Fusion struct {
	LevelFre, LevelSpa int
	SimFre, SimSpa     float64
}

// Request is one image and the person boxes to estimate in it (nil or empty:
// the people the estimator's detector finds, or without one the whole image
// as one box of score 1).
type Request struct {
	Image image.Image
	Boxes []Box
}

// LoadImage reads a JPEG or PNG file into packed 8-bit RGB, with libjpeg's
// chroma upsampling and colour conversion as OpenCV uses them (Go's inverse
// DCT rounds differently from libjpeg's, so a few percent of a JPEG's values
// can differ from cv2.imread's by a level or two), in stored pixel order (an
// EXIF orientation tag is not applied, as COCO's annotations expect).
func LoadImage(path string) (image.Image, error) {
	img, err := pipeline.LoadImage(path)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// Draw returns a copy of img with the poses' skeletons drawn over it, joints
// and limbs whose keypoint scores are above threshold (0.3 is mmpose's
// setting for pictures), with COCO's skeleton; Estimator.Draw draws any
// model's keypoints with the model's skeleton.
func Draw(img image.Image, poses []Pose, threshold float64) *image.RGBA {
	return drawWith(img, poses, threshold, pipeline.COCOKeypoints())
}

// Draw is the package's Draw with the skeleton and body sides of the
// estimator's keypoints (Hugging Face's config.json edges).
func (e *Estimator) Draw(img image.Image, poses []Pose, threshold float64) *image.RGBA {
	return drawWith(img, poses, threshold, e.kps)
}

func drawWith(img image.Image, poses []Pose, threshold float64, ks pipeline.KeypointSet) *image.RGBA {
	min := img.Bounds().Min
	pp := make([]pipeline.Pose, len(poses))
	for i, p := range poses {
		kps := make([]pipeline.Keypoint, len(p.Keypoints))
		for k, kp := range p.Keypoints {
			kps[k] = pipeline.Keypoint{X: kp.X - float64(min.X), Y: kp.Y - float64(min.Y), Score: kp.Score}
		}
		pp[i] = pipeline.Pose{Keypoints: kps, Score: p.Score, BoxScore: p.Box.Score}
	}
	return pipeline.DrawPosesWith(img, pp, threshold, ks)
}

// String formats the box as "[x y w h] score s".
func (b Box) String() string {
	return fmt.Sprintf("[%g %g %g %g] score %g", b.X, b.Y, b.W, b.H, b.Score)
}
