package ops

import (
	"math/rand/v2"
	"testing"
)

// TestIm2colPanels checks that im2colPanels writes exactly what im2colRow
// followed by panelRow write, for every patch row, on ragged sizes, strides,
// dilations and paddings, blocks that start mid-row and partial panel
// ranges, and nothing outside its panel rows (guard values everywhere else).
func TestIm2colPanels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const guard = -7777
	for _, c := range []struct {
		h, w, k, stride, pad, dil, nr int
	}{
		{5, 7, 3, 1, 1, 1, 16}, {5, 7, 3, 1, 1, 1, 32}, {33, 31, 3, 2, 1, 1, 32}, {9, 80, 3, 1, 1, 1, 32},
		{12, 13, 1, 1, 0, 1, 32}, {11, 9, 3, 1, 2, 2, 16}, {4, 3, 5, 1, 2, 1, 32}, {1, 1, 3, 1, 1, 1, 32},
		{40, 40, 3, 2, 1, 1, 32}, {17, 6, 7, 2, 3, 1, 16},
	} {
		p := Conv2DParams{InC: 2, OutC: 1, KH: c.k, KW: c.k, StrideH: c.stride, StrideW: c.stride,
			PadH: c.pad, PadW: c.pad, DilH: c.dil, DilW: c.dil}.withDefaults()
		oh, ow := p.OutSize(c.h, c.w)
		x := make([]float32, p.InC*c.h*c.w)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		rows := p.InC * p.KH * p.KW
		for _, j0 := range []int{0, 1, ow - 1, oh * ow / 2} {
			for _, cols := range []int{1, c.nr - 1, c.nr + 3, 3*c.nr + 5} {
				cols = min(cols, oh*ow-j0)
				if cols <= 0 {
					continue
				}
				np := (cols + c.nr - 1) / c.nr
				for _, pr := range [][2]int{{0, np}, {np / 2, np}, {0, (np + 1) / 2}} {
					jp0, jp1 := pr[0], pr[1]
					if jp0 >= jp1 {
						continue
					}
					kcb := rows
					want := make([]float32, (jp1-jp0)*kcb*c.nr)
					got := make([]float32, len(want)+32)
					for i := range got {
						got[i] = guard
					}
					row := make([]float32, cols)
					for i := 0; i < rows; i++ {
						im2colRow(row, x, &p, i, c.h, c.w, ow, j0)
						panelRow(want, row, i, kcb, jp0, jp1, c.nr)
						im2colPanels(got[16:16+len(want)], x, &p, i, c.h, c.w, ow, j0, cols, i, kcb, jp0, jp1, c.nr)
					}
					for i, v := range want {
						if got[16+i] != v {
							t.Fatalf("%+v j0 %d cols %d panels %d..%d: value %d = %v, want %v", c, j0, cols, jp0, jp1, i, got[16+i], v)
						}
					}
					for i := 0; i < 16; i++ {
						if got[i] != guard || got[len(got)-1-i] != guard {
							t.Fatalf("%+v j0 %d cols %d: wrote outside the panels", c, j0, cols)
						}
					}
				}
			}
		}
	}
}

// panelRow stores a patch row (all the block's columns) as row i of
// consecutive kcb x nr panels jp0..jp1-1 in dst (the layout bFiller
// writes), zero-padding the columns of the last panel past len(row).
func panelRow(dst, row []float32, i, kcb, jp0, jp1, nr int) {
	for jp := jp0; jp < jp1; jp++ {
		d := dst[((jp-jp0)*kcb+i)*nr : ((jp-jp0)*kcb+i+1)*nr]
		t0 := jp * nr
		if t0+nr <= len(row) {
			switch nr {
			case 16:
				copy16(d, row[t0:t0+16])
			case 32:
				copy16(d, row[t0:t0+16])
				copy16(d[16:], row[t0+16:t0+32])
			default:
				copy(d, row[t0:t0+nr])
			}
			continue
		}
		m := copy(d, row[t0:])
		clear(d[m:])
	}
}

// im2colRow fills one row of an im2col block: row r = (ci*KH + ky)*KW + kx
// of the patch matrix, for output positions j0 .. j0+len(out)-1 (row-major
// over the oh x ow output), with zeros where the tap falls in the padding.
func im2colRow(out, x []float32, p *Conv2DParams, r, h, w, ow, j0 int) {
	kx := r % p.KW
	ky := r / p.KW % p.KH
	ci := r / (p.KW * p.KH)
	plane := x[ci*h*w : (ci+1)*h*w]
	sw := p.StrideW
	offX := kx*p.DilW - p.PadW // ix = ox*sw + offX
	// Output columns whose tap is inside the input: ox in [oxLo, oxHi).
	oxLo := 0
	if offX < 0 {
		oxLo = (-offX + sw - 1) / sw
	}
	oxHi := 0
	if w-offX > 0 {
		oxHi = (w - offX + sw - 1) / sw
	}
	oxHi = min(oxHi, ow)
	oxLo = min(oxLo, oxHi)
	for t := 0; t < len(out); {
		j := j0 + t
		oy, ox0 := j/ow, j%ow
		ox1 := min(ow, ox0+len(out)-t)
		seg := out[t : t+ox1-ox0]
		t += ox1 - ox0
		iy := oy*p.StrideH - p.PadH + ky*p.DilH
		if iy < 0 || iy >= h {
			clear(seg)
			continue
		}
		row := plane[iy*w : (iy+1)*w]
		a, b := max(oxLo, ox0), min(oxHi, ox1) // valid part, in output columns
		if a >= b {
			clear(seg)
			continue
		}
		clear(seg[:a-ox0])
		clear(seg[b-ox0:])
		mid := seg[a-ox0 : b-ox0]
		ix := a*sw + offX
		if sw == 1 {
			copy(mid, row[ix:ix+len(mid)])
			continue
		}
		for i := range mid {
			mid[i] = row[ix+i*sw]
		}
	}
}
