package pipeline

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
)

// oksGolden is the layout of the oks_nms.json goldens.
type oksGolden struct {
	VisThr float64   `json:"vis_thr"`
	OKSThr float64   `json:"oks_thr"`
	Sigmas []float64 `json:"sigmas"`
	Images []struct {
		ImageID int `json:"image_id"`
		People  []struct {
			Keypoints [][3]float64 `json:"keypoints"`
			Area      float64      `json:"area"`
			BoxScore  float64      `json:"box_score"`
			Rescored  float64      `json:"rescored"`
		} `json:"people"`
		Keep []int `json:"keep"`
	} `json:"images"`
}

// TestOKSNMSGoldens checks rescoring and OKS-NMS against mmpose's outputs
// (the shared goldens) and against this package's NumPy cases with equal
// scores: rescored scores bit for bit, and the kept indices in order.
func TestOKSNMSGoldens(t *testing.T) {
	for _, path := range []string{
		filepath.Join(sharedDecodeDir, "oks_nms.json"),
		filepath.Join(ownDir, "oks_nms.json"),
	} {
		t.Run(goldenName(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var g oksGolden
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(g.Images) == 0 || len(g.Sigmas) != coco.NumKeypoints {
				t.Fatalf("%s: %d images, %d sigmas", path, len(g.Images), len(g.Sigmas))
			}
			if g.VisThr != RescoreThreshold || g.OKSThr != NMSThreshold {
				t.Errorf("golden thresholds %v, %v differ from RescoreThreshold %v, NMSThreshold %v", g.VisThr, g.OKSThr, RescoreThreshold, NMSThreshold)
			}
			people := 0
			for _, im := range g.Images {
				poses := make([]Pose, len(im.People))
				for i, p := range im.People {
					kps := make([]Keypoint, len(p.Keypoints))
					for k, v := range p.Keypoints {
						kps[k] = Keypoint{X: v[0], Y: v[1], Score: v[2]}
					}
					score := Rescore(kps, p.BoxScore, g.VisThr)
					if score != p.Rescored {
						t.Errorf("image %d person %d: rescored %v, want %v", im.ImageID, i, score, p.Rescored)
					}
					// The golden gives the area; a frame of SW = area, SH = 1
					// has exactly that area.
					poses[i] = Pose{Keypoints: kps, Frame: Frame{SW: p.Area, SH: 1}, BoxScore: p.BoxScore, Score: score}
				}
				people += len(poses)
				for _, sig := range []struct {
					name   string
					sigmas []float64
				}{{"golden sigmas", g.Sigmas}, {"coco.Sigmas", coco.Sigmas[:]}} {
					keep, err := OKSNMS(poses, g.OKSThr, sig.sigmas)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(keep, im.Keep) {
						t.Errorf("image %d with %s: keep %v, want %v", im.ImageID, sig.name, keep, im.Keep)
					}
				}
			}
			t.Logf("%d images, %d people: rescored scores and keep lists identical", len(g.Images), people)
		})
	}
}

func TestOKS(t *testing.T) {
	a := make([]Keypoint, 17)
	for i := range a {
		a[i] = Keypoint{X: float64(10 * i), Y: float64(5 * i), Score: 1}
	}
	if o, err := OKS(a, a, 1000, 1000, coco.Sigmas[:]); err != nil || o != 1 {
		t.Errorf("OKS of a person with itself = %v, %v", o, err)
	}
	// One keypoint moved by d: exp(-d^2 / (2 sigma)^2 / area / 2) / 17 + 16/17.
	b := slices.Clone(a)
	b[5].X += 30
	area := 5000.0
	s := coco.Sigmas[5]
	want := (16 + math.Exp(-900/((2*s)*(2*s))/(area+2.220446049250313e-16)/2)) / 17
	if o, err := OKS(a, b, area, area, coco.Sigmas[:]); err != nil || math.Abs(o-want) > 1e-15 {
		t.Errorf("OKS = %v, %v; want %v", o, err, want)
	}
	if _, err := OKS(a, b[:3], 1, 1, coco.Sigmas[:]); err == nil {
		t.Error("OKS with mismatched keypoints: no error")
	}
}

func TestPairwiseSum(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 17, 128, 129, 300, 1000} {
		x := make([]float64, n)
		want := 0.0
		for i := range x {
			x[i] = float64(i%13) + 0.25
			want += x[i]
		}
		if got := pairwiseSum(x); got != want { // exact: all sums are multiples of 1/4 below 2^50
			t.Errorf("pairwiseSum of %d values = %v, want %v", n, got, want)
		}
	}
	// The order matters for rounding: 1e16 + 1 + ... loses the ones sequentially
	// but numpy's eight partial sums keep some.
	x := []float64{1e16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	want := ((1e16 + 1 + (1 + 1)) + ((1 + 1) + (1 + 1))) + ((1 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1)) + 1
	r := [8]float64{1e16 + 1, 1 + 1, 1 + 1, 1 + 1, 1 + 1, 1 + 1, 1 + 1, 1 + 1}
	want = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7])) + 1
	if got := pairwiseSum(x); got != want {
		t.Errorf("pairwise order: %v, want %v", got, want)
	}
}

func TestRescore(t *testing.T) {
	kps := []Keypoint{{Score: 0.9}, {Score: 0.2}, {Score: 0.5}, {Score: -1}}
	a, b, box := 0.9, 0.5, 0.8
	if got, want := Rescore(kps, box, 0.2), (a+b)/2*box; got != want {
		t.Errorf("Rescore = %v, want %v", got, want)
	}
	if got := Rescore(kps[1:2], 0.8, 0.2); got != 0 {
		t.Errorf("Rescore without keypoints above the threshold = %v", got)
	}
}

func TestOKSNMSErrors(t *testing.T) {
	kps := make([]Keypoint, 17)
	for _, tc := range []struct {
		name  string
		poses []Pose
	}{
		{"keypoints", []Pose{{Keypoints: kps[:3], Frame: Frame{SW: 1, SH: 1}}}},
		{"NaN score", []Pose{{Keypoints: kps, Frame: Frame{SW: 1, SH: 1}, Score: math.NaN()}}},
		{"area", []Pose{{Keypoints: kps, Frame: Frame{SW: math.Inf(1), SH: 1}}}},
	} {
		if _, err := OKSNMS(tc.poses, 0.9, coco.Sigmas[:]); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if keep, err := OKSNMS(nil, 0.9, coco.Sigmas[:]); err != nil || len(keep) != 0 {
		t.Errorf("no people: %v, %v", keep, err)
	}
}
