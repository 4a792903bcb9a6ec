package detect

import (
	"math"

	"github.com/ladderpose/ladderpose/ops"
)

// Multi-scale deformable attention, the sampling core of the decoder's
// cross-attention: Hugging Face's multi_scale_deformable_attention (the
// PyTorch path of RTDetrMultiscaleDeformableAttention) with 4-d reference
// boxes. For a query row r of batch item b and a head h,
//
//	loc[l,p]  = ref_xy + off[h,l,p] / P * ref_wh * 0.5          (normalised, [0,1] inside the map)
//	out[h]    = sum over l, p of attn[h,l,p] * sample(value_l[h], loc[l,p])
//
// where sample is PyTorch's grid_sample(mode="bilinear",
// padding_mode="zeros", align_corners=False) at grid = 2*loc - 1, i.e. at
// pixel coordinates ix = ((grid_x + 1) * W - 1) / 2 (= loc_x*W - 0.5) and
// likewise iy: the four neighbours (nw, ne, sw, se) weighted by the bilinear
// weights, a neighbour outside the map counting as zero.
//
// Each (row, head) pair is one independent task: its sample points become a
// list of taps (value row offset, weight = attn * bilinear weight), and a row
// kernel (deformGather) sums the weighted value rows into the head's output
// slice. The taps are visited in the order (level, point, nw, ne, sw, se),
// one channel at a time in that fixed order, so the result does not depend on
// the number of workers.

// deformGeom describes the value maps of one deformable attention call.
type deformGeom struct {
	heads, hd int      // value rows hold heads*hd channels, head h in columns h*hd..(h+1)*hd-1
	points    int      // sampling points per level and head
	shapes    [][2]int // {h, w} per level, finest first
	starts    []int    // first row of each level in one batch item's flattened sequence
	seq       int      // rows per batch item: the sum of h*w
}

// deformTapBuf is the number of taps gathered before a row kernel call.
const deformTapBuf = 64

// deformAttn computes the multi-scale deformable attention of nq query rows
// per batch item:
//
//	out   [B*nq, heads*hd]                   written (every element)
//	value [B*seq, heads*hd]                  value_proj output, levels concatenated, each row-major (y, x)
//	ref   [B*nq, 4]                          reference boxes cx, cy, w, h (after sigmoid)
//	off   [B*nq, heads, levels, points, 2]   sampling_offsets output (x, y)
//	attn  [B*nq, heads, levels*points]       attention weights after the softmax (see softmax)
//
// With softmax set, attn holds the attention_weights logits and each
// (row, head) segment is replaced by its softmax first (in place).
func deformAttn(out, value, ref, off, attn []float32, g *deformGeom, batch, nq int, softmax bool) {
	levels, points := len(g.shapes), g.points
	d := g.heads * g.hd
	ops.ParallelFor(batch*nq*g.heads, 8, func(lo, hi int) {
		var offs [deformTapBuf]int
		var ws [deformTapBuf]float32
		for t := lo; t < hi; t++ {
			r, h := t/g.heads, t%g.heads
			b := r / nq
			dst := out[r*d+h*g.hd : r*d+(h+1)*g.hd]
			clear(dst)
			rx, ry := float64(ref[4*r]), float64(ref[4*r+1])
			rw, rh := float64(ref[4*r+2]), float64(ref[4*r+3])
			o := off[(r*g.heads+h)*levels*points*2:]
			a := attn[(r*g.heads+h)*levels*points:][:levels*points]
			if softmax {
				softmaxRow(a)
			}
			n := 0
			finite := true
			for l := 0; l < levels; l++ {
				hl, wl := g.shapes[l][0], g.shapes[l][1]
				base := (b*g.seq + g.starts[l]) * d
				for p := 0; p < points; p++ {
					k := l*points + p
					// HF: reference_points[..., :2] + sampling_offsets / n_points * reference_points[..., 2:] * 0.5
					lx := rx + float64(o[2*k])/float64(points)*rw*0.5
					ly := ry + float64(o[2*k+1])/float64(points)*rh*0.5
					ix, iy := gridSampleCoord(lx, wl), gridSampleCoord(ly, hl)
					finite = finite && !math.IsNaN(ix) && !math.IsInf(ix, 0) && !math.IsNaN(iy) && !math.IsInf(iy, 0)
					if n+4 > deformTapBuf {
						deformGather(dst, value, offs[:n], ws[:n])
						n = 0
					}
					n = deformTaps(offs[:], ws[:], n, ix, iy, hl, wl, float64(a[k]), base, d, h*g.hd)
				}
			}
			deformGather(dst, value, offs[:n], ws[:n])
			if !finite {
				// grid_sample's bilinear weights are NaN at a non-finite
				// location, and so is the sum.
				for c := range dst {
					dst[c] = float32(math.NaN())
				}
			}
		}
	})
}

