package coco

// This file reproduces the few numpy primitives whose float64 rounding
// pycocotools' results depend on. Every product is wrapped in an explicit
// float64 conversion where an addition follows, so that the compiler cannot
// fuse the two into one FMA (the Go spec allows that on some targets; numpy
// never does it).

// eps is np.spacing(1), the distance from 1.0 to the next float64.
const eps = 0x1p-52

// npBlock is the size of the chunks numpy's reductions hand to the add
// loop for a contiguous float64 array (its buffer size): np.sum adds the
// pairwise sums of consecutive 8192-element blocks from left to right.
const npBlock = 8192

// linspace returns np.linspace(start, stop, num) (endpoint=True, num >= 2)
// computed as numpy computes it: step = (stop-start)/(num-1),
// y[i] = i*step + start, y[num-1] = stop.
func linspace(start, stop float64, num int) []float64 {
	y := make([]float64, num)
	step := (stop - start) / float64(num-1)
	for i := range y {
		y[i] = float64(float64(i)*step) + start
	}
	y[num-1] = stop
	return y
}

// pairwiseSum is numpy's pairwise_sum for float64 (numpy/core/src/umath/
// loops_utils.h.src): below 8 elements a plain left-to-right sum, up to 128
// elements eight interleaved partial sums combined as a tree plus the
// remainder, above that the two halves (split at a multiple of 8) summed
// recursively.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// npSum is np.sum of a contiguous float64 array: the pairwise sums of
// 8192-element blocks, added from left to right to an initial 0.
func npSum(a []float64) float64 {
	res := 0.0
	for len(a) > npBlock {
		res += pairwiseSum(a[:npBlock])
		a = a[npBlock:]
	}
	return res + pairwiseSum(a)
}

// npMean is np.mean of a non-empty contiguous float64 array.
func npMean(a []float64) float64 {
	return npSum(a) / float64(len(a))
}
