package pipeline

import (
	"fmt"
	"math"
)

// Heatmaps are K heatmaps of H x W values, keypoint after keypoint and row
// after row ([K, H, W] float32), as the network's head produces them for one
// person.
type Heatmaps struct {
	K, H, W int
	Data    []float32
}

// Check reports heatmaps whose sizes are not positive or whose buffer does
// not hold K*H*W values.
func (hm Heatmaps) Check() error {
	if hm.K <= 0 || hm.H <= 0 || hm.W <= 0 {
		return fmt.Errorf("heatmaps [%d, %d, %d]: sizes must be positive", hm.K, hm.H, hm.W)
	}
	if len(hm.Data) != hm.K*hm.H*hm.W {
		return fmt.Errorf("heatmaps [%d, %d, %d]: buffer holds %d values, want %d", hm.K, hm.H, hm.W, len(hm.Data), hm.K*hm.H*hm.W)
	}
	return nil
}

// Map returns keypoint k's heatmap, H*W values row after row.
func (hm Heatmaps) Map(k int) []float32 {
	n := hm.H * hm.W
	return hm.Data[k*n : (k+1)*n]
}

// FlipPairs are the left/right pairs of the COCO keypoints (0-based) that
// the flip test swaps.
var FlipPairs = [8][2]int{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}}

// flipPermutation returns, for each keypoint k, the keypoint whose heatmap
// the mirrored input produces for it.
func flipPermutation(k int, pairs [][2]int) ([]int, error) {
	perm := make([]int, k)
	for i := range perm {
		perm[i] = i
	}
	seen := make([]bool, k)
	for _, p := range pairs {
		a, b := p[0], p[1]
		if a < 0 || b < 0 || a >= k || b >= k || a == b || seen[a] || seen[b] {
			return nil, fmt.Errorf("flip pair (%d, %d) is invalid for %d keypoints", a, b, k)
		}
		seen[a], seen[b] = true, true
		perm[a], perm[b] = b, a
	}
	return perm, nil
}

// MergeFlipped completes the flip test: it mirrors the heatmaps of the
// flipped crop back horizontally, swaps the left/right pairs, and replaces
// hm by the average (hm + flipped back) * 0.5 (mmpose's flip_back without
// shift, as UDP makes the flip exact). flipped is left unchanged.
func MergeFlipped(hm, flipped Heatmaps, pairs [][2]int) error {
	if err := hm.Check(); err != nil {
		return fmt.Errorf("flip test: %w", err)
	}
	if err := flipped.Check(); err != nil {
		return fmt.Errorf("flip test: flipped %w", err)
	}
	if hm.K != flipped.K || hm.H != flipped.H || hm.W != flipped.W {
		return fmt.Errorf("flip test: heatmaps [%d, %d, %d] and flipped [%d, %d, %d] differ", hm.K, hm.H, hm.W, flipped.K, flipped.H, flipped.W)
	}
	perm, err := flipPermutation(hm.K, pairs)
	if err != nil {
		return fmt.Errorf("flip test: %w", err)
	}
	w := hm.W
	for k := 0; k < hm.K; k++ {
		dst, src := hm.Map(k), flipped.Map(perm[k])
		for y := 0; y < hm.H; y++ {
			d := dst[y*w : y*w+w]
			s := src[y*w : y*w+w]
			for x := range d {
				d[x] = (d[x] + s[w-1-x]) * 0.5
			}
		}
	}
	return nil
}

// gaussianKernel11 returns the 11-tap Gaussian kernel of OpenCV's
// GaussianBlur for ksize 11 and sigma 0 (so sigma = 0.3*((11-1)/2 - 1) + 0.8
// = 2), computed like cv::getGaussianKernel (in float64, normalised to sum
// 1, symmetric) and rounded to float32 as OpenCV does for a CV_32F image.
func gaussianKernel11() [11]float32 {
	const n = 11
	sigma := float64(n)*0.15 + 0.35
	scale2X := -0.125 / (sigma * sigma)
	var values [n / 2]float64
	sum := 0.0
	for i, x := 0, 1-n; i < n/2; i, x = i+1, x+2 {
		values[i] = math.Exp(float64(x*x) * scale2X)
		sum += values[i]
	}
	sum = sum*2 + 1
	mul := 1 / sum
	var k [n]float32
	for i, v := range values {
		k[i] = float32(v * mul)
		k[n-1-i] = k[i]
	}
	k[n/2] = float32(mul)
	return k
}
