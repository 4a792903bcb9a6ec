package pipeline

import (
	"fmt"
	"github.com/ladderpose/ladderpose/internal/bitmapfont"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/ladderpose/ladderpose/coco"
)

// turboStops approximate the "turbo" colour map at evenly spaced points of
// [0, 1].
var turboStops = [...][3]float64{
	{48, 18, 59}, {70, 107, 227}, {40, 187, 236}, {50, 241, 152},
	{164, 252, 60}, {250, 186, 57}, {228, 76, 23}, {122, 4, 3},
}

// colourMap returns the colour of t in [0, 1] on the turbo map.
func colourMap(t float64) color.RGBA {
	t = math.Min(1, math.Max(0, t)) * float64(len(turboStops)-1)
	i := min(int(t), len(turboStops)-2)
	f := t - float64(i)
	var c [3]uint8
	for j := range c {
		c[j] = uint8(math.Round(turboStops[i][j]*(1-f) + turboStops[i+1][j]*f))
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}

// gridColumns is the number of tiles per row of a heatmap grid.
const gridColumns = 6

// HeatmapGrid tiles one person's heatmaps for inspection: one tile per
// keypoint and a last tile with their maximum, each the crop dimmed, the
// heatmap upsampled over it (UDP alignment: heatmap corner pixels on crop
// corner pixels) in a colour map from 0 to the largest value of all the maps
// (at least 1), the argmax ringed, and a label with the keypoint's name (COCO's names for 17
// keypoints) and its peak value. Tiles have the crop's size; crop may be nil
// (black tiles of 4x the heatmap size).
func HeatmapGrid(crop image.Image, hm Heatmaps) (*image.RGBA, error) {
	if err := hm.Check(); err != nil {
		return nil, fmt.Errorf("heatmap grid: %w", err)
	}
	tw, th := 4*hm.W, 4*hm.H
	if crop != nil {
		tw, th = crop.Bounds().Dx(), crop.Bounds().Dy()
		if tw < 2 || th < 2 {
			return nil, fmt.Errorf("heatmap grid: crop of %dx%d pixels is too small", tw, th)
		}
	}
	tiles := hm.K + 1
	cols := min(gridColumns, tiles)
	rows := (tiles + cols - 1) / cols
	const gap = 2
	out := image.NewRGBA(image.Rect(0, 0, cols*tw+(cols-1)*gap, rows*th+(rows-1)*gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)

	// The dimmed crop, shared by all tiles.
	bg := image.NewRGBA(image.Rect(0, 0, tw, th))
	if crop != nil {
		draw.Draw(bg, bg.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
		draw.Draw(bg, bg.Bounds(), crop, crop.Bounds().Min, draw.Over)
		for i := 0; i < len(bg.Pix); i += 4 {
			l := (uint32(bg.Pix[i])*3 + uint32(bg.Pix[i+1])*6 + uint32(bg.Pix[i+2])) / 10
			for c := 0; c < 3; c++ {
				bg.Pix[i+c] = uint8((uint32(bg.Pix[i+c]) + l) * 3 / 10)
			}
		}
	} else {
		draw.Draw(bg, bg.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	}

	// One colour scale for all tiles, from 0 to the largest value (at least
	// 1), so that weak maps look weak; the last tile is the maximum of all.
	n := hm.H * hm.W
	peaks := make([]float64, hm.K+1)
	top := 1.0
	for k := 0; k < hm.K; k++ {
		peak := math.Inf(-1)
		for _, v := range hm.Map(k) {
			peak = math.Max(peak, float64(v))
		}
		peaks[k] = peak
		top = math.Max(top, peak)
	}
	peaks[hm.K] = math.NaN()
	norm := make([]float64, (hm.K+1)*n)
	all := norm[hm.K*n:]
	for k := 0; k < hm.K; k++ {
		dst := norm[k*n : (k+1)*n]
		for i, v := range hm.Map(k) {
			dst[i] = math.Max(0, float64(v)/top)
			all[i] = math.Max(all[i], dst[i])
		}
	}

	for t := 0; t < tiles; t++ {
		ox, oy := (t%cols)*(tw+gap), (t/cols)*(th+gap)
		tile := out.SubImage(image.Rect(ox, oy, ox+tw, oy+th)).(*image.RGBA)
		draw.Draw(tile, tile.Bounds(), bg, image.Point{}, draw.Src)
		m := norm[t*n : (t+1)*n]
		for y := 0; y < th; y++ {
			hy := float64(y) * float64(hm.H-1) / float64(th-1)
			for x := 0; x < tw; x++ {
				hx := float64(x) * float64(hm.W-1) / float64(tw-1)
				v := bilinear(m, hm.W, hm.H, hx, hy)
				if v > 0.02 {
					blend(tile, ox+x, oy+y, colourMap(v), math.Min(1, 0.25+v))
				}
			}
		}
		name := "all"
		if t < hm.K {
			name = fmt.Sprintf("k%d", t)
			if hm.K == coco.NumKeypoints {
				name = coco.KeypointNames[t]
			}
			if peaks[t] > 0 {
				px, py, _, _ := argmax(hm.Map(t), hm.W)
				cx := float64(ox) + float64(px)*float64(tw-1)/float64(hm.W-1)
				cy := float64(oy) + float64(py)*float64(th-1)/float64(hm.H-1)
				ring(tile, cx, cy, math.Max(4, float64(tw)/32))
			}
		}
		label(tile, ox, oy, tw, name, peaks[t])
	}
	return out, nil
}

// bilinear samples a w x h map at (x, y) inside it.
func bilinear(m []float64, w, h int, x, y float64) float64 {
	x0, y0 := min(int(x), w-1), min(int(y), h-1)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	top := m[y0*w+x0]*(1-fx) + m[y0*w+x1]*fx
	bot := m[y1*w+x0]*(1-fx) + m[y1*w+x1]*fx
	return top*(1-fy) + bot*fy
}

// ring draws a white circle of radius r around (cx, cy) with a dark edge.
func ring(dst *image.RGBA, cx, cy, r float64) {
	b := dst.Bounds()
	for y := max(b.Min.Y, int(cy-r-2)); y <= min(b.Max.Y-1, int(cy+r+2)); y++ {
		for x := max(b.Min.X, int(cx-r-2)); x <= min(b.Max.X-1, int(cx+r+2)); x++ {
			d := math.Abs(math.Hypot(float64(x)-cx, float64(y)-cy) - r)
			if a := 1.5 - d; a > 0 {
				blend(dst, x, y, color.RGBA{255, 255, 255, 255}, math.Min(1, a))
			} else if a := 2.5 - d; a > 0 {
				blend(dst, x, y, color.RGBA{0, 0, 0, 255}, 0.5*math.Min(1, a))
			}
		}
	}
}

// label writes a tile's name and peak value in its top-left corner over a
// translucent dark band, at twice the font size where the name fits.
func label(tile *image.RGBA, ox, oy, tw int, name string, peak float64) {
	value := ""
	if !math.IsNaN(peak) {
		value = fmt.Sprintf("%.3f", peak)
	}
	scale := 2
	if w := bitmapfont.Width(name, 2); w > tw-8 {
		scale = 1
	}
	nw, nh := bitmapfont.Width(name, scale), bitmapfont.H*scale
	vw, vh := bitmapfont.Width(value, scale), bitmapfont.H*scale
	bandH := 4 + nh
	if value != "" {
		bandH += 2 + vh
	}
	fillRect(tile, image.Rect(ox, oy, ox+max(nw, vw)+8, oy+bandH), color.RGBA{0, 0, 0, 255}, 0.6)
	bitmapfont.Draw(tile, ox+4, oy+3, name, scale, color.RGBA{255, 255, 255, 255}, false)
	if value != "" {
		bitmapfont.Draw(tile, ox+4, oy+5+nh, value, scale, color.RGBA{220, 220, 220, 255}, false)
	}
}
