package pipeline

import (
	"strings"
	"unicode"

	"github.com/ladderpose/ladderpose/coco"
)

// KeypointSet describes the keypoints a model predicts: what the flip test,
// OKS and drawing need to know about them.
type KeypointSet struct {
	// Names are the keypoints' names in heatmap order (empty strings for
	// an unnamed set).
	Names []string
	// FlipPairs are the left/right pairs (0-based) that swap when a crop
	// is mirrored; nil when none can be derived from the names.
	FlipPairs [][2]int
	// Skeleton lists the pairs of keypoints (0-based) a drawing joins.
	Skeleton [][2]int
	// Sides are each keypoint's body side for drawing colours: 0 centre,
	// 1 left, 2 right.
	Sides []int
	// Sigmas are the per-keypoint OKS constants; nil when unknown.
	Sigmas []float64
	// COCO reports whether these are COCO's 17 person keypoints in COCO's
	// order.
	COCO bool
}

// COCOKeypoints returns COCO's 17 person keypoints: names, FlipPairs,
// skeleton and sigmas.
func COCOKeypoints() KeypointSet {
	ks := KeypointSet{Names: append([]string(nil), coco.KeypointNames[:]...), Sigmas: append([]float64(nil), coco.Sigmas[:]...), COCO: true}
	for _, p := range FlipPairs {
		ks.FlipPairs = append(ks.FlipPairs, p)
	}
	for _, l := range coco.Skeleton {
		ks.Skeleton = append(ks.Skeleton, [2]int{l[0] - 1, l[1] - 1})
	}
	ks.Sides = make([]int, coco.NumKeypoints)
	for k := range ks.Sides {
		ks.Sides[k] = side(k)
	}
	return ks
}

// NewKeypointSet describes k keypoints with the given names (nil: unnamed)
// and skeleton (nil: COCO's for COCO's keypoints, none otherwise). Names
// that are COCO's 17 keypoints in order, in any spelling that canonicalises
// to them (Hugging Face's "L_Eye", mmpose's "left_eye"), make the COCO set.
// Otherwise left/right pairs and sides come from the names (see
// CanonicalKeypointName), and Sigmas is nil. An unnamed set of 17 is
// taken to be COCO's.
func NewKeypointSet(k int, names []string, skeleton [][2]int) KeypointSet {
	if (len(names) == 0 && k == coco.NumKeypoints) || isCOCO(names) {
		ks := COCOKeypoints()
		if len(skeleton) > 0 {
			ks.Skeleton = append([][2]int(nil), skeleton...)
		}
		if len(names) > 0 {
			ks.Names = append([]string(nil), names...)
		}
		return ks
	}
	ks := KeypointSet{Names: make([]string, k), Sides: make([]int, k), Skeleton: append([][2]int(nil), skeleton...)}
	copy(ks.Names, names)
	canon := make([]string, k)
	index := map[string]int{}
	for i, n := range ks.Names {
		canon[i] = CanonicalKeypointName(n)
		if canon[i] != "" {
			if _, dup := index[canon[i]]; !dup {
				index[canon[i]] = i
			}
		}
	}
	for i, c := range canon {
		s, sw := sideOf(c)
		if s == 0 {
			continue
		}
		j, ok := index[sw]
		if !ok || j == i {
			continue
		}
		ks.Sides[i] = s
		if i < j {
			ks.FlipPairs = append(ks.FlipPairs, [2]int{i, j})
		}
	}
	return ks
}

func isCOCO(names []string) bool {
	if len(names) != coco.NumKeypoints {
		return false
	}
	for i, n := range names {
		if CanonicalKeypointName(n) != coco.KeypointNames[i] {
			return false
		}
	}
	return true
}

// CanonicalKeypointName lower-cases a keypoint name and splits it into
// words at non-letters, non-digits and lower-to-upper case changes, joined
// by "_", with the words "l" and "r" spelt "left" and "right": "L_Eye",
// "left-eye", "LeftEye" and "left_eye" are all "left_eye".
func CanonicalKeypointName(name string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				flush()
			}
			cur = append(cur, unicode.ToLower(r))
		default:
			flush()
		}
		prev = r
	}
	flush()
	for i, w := range words {
		switch w {
		case "l":
			words[i] = "left"
		case "r":
			words[i] = "right"
		}
	}
	return strings.Join(words, "_")
}

// sideOf returns the side of a canonical name (1 left, 2 right, 0 neither:
// no word "left" or "right", or both) and the name of its mirror image.
// Names of one word starting with "l" or "r" ("lshoulder") are taken as
// sided too; they only pair when the mirrored name exists.
func sideOf(c string) (int, string) {
	words := strings.Split(c, "_")
	s := 0
	for i, w := range words {
		switch w {
		case "left", "right":
			if s != 0 {
				return 0, ""
			}
			s = 1
			words[i] = "right"
			if w == "right" {
				s = 2
				words[i] = "left"
			}
		}
	}
	if s != 0 {
		return s, strings.Join(words, "_")
	}
	if len(words) == 1 && len(c) > 1 {
		switch c[0] {
		case 'l':
			return 1, "r" + c[1:]
		case 'r':
			return 2, "l" + c[1:]
		}
	}
	return 0, ""
}
