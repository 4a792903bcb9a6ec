package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gridSample64 is a direct float64 transcription of PyTorch's
// grid_sampler_2d (CPU, mode="bilinear", padding_mode="zeros",
// align_corners=False) at one grid point (gx, gy) of one channel of an
// h x w image at(y, x): unnormalize, the four neighbours with their weights,
// each neighbour outside the image read as zero (its weight still applied,
// as the vectorised kernel's masked gather does).
func gridSample64(at func(y, x int) float64, h, w int, gx, gy float64) float64 {
	ix := ((gx+1)*float64(w) - 1) / 2
	iy := ((gy+1)*float64(h) - 1) / 2
	ixNW, iyNW := math.Floor(ix), math.Floor(iy)
	ixNE, iyNE := ixNW+1, iyNW
	ixSW, iySW := ixNW, iyNW+1
	ixSE, iySE := ixNW+1, iyNW+1
	nw := (ixSE - ix) * (iySE - iy)
	ne := (ix - ixSW) * (iySW - iy)
	sw := (ixNE - ix) * (iy - iyNE)
	se := (ix - ixNW) * (iy - iyNW)
	val := func(fx, fy float64) float64 {
		x, y := cvtToInt64(fx), cvtToInt64(fy)
		if x >= 0 && x < int64(w) && y >= 0 && y < int64(h) {
			return at(int(y), int(x))
		}
		return 0
	}
	return val(ixNW, iyNW)*nw + val(ixNE, iyNE)*ne + val(ixSW, iySW)*sw + val(ixSE, iySE)*se
}

// cvtToInt64 is the x86 float-to-int64 conversion PyTorch's cast performs:
// NaN and out-of-range values give the smallest int64.
func cvtToInt64(f float64) int64 {
	if math.IsNaN(f) || f >= 9.2e18 || f <= -9.2e18 {
		return math.MinInt64
	}
	return int64(f)
}

// deformRef64 is Hugging Face's multi-scale deformable attention in float64:
// sampling_locations = ref_xy + off / P * ref_wh * 0.5, grid = 2*loc - 1,
// grid_sample per level and head, weighted by attn and summed.
func deformRef64(value, ref, off, attn []float32, g *deformGeom, batch, nq int) []float64 {
	d := g.heads * g.hd
	levels := len(g.shapes)
	lp := levels * g.points
	out := make([]float64, batch*nq*d)
	for r := 0; r < batch*nq; r++ {
		b := r / nq
		for h := 0; h < g.heads; h++ {
			for c := 0; c < g.hd; c++ {
				var sum float64
				for l := 0; l < levels; l++ {
					hl, wl := g.shapes[l][0], g.shapes[l][1]
					at := func(y, x int) float64 {
						return float64(value[(b*g.seq+g.starts[l]+y*wl+x)*d+h*g.hd+c])
					}
					for p := 0; p < g.points; p++ {
						k := ((r*g.heads+h)*levels+l)*g.points + p
						lx := float64(ref[4*r]) + float64(off[2*k])/float64(g.points)*float64(ref[4*r+2])*0.5
						ly := float64(ref[4*r+1]) + float64(off[2*k+1])/float64(g.points)*float64(ref[4*r+3])*0.5
						s := gridSample64(at, hl, wl, 2*lx-1, 2*ly-1)
						sum += float64(attn[(r*g.heads+h)*lp+l*g.points+p]) * s
					}
				}
				out[r*d+h*g.hd+c] = sum
			}
		}
	}
	return out
}

// newGeom returns the geometry of levels of the given sizes.
func newGeom(heads, hd, points int, shapes [][2]int) *deformGeom {
	g := &deformGeom{heads: heads, hd: hd, points: points, shapes: shapes}
	for _, s := range shapes {
		g.starts = append(g.starts, g.seq)
		g.seq += s[0] * s[1]
	}
	return g
}