// gridSampleCoord maps a normalised location loc (0 and 1 are the outer
// edges of the map) of a map of size n to grid_sample's pixel coordinate with
// align_corners=False: grid = 2*loc - 1, then ((grid + 1) * n - 1) / 2.
func gridSampleCoord(loc float64, n int) float64 {
	grid := 2*loc - 1
	return ((grid+1)*float64(n) - 1) / 2
}

// deformTaps appends to offs/ws (from index n) the in-map neighbours of the
// pixel coordinate (ix, iy) of an h x w map, in grid_sample's order nw, ne,
// sw, se, each with weight a * its bilinear weight and the offset of its
// value slice: base + (y*w + x)*ld + col. It returns the new count.
// Coordinates outside [-1, w] x [-1, h] have no neighbour inside the map
// and add nothing (NaN ones neither: the caller makes the output NaN).
func deformTaps(offs []int, ws []float32, n int, ix, iy float64, h, w int, a float64, base, ld, col int) int {
	if !(ix >= -1 && ix <= float64(w) && iy >= -1 && iy <= float64(h)) {
		return n
	}
	fx, fy := math.Floor(ix), math.Floor(iy)
	x0, y0 := int(fx), int(fy)
	// PyTorch: nw = (ix_se - ix) * (iy_se - iy), ne = (ix - ix_sw) * (iy_sw - iy),
	// sw = (ix_ne - ix) * (iy - iy_ne), se = (ix - ix_nw) * (iy - iy_nw).
	ex, ey := fx+1-ix, fy+1-iy // distances to the far (east/south) neighbours
	dx, dy := ix-fx, iy-fy     // distances to the near (west/north) neighbours
	corner := func(x, y int, wt float64) {
		if x >= 0 && x < w && y >= 0 && y < h {
			offs[n] = base + (y*w+x)*ld + col
			ws[n] = float32(a * wt)
			n++
		}
	}
	corner(x0, y0, ex*ey)
	corner(x0+1, y0, dx*ey)
	corner(x0, y0+1, ex*dy)
	corner(x0+1, y0+1, dx*dy)
	return n
}

// deformGather is the row kernel: dst[c] += sum over t of ws[t] *
// src[offs[t]+c] for every c < len(dst), the taps added one after the other
// in order, each product rounded before it is added. It runs the AVX2
// kernel (deformGatherAVX2) on the channels up to the last multiple of 8
// where the CPU has it, and deformGatherGeneric on the rest; both give the
// same bits.
func deformGather(dst, src []float32, offs []int, ws []float32) {
	n := len(dst)
	ws = ws[:len(offs)]
	body := n &^ 7
	if !useDeformAVX2 || body == 0 {
		deformGatherGeneric(dst, src, offs, ws)
		return
	}
	for _, o := range offs {
		_ = src[o : o+n] // the bounds the plain loop would check
	}
	deformGatherAVX2(dst[:body], src, offs, ws)
	if body < n {
		deformGatherGeneric(dst[body:], src[body:], offs, ws)
	}
}

// deformGatherGeneric is deformGather in plain Go: an axpy per tap.
func deformGatherGeneric(dst, src []float32, offs []int, ws []float32) {
	n := len(dst)
	ws = ws[:len(offs)]
	for t, o := range offs {
		w := ws[t]
		v := src[o : o+n]
		v = v[:len(dst)] // one bounds check here, none in the loop
		for c, x := range v {
			dst[c] += w * x
		}
	}
}

// softmaxRow replaces x by its softmax, exp(x - max) / sum, computed in
// float64 and rounded once per value. A row holding NaN, or only -Inf,
// becomes all NaN (as in PyTorch).
func softmaxRow(x []float32) {
	m := math.Inf(-1)
	for _, v := range x {
		if v != v {
			m = math.NaN()
			break
		}
		m = max(m, float64(v))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v)-m) / sum)
	}
}
