package pipeline

import (
	"fmt"
	"math"
	"sort"
)

// mmpose's test settings for rescoring and OKS non-maximum suppression.
const (
	RescoreThreshold = 0.2 // keypoint scores above this count in the person score
	NMSThreshold     = 0.9 // OKS above which a lower-scored person is dropped
)

// Pose is one person's result in an image: its box, the frame its crop was
// taken from, the decoded keypoints and its scores.
type Pose struct {
	Box       Box
	Frame     Frame
	Keypoints []Keypoint
	BoxScore  float64 // the detector's score for Box
	Score     float64 // the person score after rescoring
}

// Rescore is mmpose's person score: the mean of the keypoint scores above
// threshold times boxScore, or 0 if no keypoint score is above it. The mean
// is numpy's (pairwise summation), as the shared goldens compute it;
// mmpose's own loop adds in keypoint order, which can differ in the last
// bit.
func Rescore(kps []Keypoint, boxScore, threshold float64) float64 {
	var buf [32]float64
	above := buf[:0]
	for _, k := range kps {
		if k.Score > threshold {
			above = append(above, k.Score)
		}
	}
	mean := 0.0
	if len(above) != 0 {
		mean = pairwiseSum(above) / float64(len(above))
	}
	return mean * boxScore
}

// OKS is the object keypoint similarity that mmpose's oks_nms uses between
// two people a and b with areas areaA and areaB: the mean over all
// keypoints of exp(-e), e = d^2 / (2 sigma)^2 / ((areaA + areaB)/2 +
// 2^-52) / 2 with d the distance between the two people's keypoints. The
// mean is summed in numpy's pairwise order.
func OKS(a, b []Keypoint, areaA, areaB float64, sigmas []float64) (float64, error) {
	if len(a) != len(b) || len(a) != len(sigmas) || len(a) == 0 {
		return 0, fmt.Errorf("oks: %d and %d keypoints with %d sigmas", len(a), len(b), len(sigmas))
	}
	terms := make([]float64, len(a))
	return oks(a, b, areaA, areaB, sigmas, terms), nil
}

// oks is OKS without checks; terms is scratch of len(a) values.
func oks(a, b []Keypoint, areaA, areaB float64, sigmas, terms []float64) float64 {
	const spacing1 = 2.220446049250313e-16 // np.spacing(1)
	area := (areaA+areaB)/2 + spacing1
	for i := range a {
		v := (sigmas[i] * 2) * (sigmas[i] * 2)
		dx := b[i].X - a[i].X
		dy := b[i].Y - a[i].Y
		e := (dx*dx + dy*dy) / v / area / 2
		terms[i] = math.Exp(-e)
	}
	return pairwiseSum(terms) / float64(len(terms))
}

// pairwiseSum adds values in the order of numpy's pairwise summation for
// float64 (eight interleaved partial sums within blocks of up to 128 values,
// halves above that).
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += x[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	}
	m := n / 2
	m -= m % 8
	return pairwiseSum(x[:m]) + pairwiseSum(x[m:])
}

// OKSNMS is mmpose's oks_nms over the people of one image: take them in
// order of decreasing Score (equal scores: later index first, as numpy's
// reversed argsort orders them), keep the first, drop every remaining
// person whose OKS with it (all keypoints, areas Frame.Area()) exceeds
// threshold, and repeat. The OKS is compared in float32, as mmpose stores
// it. It returns the kept indices in the order they were picked.
func OKSNMS(poses []Pose, threshold float64, sigmas []float64) ([]int, error) {
	for i, p := range poses {
		if len(p.Keypoints) != len(sigmas) || len(sigmas) == 0 {
			return nil, fmt.Errorf("oks nms: person %d has %d keypoints, %d sigmas", i, len(p.Keypoints), len(sigmas))
		}
		if math.IsNaN(p.Score) {
			return nil, fmt.Errorf("oks nms: person %d has score NaN", i)
		}
		if a := p.Frame.Area(); math.IsNaN(a) || math.IsInf(a, 0) || a < 0 {
			return nil, fmt.Errorf("oks nms: person %d has area %v", i, a)
		}
	}
	order := make([]int, len(poses))
	for i := range order {
		order[i] = len(poses) - 1 - i
	}
	sort.SliceStable(order, func(i, j int) bool { return poses[order[i]].Score > poses[order[j]].Score })
	thr := float32(threshold)
	terms := make([]float64, len(sigmas))
	keep := []int{}
	for len(order) > 0 {
		i := order[0]
		keep = append(keep, i)
		rest := order[:0]
		for _, j := range order[1:] {
			o := oks(poses[i].Keypoints, poses[j].Keypoints, poses[i].Frame.Area(), poses[j].Frame.Area(), sigmas, terms)
			if float32(o) <= thr {
				rest = append(rest, j)
			}
		}
		order = rest
	}
	return keep, nil
}