// TestDeformAttnMatchesGridSample checks the kernel against the float64
// transcription on ragged map sizes, with sampling points inside the maps,
// outside them, exactly on pixel centres and on the borders (loc 0 and 1,
// pixel coordinates -1, -0.5, 0, w-1, w-0.5, w), and far away.
func TestDeformAttnMatchesGridSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		heads, hd, points, batch, nq int
		shapes                       [][2]int
	}{
		{2, 3, 2, 1, 5, [][2]int{{1, 1}}},
		{3, 5, 4, 2, 7, [][2]int{{7, 5}, {4, 3}, {2, 1}}},
		{8, 16, 4, 2, 13, [][2]int{{16, 16}, {8, 8}, {4, 4}}},
		{1, 17, 3, 1, 9, [][2]int{{5, 13}, {3, 7}, {1, 4}, {1, 1}}},
		// More taps than one gather buffer: 6 levels * 4 points * 4 corners = 96.
		{2, 4, 4, 1, 6, [][2]int{{9, 6}, {5, 3}, {3, 2}, {2, 2}, {2, 1}, {1, 1}}},
	} {
		g := newGeom(tc.heads, tc.hd, tc.points, tc.shapes)
		levels := len(tc.shapes)
		d := tc.heads * tc.hd
		rows := tc.batch * tc.nq
		lp := levels * tc.points
		value := make([]float32, tc.batch*g.seq*d)
		for i := range value {
			value[i] = float32(rng.NormFloat64())
		}
		ref := make([]float32, rows*4)
		off := make([]float32, rows*tc.heads*lp*2)
		attn := make([]float32, rows*tc.heads*lp)
		for i := range off {
			off[i] = float32(rng.NormFloat64() * 3)
		}
		for i := range attn {
			attn[i] = float32(rng.Float64())
		}
		for r := 0; r < rows; r++ {
			switch r % 4 {
			case 0: // random boxes, some reaching outside the map
				ref[4*r], ref[4*r+1] = float32(rng.Float64()*1.4-0.2), float32(rng.Float64()*1.4-0.2)
				ref[4*r+2], ref[4*r+3] = float32(rng.Float64()), float32(rng.Float64())
			case 1: // exact placements: zero size, so every point sits at ref_xy
				w0, h0 := float64(tc.shapes[0][1]), float64(tc.shapes[0][0])
				spots := []float64{0, 1, -0.5, 0.5, 1.5, w0 - 1, w0 - 0.5, w0, -1, w0 + 0.5} // pixel x (level 0)
				px := spots[(r/4)%len(spots)]
				py := []float64{0, h0 - 1, -1, h0, -0.5, h0 - 0.5, 0.5}[(r/4)%7]
				ref[4*r] = float32((px + 0.5) / w0)
				ref[4*r+1] = float32((py + 0.5) / h0)
			case 2: // the map's corners and edges
				ref[4*r] = float32(r / 4 % 2)
				ref[4*r+1] = float32(r / 8 % 2)
				ref[4*r+2], ref[4*r+3] = 0, 0
			case 3: // far away (and one large offset scale)
				ref[4*r], ref[4*r+1] = 1e6, -3
				ref[4*r+2], ref[4*r+3] = 1e30, 2
			}
		}
		out := make([]float32, rows*d)
		for i := range out {
			out[i] = float32(math.NaN()) // every element must be written
		}
		deformAttn(out, value, ref, off, attn, g, tc.batch, tc.nq, false)
		want := deformRef64(value, ref, off, attn, g, tc.batch, tc.nq)
		var maxErr float64
		for i, w := range want {
			got := float64(out[i])
			// Terms are |attn| <= 1 times bilinear mixes of N(0,1) values:
			// float32 rounding of the taps and sums stays far below 1e-5.
			if e := math.Abs(got - w); !(e <= 1e-5) {
				t.Fatalf("case %v: out[%d] = %v, want %v", tc.shapes, i, got, w)
			} else if e > maxErr {
				maxErr = e
			}
		}
		t.Logf("maps %v, heads %d x %d, %d points: max |err| %.3g", tc.shapes, tc.heads, tc.hd, tc.points, maxErr)

		// With softmax: attn holds logits, normalised per (row, head) first.
		logits := make([]float32, len(attn))
		for i := range logits {
			logits[i] = float32(rng.NormFloat64() * 2)
		}
		probs := make([]float32, len(logits))
		for i := 0; i < len(logits); i += lp {
			var sum float64
			for _, v := range logits[i : i+lp] {
				sum += math.Exp(float64(v))
			}
			for j, v := range logits[i : i+lp] {
				probs[i+j] = float32(math.Exp(float64(v)) / sum)
			}
		}
		deformAttn(out, value, ref, off, logits, g, tc.batch, tc.nq, true)
		want = deformRef64(value, ref, off, probs, g, tc.batch, tc.nq)
		for i, w := range want {
			if e := math.Abs(float64(out[i]) - w); !(e <= 1e-5) {
				t.Fatalf("case %v with softmax: out[%d] = %v, want %v", tc.shapes, i, out[i], w)
			}
		}
		for i := range probs {
			if e := math.Abs(float64(logits[i]) - float64(probs[i])); e > 1e-7 {
				t.Fatalf("case %v: softmax in place: %v, want %v", tc.shapes, logits[i], probs[i])
			}
		}
	}
}

