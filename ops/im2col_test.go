package ops

import (
	"math/rand/v2"
	"testing"
)

// TestIm2ColCol2Im checks both against direct loops over windows for many
// geometries (strides, paddings wider than the map, dilations), with guard
// values after the outputs.
func TestIm2ColCol2Im(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, g := range []ConvGeom{
		{C: 2, H: 5, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 1, H: 9, W: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 6, PadW: 6, DilH: 6, DilW: 6},
		{C: 3, H: 8, W: 6, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 2, H: 16, W: 12, KH: 4, KW: 4, StrideH: 4, StrideW: 4, DilH: 1, DilW: 1},
		{C: 1, H: 3, W: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 3, PadH: 9, PadW: 9, DilH: 9, DilW: 9},
		{C: 2, H: 7, W: 5, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{C: 1, H: 1, W: 1, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
	} {
		oh, ow := g.OutSize()
		rows := g.C * g.KH * g.KW
		x := make([]float32, g.C*g.H*g.W)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		col := make([]float32, rows*oh*ow+4)
		for i := range col {
			col[i] = guard
		}
		Im2Col(col, x, g)
		want := make([]float32, rows*oh*ow)
		for ci := 0; ci < g.C; ci++ {
			for ky := 0; ky < g.KH; ky++ {
				for kx := 0; kx < g.KW; kx++ {
					row := (ci*g.KH+ky)*g.KW + kx
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							iy, ix := oy*g.StrideH-g.PadH+ky*g.DilH, ox*g.StrideW-g.PadW+kx*g.DilW
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								want[row*oh*ow+oy*ow+ox] = x[(ci*g.H+iy)*g.W+ix]
							}
						}
					}
				}
			}
		}
		for i, w := range want {
			if col[i] != w {
				t.Fatalf("%+v: Im2Col[%d] = %v, want %v", g, i, col[i], w)
			}
		}
		for _, v := range col[len(want):] {
			if v != guard {
				t.Fatalf("%+v: Im2Col wrote past its output", g)
			}
		}
		// Col2Im is the adjoint: <Im2Col(x), c> == <x, Col2Im(c)>, and
		// element by element against direct scattering.
		c := make([]float32, rows*oh*ow)
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
		dx := make([]float32, len(x)+4)
		for i := len(x); i < len(dx); i++ {
			dx[i] = guard
		}
		Col2Im(dx, c, g)
		wdx := make([]float32, len(x))
		for ci := 0; ci < g.C; ci++ {
			for ky := 0; ky < g.KH; ky++ {
				for kx := 0; kx < g.KW; kx++ {
					row := (ci*g.KH+ky)*g.KW + kx
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							iy, ix := oy*g.StrideH-g.PadH+ky*g.DilH, ox*g.StrideW-g.PadW+kx*g.DilW
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								wdx[(ci*g.H+iy)*g.W+ix] += c[row*oh*ow+oy*ow+ox]
							}
						}
					}
				}
			}
		}
		for i, w := range wdx {
			if d := dx[i] - w; d > 1e-5 || d < -1e-5 {
				t.Fatalf("%+v: Col2Im[%d] = %v, want %v", g, i, dx[i], w)
			}
		}
		for _, v := range dx[len(x):] {
			if v != guard {
				t.Fatalf("%+v: Col2Im wrote past its output", g)
			}
		}
	}
}
