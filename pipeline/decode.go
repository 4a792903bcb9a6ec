package pipeline

import (
	"fmt"
	"math"
)

// Method selects a heatmap decoder.
type Method int

const (
	// DarkUDP is the default decoder, ViTPose's reported setting: argmax,
	// DARK refinement on the log of the Gaussian-blurred heatmap, and the
	// UDP inverse transform.
	DarkUDP Method = iota
	// Quarter is mmpose's "default" decoder for models trained without UDP:
	// argmax plus a quarter pixel towards the larger neighbour, and the
	// non-UDP inverse transform.
	Quarter
)

// String returns the method's command-line name.
func (m Method) String() string {
	switch m {
	case DarkUDP:
		return "dark-udp"
	case Quarter:
		return "default"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod returns the decoder named s: "dark-udp" or "default".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "dark-udp":
		return DarkUDP, nil
	case "default":
		return Quarter, nil
	}
	return 0, fmt.Errorf("unknown heatmap decoder %q (want dark-udp or default)", s)
}

// Keypoint is one decoded keypoint: image coordinates and score (the
// heatmap's maximum).
type Keypoint struct {
	X, Y, Score float64
}

// Located reports whether the keypoint has a meaningful location: its
// heatmap's maximum is positive. For a keypoint that is not located, X and Y
// are the heatmap's argmax mapped back to the image without refinement.
func (k Keypoint) Located() bool { return k.Score > 0 }

// float32 constants of the DARK refinement (SPEC.md section 9).
const (
	darkClipLo = float32(0.001)
	darkClipHi = float32(50)
	float32Eps = 1.1920929e-07 // numpy's finfo(float32).eps
)

// Decode turns one person's heatmaps into image keypoints (dst[k] for
// heatmap k; len(dst) must be hm.K) with the decoder m and the person's
// crop frame f. Heatmaps holding NaN or infinite values are an error.
//
// DarkUDP follows mmpose's post_dark_udp exactly: argmax (first maximum in
// row-major order) and its value as the score; the heatmap blurred with
// OpenCV's 11x11 Gaussian of sigma 2 (reflect-101 border, float32
// arithmetic in OpenCV's order: only the 3x3 neighbourhood of the argmax is
// computed, which gives the same numbers as blurring the whole map), clipped
// to [0.001, 50], log, one pixel of edge padding; gradient and Hessian by
// finite differences (mmpose's dxy) in float32; the Newton step
// (H + eps I)^-1 g solved in float64; then the UDP inverse transform.
// Quarter follows mmpose's keypoints_from_heatmaps with post_process
// "default". A keypoint whose maximum is <= 0 is not refined (see Located).
func Decode(dst []Keypoint, hm Heatmaps, f Frame, m Method) error {
	if err := hm.Check(); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(dst) != hm.K {
		return fmt.Errorf("decode: %d keypoint slots for %d heatmaps", len(dst), hm.K)
	}
	if err := f.Check(); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if m != DarkUDP && m != Quarter {
		return fmt.Errorf("decode: unknown method %v", m)
	}
	var kernel [11]float32
	if m == DarkUDP {
		if hm.W < 2 || hm.H < 2 {
			return fmt.Errorf("decode: %dx%d heatmaps are too small for the UDP transform (at least 2x2)", hm.W, hm.H)
		}
		kernel = gaussianKernel11()
	}
	for k := range dst {
		h := hm.Map(k)
		px, py, maxv, err := argmax(h, hm.W)
		if err != nil {
			return fmt.Errorf("decode: heatmap %d: %w", k, err)
		}
		x, y := float32(px), float32(py)
		if maxv > 0 {
			switch m {
			case DarkUDP:
				x, y = darkRefine(h, hm.W, hm.H, px, py, &kernel)
			case Quarter:
				x, y = quarterShift(h, hm.W, hm.H, px, py)
			}
		}
		ix, iy := f.FromHeatmap(float64(x), float64(y), hm.W, hm.H, m == DarkUDP)
		dst[k] = Keypoint{X: ix, Y: iy, Score: float64(maxv)}
	}
	return nil
}

// argmax returns the column, row and value of the first maximum of a
// heatmap of width w, or an error if it holds a NaN or an infinity.
func argmax(h []float32, w int) (px, py int, maxv float32, err error) {
	best := 0
	maxv = h[0]
	finite := true
	for i, v := range h {
		if v > maxv {
			best, maxv = i, v
		}
		finite = finite && v-v == 0 // false for NaN and infinities
	}
	if !finite {
		for i, v := range h {
			if v-v != 0 {
				return 0, 0, 0, fmt.Errorf("value %v at row %d, column %d", v, i/w, i%w)
			}
		}
	}
	return best % w, best / w, maxv, nil
}