// TestDeformAttnExactPoints checks that a point on a pixel centre reads that
// pixel exactly, and that points half a pixel or more beyond the border read
// zero.
func TestDeformAttnExactPoints(t *testing.T) {
	g := newGeom(1, 3, 1, [][2]int{{4, 8}})
	value := make([]float32, g.seq*3)
	for i := range value {
		value[i] = float32(i + 1)
	}
	for _, tc := range []struct {
		px, py float64 // pixel coordinates (grid_sample's ix, iy)
		want   [3]float32
	}{
		{0, 0, [3]float32{1, 2, 3}},
		{7, 3, [3]float32{(3*8+7)*3 + 1, (3*8+7)*3 + 2, (3*8+7)*3 + 3}},
		{2, 1, [3]float32{(8+2)*3 + 1, (8+2)*3 + 2, (8+2)*3 + 3}},
		{-1, 0, [3]float32{}},
		{8, 0, [3]float32{}},
		{0, 4, [3]float32{}},
		{-1.5, -2, [3]float32{}},
	} {
		ref := []float32{float32((tc.px + 0.5) / 8), float32((tc.py + 0.5) / 4), 0, 0}
		out := make([]float32, 3)
		deformAttn(out, value, ref, []float32{0, 0}, []float32{1}, g, 1, 1, false)
		if [3]float32(out) != tc.want {
			t.Errorf("pixel (%v, %v): got %v, want %v", tc.px, tc.py, out, tc.want)
		}
	}
	// A non-finite location gives NaN, as grid_sample's weights are NaN there.
	out := make([]float32, 3)
	deformAttn(out, value, []float32{float32(math.NaN()), 0.5, 0, 0}, []float32{0, 0}, []float32{1}, g, 1, 1, false)
	for _, v := range out {
		if !math.IsNaN(float64(v)) {
			t.Errorf("NaN location: got %v, want NaN", out)
		}
	}
}

// TestDeformGather checks the row kernel against float64 sums on ragged
// widths, with guard values around the destination.
func TestDeformGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const guard = 4
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67} {
		for _, taps := range []int{0, 1, 3, 4, 13, 64} {
			src := make([]float32, 50*n+n)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			offs := make([]int, taps)
			ws := make([]float32, taps)
			for i := range offs {
				offs[i] = rng.IntN(50*n + 1)
				ws[i] = float32(rng.NormFloat64())
			}
			buf := make([]float32, n+2*guard)
			for i := range buf {
				buf[i] = 1234.5
			}
			dst := buf[guard : guard+n]
			for i := range dst {
				dst[i] = float32(i)
			}
			deformGather(dst, src, offs, ws)
			for c := 0; c < n; c++ {
				want := float64(c)
				for i, o := range offs {
					want += float64(ws[i]) * float64(src[o+c])
				}
				if e := math.Abs(float64(dst[c]) - want); e > 1e-5*float64(taps+1) {
					t.Fatalf("n %d, taps %d: dst[%d] = %v, want %v", n, taps, c, dst[c], want)
				}
			}
			for i := 0; i < guard; i++ {
				if buf[i] != 1234.5 || buf[guard+n+i] != 1234.5 {
					t.Fatalf("n %d, taps %d: guard values overwritten", n, taps)
				}
			}
		}
	}
}

// BenchmarkDeformAttn times the sampling kernel at the size of one
// RT-DETR-R50 decoder layer on a 640x640 image: 300 queries, 8 heads of 32
// channels, levels 80x80, 40x40, 20x20, 4 points.
func BenchmarkDeformAttn(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := newGeom(8, 32, 4, [][2]int{{80, 80}, {40, 40}, {20, 20}})
	const nq = 300
	d, lp := 256, 3*4
	value := make([]float32, g.seq*d)
	for i := range value {
		value[i] = float32(rng.NormFloat64())
	}
	ref := make([]float32, nq*4)
	for i := range ref {
		ref[i] = float32(rng.Float64())
	}
	off := make([]float32, nq*8*lp*2)
	for i := range off {
		off[i] = float32(rng.NormFloat64() * 2)
	}
	attn := make([]float32, nq*8*lp)
	for i := range attn {
		attn[i] = float32(rng.Float64() / float64(lp))
	}
	out := make([]float32, nq*d)
	b.ResetTimer()
	for range b.N {
		deformAttn(out, value, ref, off, attn, g, 1, nq, false)
	}
	samples := float64(nq * 8 * lp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/samples, "ns/sample")
}
