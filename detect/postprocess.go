package detect

import (
	"fmt"
	"math"
	"slices"
)

// Detection is one detected object in an image's pixel coordinates.
type Detection struct {
	Box   [4]float64 // x0, y0, x1, y1 in pixels of the target size
	Score float64    // sigmoid of the class logit
	Label int        // class index
	Name  string     // the class name (config id2label), "" when not known
	Query int        // the decoder query it comes from
}

// postprocess is Hugging Face's RTDetrImageProcessor.post_process_object_detection
// with use_focal_loss=True, on the last layer's logits [B, Q, C] and boxes
// [B, Q, 4] (cx, cy, w, h in [0, 1]): for each image, the scores
// sigmoid(logits) flattened over Q x C, the top maxDet of them (HF: k = Q;
// maxDet <= 0 means Q, and at most Q*C), label = index % C and query =
// index / C, the query's box turned into corners (cx - w/2, cy - h/2,
// cx + w/2, cy + h/2) and scaled by the image's target size {height, width}
// (x by the width, y by the height), and only those with score > threshold
// kept, best first. Ranking is by logit (the same order as the score);
// equal logits rank by flattened index, lower first. Scores and boxes are
// computed in float64 from the float32 outputs. names (may be nil) gives each
// label's Name.
func postprocess(logits, boxes []float32, b, q, c int, targetSizes [][2]int, threshold float64, maxDet int, names []string) ([][]Detection, error) {
	if b <= 0 || q <= 0 || c <= 0 {
		return nil, fmt.Errorf("detect: postprocess: batch %d, queries %d, classes %d: want all positive", b, q, c)
	}
	if len(logits) != b*q*c {
		return nil, fmt.Errorf("detect: postprocess: %d logits, want [%d, %d, %d] = %d", len(logits), b, q, c, b*q*c)
	}
	if len(boxes) != b*q*4 {
		return nil, fmt.Errorf("detect: postprocess: %d box values, want [%d, %d, 4] = %d", len(boxes), b, q, b*q*4)
	}
	if len(targetSizes) != b {
		return nil, fmt.Errorf("detect: postprocess: %d target sizes for %d images", len(targetSizes), b)
	}
	for i, ts := range targetSizes {
		if ts[0] <= 0 || ts[1] <= 0 {
			return nil, fmt.Errorf("detect: postprocess: target size %d is %dx%d", i, ts[0], ts[1])
		}
	}
	if math.IsNaN(threshold) {
		return nil, fmt.Errorf("detect: postprocess: threshold is NaN")
	}
	k := maxDet
	if k <= 0 {
		k = q
	}
	k = min(k, q*c)

	res := make([][]Detection, b)
	order := make([]int, q*c)
	for i := 0; i < b; i++ {
		lg := logits[i*q*c : (i+1)*q*c]
		for j := range order {
			order[j] = j
		}
		slices.SortFunc(order, func(x, y int) int {
			switch {
			case scoreAbove(lg[x], lg[y]):
				return -1
			case scoreAbove(lg[y], lg[x]):
				return 1
			}
			return x - y
		})
		h, w := float64(targetSizes[i][0]), float64(targetSizes[i][1])
		var dets []Detection
		for _, idx := range order[:k] {
			score := 1 / (1 + math.Exp(-float64(lg[idx])))
			if !(score > threshold) {
				continue
			}
			label, query := idx%c, idx/c
			bx := boxes[(i*q+query)*4:]
			cx, cy, bw, bh := float64(bx[0]), float64(bx[1]), float64(bx[2]), float64(bx[3])
			det := Detection{
				Box:   [4]float64{(cx - 0.5*bw) * w, (cy - 0.5*bh) * h, (cx + 0.5*bw) * w, (cy + 0.5*bh) * h},
				Score: score, Label: label, Query: query,
			}
			if label < len(names) {
				det.Name = names[label]
			}
			dets = append(dets, det)
		}
		res[i] = dets
	}
	return res, nil
}