// quarterShift moves the argmax (px, py) a quarter pixel towards the larger
// neighbour in x and in y, where 1 < px < w-1 and 1 < py < h-1.
func quarterShift(hmap []float32, w, h, px, py int) (float32, float32) {
	x, y := float32(px), float32(py)
	if 1 < px && px < w-1 && 1 < py && py < h-1 {
		dx := hmap[py*w+px+1] - hmap[py*w+px-1]
		dy := hmap[(py+1)*w+px] - hmap[(py-1)*w+px]
		x += sign(dx) * 0.25
		y += sign(dy) * 0.25
	}
	return x, y
}

// sign is numpy's sign for a finite value.
func sign(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// reflect101 maps an index into [0, n) with OpenCV's BORDER_REFLECT_101
// (borderInterpolate: gfedcb|abcdefgh|gfedcba).
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		} else {
			i = 2*n - 2 - i
		}
	}
	return i
}

// fma32 is a float32 fused multiply-add a*b + c with one rounding, as the
// FMA3 instructions of OpenCV's filters compute it: the product of two
// float32 values is exact in float64, so only the sum is rounded there
// before the rounding to float32.
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}

// blurAt is the value at (x, y) of the heatmap blurred by OpenCV's
// GaussianBlur (CV_32F, ksize 11): a row pass over x-5..x+5 with
// reflect-101 borders (RowVec_32f: a chain of FMAs from the leftmost tap),
// then the symmetric column pass over rows y-5..y+5 (SymmColumnVec_32f:
// centre tap times its weight, then for each distance d the sum of the rows
// at +d and -d, fused-multiplied and added).
func blurAt(hmap []float32, w, h, x, y int, k *[11]float32) float32 {
	var rows [11]float32
	for j := 0; j < 11; j++ {
		row := hmap[reflect101(y+j-5, h)*w:]
		var s float32
		for i := 0; i < 11; i++ {
			s = fma32(row[reflect101(x+i-5, w)], k[i], s)
		}
		rows[j] = s
	}
	s := float32(float64(rows[5]) * float64(k[5]))
	for d := 1; d <= 5; d++ {
		s = fma32(rows[5+d]+rows[5-d], k[5+d], s)
	}
	return s
}

// logBlurAt is the clipped log of the blurred heatmap at (x, y), clamped
// into the map (the edge padding of post_dark_udp).
func logBlurAt(hmap []float32, w, h, x, y int, k *[11]float32) float32 {
	x = min(max(x, 0), w-1)
	y = min(max(y, 0), h-1)
	v := blurAt(hmap, w, h, x, y, k)
	v = min(max(v, darkClipLo), darkClipHi)
	return float32(math.Log(float64(v)))
}

// darkRefine is post_dark_udp for one keypoint with argmax (px, py).
func darkRefine(hmap []float32, w, h, px, py int, k *[11]float32) (float32, float32) {
	L := func(du, dv int) float32 { return logBlurAt(hmap, w, h, px+du, py+dv, k) }
	i0 := L(0, 0)
	ix1, ix1m := L(1, 0), L(-1, 0)
	iy1, iy1m := L(0, 1), L(0, -1)
	ix1y1, ix1my1m := L(1, 1), L(-1, -1)

	dx := 0.5 * (ix1 - ix1m)
	dy := 0.5 * (iy1 - iy1m)
	dxx := ix1 - 2*i0 + ix1m
	dyy := iy1 - 2*i0 + iy1m
	dxy := 0.5 * (ix1y1 - ix1 - iy1 + i0 + i0 - ix1m - iy1m + ix1my1m)

	a := float64(dxx) + float32Eps
	b := float64(dxy)
	d := float64(dyy) + float32Eps
	det := a*d - b*b
	x, y := float32(px), float32(py)
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return x, y // singular Hessian: no refinement
	}
	ox := (d*float64(dx) - b*float64(dy)) / det
	oy := (a*float64(dy) - b*float64(dx)) / det
	if math.IsNaN(ox) || math.IsNaN(oy) || math.IsInf(ox, 0) || math.IsInf(oy, 0) {
		return x, y
	}
	return float32(float64(x) - ox), float32(float64(y) - oy)
}
