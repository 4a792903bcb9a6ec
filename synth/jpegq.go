package synth

import (
	"fmt"
	"math"
)

// JPEG artefacts are produced by running the lossy half of baseline JPEG
// (ITU-T T.81 with JFIF colour) on the frame: RGB to YCbCr, 4:2:0 chroma
// subsampling, 8x8 DCT, quantisation with the standard tables scaled by
// the quality as libjpeg does, then the inverse. Skipping the (lossless)
// entropy coding leaves the picture a real encoder would produce, without
// a round trip through bytes, so float crops keep their precision.

// Standard luminance and chrominance quantisation tables (T.81 annex K), in
// natural (row-major) order.
var (
	stdLumaQ = [64]float64{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	}
	stdChromaQ = [64]float64{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	}
)

// dctBasis[u][x] = C(u)/2 * cos((2x+1) u pi / 16), the orthonormal 8-point
// DCT-II matrix.
var dctBasis = func() (m [8][8]float64) {
	for u := 0; u < 8; u++ {
		cu := 0.5
		if u == 0 {
			cu = 0.5 / math.Sqrt2
		}
		for x := 0; x < 8; x++ {
			m[u][x] = cu * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
		}
	}
	return
}()

// scaledTable returns a quantisation table for the quality (1..100) as
// libjpeg's jpeg_quality_scaling and jpeg_add_quant_table do (baseline,
// entries clamped to [1, 255]).
func scaledTable(base *[64]float64, quality int) [64]float64 {
	var scale int
	if quality < 50 {
		scale = 5000 / quality
	} else {
		scale = 200 - 2*quality
	}
	var t [64]float64
	for i, b := range base {
		t[i] = clamp(math.Floor((b*float64(scale)+50)/100), 1, 255)
	}
	return t
}

// quantBlock runs DCT, quantisation, dequantisation and inverse DCT on one
// 8x8 block of level-shifted samples in place.
func quantBlock(b *[64]float64, q *[64]float64) {
	var tmp, co [64]float64
	for y := 0; y < 8; y++ { // rows
		for u := 0; u < 8; u++ {
			s := 0.0
			for x := 0; x < 8; x++ {
				s += dctBasis[u][x] * b[y*8+x]
			}
			tmp[y*8+u] = s
		}
	}
	for u := 0; u < 8; u++ { // columns
		for v := 0; v < 8; v++ {
			s := 0.0
			for y := 0; y < 8; y++ {
				s += dctBasis[v][y] * tmp[y*8+u]
			}
			co[v*8+u] = math.Round(s/q[v*8+u]) * q[v*8+u]
		}
	}
	for u := 0; u < 8; u++ { // inverse, columns
		for y := 0; y < 8; y++ {
			s := 0.0
			for v := 0; v < 8; v++ {
				s += dctBasis[v][y] * co[v*8+u]
			}
			tmp[y*8+u] = s
		}
	}
	for y := 0; y < 8; y++ { // inverse, rows
		for x := 0; x < 8; x++ {
			s := 0.0
			for u := 0; u < 8; u++ {
				s += dctBasis[u][x] * tmp[y*8+u]
			}
			b[y*8+x] = s
		}
	}
}

// quantPlane compresses a w x h plane of 0..255 samples in place; edge
// blocks are padded by repeating the last row and column, as encoders do.
func quantPlane(p []float64, w, h int, q *[64]float64) {
	var b [64]float64
	for by := 0; by < h; by += 8 {
		for bx := 0; bx < w; bx += 8 {
			for y := 0; y < 8; y++ {
				sy := min(by+y, h-1)
				for x := 0; x < 8; x++ {
					b[y*8+x] = p[sy*w+min(bx+x, w-1)] - 128
				}
			}
			quantBlock(&b, q)
			for y := 0; y < 8 && by+y < h; y++ {
				for x := 0; x < 8 && bx+x < w; x++ {
					p[(by+y)*w+bx+x] = b[y*8+x] + 128
				}
			}
		}
	}
}

// JPEGArtefacts gives f the blocking, ringing and colour bleeding of a JPEG
// saved at the given quality (1 to 100, libjpeg's scale; below about 30 the
// artefacts are plain to see). Samples are clamped to [0, 1] first, as an
// encoder's input is, and the result is not rounded to bytes. It fails on
// a malformed frame or a quality outside 1 to 100.
func JPEGArtefacts(f *Frame, quality int) error {
	if err := checkEffect("JPEGArtefacts", f); err != nil {
		return err
	}
	if quality < 1 || quality > 100 {
		return fmt.Errorf("synth: JPEGArtefacts: quality %d not in [1, 100]", quality)
	}
	f.clampUnit()
	lq := scaledTable(&stdLumaQ, quality)
	cq := scaledTable(&stdChromaQ, quality)
	w, h := f.W, f.H
	n := w * h
	cw, ch := (w+1)/2, (h+1)/2
	yp := make([]float64, n)
	cb := make([]float64, cw*ch)
	cr := make([]float64, cw*ch)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			r, g, b := 255*float64(f.Pix[i]), 255*float64(f.Pix[n+i]), 255*float64(f.Pix[2*n+i])
			yp[i] = 0.299*r + 0.587*g + 0.114*b
			j := (y/2)*cw + x/2
			// Box-filtered 2x2 chroma (edge pixels count for the missing ones).
			cb[j] += (-0.168736*r - 0.331264*g + 0.5*b) / 4
			cr[j] += (0.5*r - 0.418688*g - 0.081312*b) / 4
		}
	}
	if w%2 == 1 || h%2 == 1 { // odd edges: rescale partial 2x2 cells
		for cy := 0; cy < ch; cy++ {
			for cx := 0; cx < cw; cx++ {
				cnt := float64(min(2, w-2*cx) * min(2, h-2*cy))
				if cnt < 4 {
					cb[cy*cw+cx] *= 4 / cnt
					cr[cy*cw+cx] *= 4 / cnt
				}
			}
		}
	}
	for i := range cb {
		cb[i] += 128
		cr[i] += 128
	}
	quantPlane(yp, w, h, &lq)
	quantPlane(cb, cw, ch, &cq)
	quantPlane(cr, cw, ch, &cq)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			j := (y/2)*cw + x/2
			yy, u, v := yp[i], cb[j]-128, cr[j]-128
			f.Pix[i] = float32((yy + 1.402*v) / 255)
			f.Pix[n+i] = float32((yy - 0.344136*u - 0.714136*v) / 255)
			f.Pix[2*n+i] = float32((yy + 1.772*u) / 255)
		}
	}
	return nil
}
