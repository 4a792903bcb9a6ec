package train

import (
	"fmt"
	"github.com/ladderpose/ladderpose/internal/bitmapfont"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/ladderpose/ladderpose/pipeline"
)

// Series is one curve of a chart: points (X[i], Y[i]); NaN or infinite
// values leave a gap.
type Series struct {
	Name  string
	X, Y  []float64
	Right bool // plotted against the right-hand y axis
}

// Scale is how an axis maps values.
type Scale int

// Axis scales.
const (
	// ScaleAuto is logarithmic when every value is positive and the
	// largest is at least 100 times the smallest (losses of different
	// sizes), linear otherwise.
	ScaleAuto Scale = iota
	ScaleLinear
	ScaleLog
)

// Chart is a line chart with a left and, if a series asks for it, a right
// y axis.
type Chart struct {
	Title                         string
	XLabel, LeftLabel, RightLabel string
	Width, Height                 int // pixels (default 1000 x 600)
	LeftScale, RightScale         Scale
	Series                        []Series
}

// WriteCurves draws the series as a line chart (x axis at the bottom, left
// and right y axes, legend) and writes it as a PNG file atomically.
func WriteCurves(path string, series []Series) error {
	return Chart{Series: series}.WritePNG(path)
}

// WritePNG renders the chart and writes it as a PNG file atomically.
func (c Chart) WritePNG(path string) error {
	img, err := c.Render()
	if err != nil {
		return err
	}
	return pipeline.WritePNG(path, img)
}

// palette holds the series colours (Tableau's ten).
var palette = [...]color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

var (
	colInk   = color.RGBA{30, 30, 30, 255}
	colGrid  = color.RGBA{225, 225, 225, 255}
	colWhite = color.RGBA{255, 255, 255, 255}
)

const textScale = 2 // glyph pixels per font pixel

// axis maps data values to pixels along one direction.
type axis struct {
	lo, hi float64 // data range (log10 of it for a log axis)
	step   float64 // tick spacing of a linear axis
	log    bool
	p0, p1 float64 // pixels of lo and hi
}

func (a axis) pix(v float64) float64 {
	if a.log {
		v = math.Log10(v)
	}
	return a.p0 + (v-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

// ok reports whether v can be drawn on the axis.
func (a axis) ok(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && (!a.log || v > 0)
}

// Render draws the chart.
func (c Chart) Render() (*image.RGBA, error) {
	w, h := c.Width, c.Height
	if w == 0 && h == 0 {
		w, h = 1000, 600
	}
	if w < 200 || h < 150 || w > 10000 || h > 10000 {
		return nil, fmt.Errorf("train: chart size %dx%d must be in [200, 10000] x [150, 10000]", w, h)
	}
	for i, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("train: chart: series %d (%q) has %d x and %d y values", i, s.Name, len(s.X), len(s.Y))
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, img.Rect, colWhite)
	hasRight := false
	for _, s := range c.Series {
		hasRight = hasRight || s.Right
	}

	charH := bitmapfont.H * textScale
	top := 14
	if c.Title != "" {
		top += charH + 12
	}
	left, right, bottom := 110, 30, 60
	if c.LeftLabel != "" {
		left += charH + 8
	}
	if hasRight {
		right = 110
		if c.RightLabel != "" {
			right += charH + 8
		}
	}
	if c.XLabel != "" {
		bottom += charH + 6
	}
	legendTop := top
	top += len(c.legendRows(left, w-right))*legendRowH + 10
	plot := image.Rect(left, top, w-right, h-bottom)

	xa := makeAxis(c.values(false, false), false, float64(plot.Min.X), float64(plot.Max.X-1))
	lv, rv := c.values(true, false), c.values(true, true)
	ly := makeAxis(lv, isLog(c.LeftScale, lv), float64(plot.Max.Y-1), float64(plot.Min.Y))
	ry := makeAxis(rv, isLog(c.RightScale, rv), float64(plot.Max.Y-1), float64(plot.Min.Y))

	// Grid and ticks.
	for _, t := range ticks(xa) {
		x := int(math.Round(xa.pix(t)))
		fillRect(img, image.Rect(x, plot.Min.Y, x+1, plot.Max.Y), colGrid)
		fillRect(img, image.Rect(x, plot.Max.Y, x+1, plot.Max.Y+6), colInk)
		s := tickLabel(t, xa)
		bitmapfont.Draw(img, x-bitmapfont.Width(s, textScale)/2, plot.Max.Y+10, s, textScale, colInk, false)
	}
	for _, t := range ticks(ly) {
		y := int(math.Round(ly.pix(t)))
		fillRect(img, image.Rect(plot.Min.X, y, plot.Max.X, y+1), colGrid)
		fillRect(img, image.Rect(plot.Min.X-6, y, plot.Min.X, y+1), colInk)
		s := tickLabel(t, ly)
		bitmapfont.Draw(img, plot.Min.X-10-bitmapfont.Width(s, textScale), y-7*textScale/2, s, textScale, colInk, false)
	}
	if hasRight {
		rc := colInk
		for i, s := range c.Series {
			if s.Right {
				rc = palette[i%len(palette)]
				break
			}
		}
		for _, t := range ticks(ry) {
			y := int(math.Round(ry.pix(t)))
			fillRect(img, image.Rect(plot.Max.X, y, plot.Max.X+6, y+1), rc)
			s := tickLabel(t, ry)
			bitmapfont.Draw(img, plot.Max.X+10, y-7*textScale/2, s, textScale, rc, false)
		}
	}
	// Frame.
	fillRect(img, image.Rect(plot.Min.X-1, plot.Min.Y-1, plot.Max.X+1, plot.Min.Y), colInk)
	fillRect(img, image.Rect(plot.Min.X-1, plot.Max.Y, plot.Max.X+1, plot.Max.Y+1), colInk)
	fillRect(img, image.Rect(plot.Min.X-1, plot.Min.Y-1, plot.Min.X, plot.Max.Y+1), colInk)
	fillRect(img, image.Rect(plot.Max.X, plot.Min.Y-1, plot.Max.X+1, plot.Max.Y+1), colInk)

	// Labels.
	if c.Title != "" {
		bitmapfont.Draw(img, (w-bitmapfont.Width(c.Title, textScale))/2, 14, c.Title, textScale, colInk, false)
	}
	if c.XLabel != "" {
		bitmapfont.Draw(img, (plot.Min.X+plot.Max.X-bitmapfont.Width(c.XLabel, textScale))/2, h-charH-8, c.XLabel, textScale, colInk, false)
	}
	midY := (plot.Min.Y + plot.Max.Y) / 2
	if c.LeftLabel != "" {
		bitmapfont.Draw(img, 8, midY+bitmapfont.Width(c.LeftLabel, textScale)/2, c.LeftLabel, textScale, colInk, true)
	}
	if hasRight && c.RightLabel != "" {
		bitmapfont.Draw(img, w-8-charH, midY+bitmapfont.Width(c.RightLabel, textScale)/2, c.RightLabel, textScale, colInk, true)
	}

	// Curves, each through a coverage mask so that joints are not drawn
	// twice.
	mask := make([]float32, plot.Dx()*plot.Dy())
	for i, s := range c.Series {
		ya := ly
		if s.Right {
			ya = ry
		}
		clear(mask)
		n := 0
		for j := range s.X {
			if xa.ok(s.X[j]) && ya.ok(s.Y[j]) {
				n++
			}
		}
		prev := false
		var px, py float64
		for j := range s.X {
			if !xa.ok(s.X[j]) || !ya.ok(s.Y[j]) {
				prev = false
				continue
			}
			x, y := xa.pix(s.X[j]), ya.pix(s.Y[j])
			if prev {
				segment(mask, plot, px, py, x, y, 1.25)
			}
			if n <= 40 {
				segment(mask, plot, x, y, x, y, 3)
			}
			px, py, prev = x, y, true
		}
		blendMask(img, plot, mask, palette[i%len(palette)])
	}

	c.legend(img, plot.Min.X, legendTop, plot.Max.X)
	return img, nil
}

// values returns the finite x values (y false) or the y values of the
// series on one side (y true, right selects the side).
func (c Chart) values(y, right bool) []float64 {
	var out []float64
	for _, s := range c.Series {
		v := s.X
		if y {
			if s.Right != right {
				continue
			}
			v = s.Y
		}
		for _, f := range v {
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				out = append(out, f)
			}
		}
	}
	return out
}

func isLog(s Scale, v []float64) bool {
	switch s {
	case ScaleLog:
		for _, f := range v {
			if f > 0 {
				return true
			}
		}
		return false // nothing positive to show
	case ScaleLinear:
		return false
	}
	if len(v) == 0 {
		return false
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, f := range v {
		lo, hi = min(lo, f), max(hi, f)
	}
	return lo > 0 && hi >= 100*lo
}

// makeAxis fits an axis to the values: a linear axis to nice round limits
// around them, a log axis to whole or half decades.
func makeAxis(v []float64, log bool, p0, p1 float64) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, f := range v {
		if log && f <= 0 {
			continue
		}
		if log {
			f = math.Log10(f)
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	a := axis{log: log, p0: p0, p1: p1}
	switch {
	case lo > hi: // no data
		a.lo, a.hi, a.step = 0, 1, 0.2
		a.log = false
	case log:
		a.lo, a.hi = math.Floor(lo*2)/2, math.Ceil(hi*2)/2
		if a.hi-a.lo < 1 {
			a.hi = a.lo + 1
		}
		pad := 0.03 * (a.hi - a.lo) // keep points off the frame
		a.lo, a.hi = a.lo-pad, a.hi+pad
	default:
		if lo == hi {
			d := math.Max(math.Abs(lo)*0.1, 0.5)
			lo, hi = lo-d, hi+d
		}
		a.step = niceStep((hi - lo) / 5)
		a.lo, a.hi = math.Floor(lo/a.step)*a.step, math.Ceil(hi/a.step)*a.step
	}
	return a
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten.
func niceStep(d float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(d)))
	for _, m := range []float64{1, 2, 5, 10} {
		if d <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// ticks returns the tick values of an axis (data values, not logs).
func ticks(a axis) []float64 {
	var out []float64
	if a.log {
		span := a.hi - a.lo
		for e := math.Floor(a.lo); e <= math.Ceil(a.hi); e++ {
			for _, m := range []float64{1, 2, 5} {
				if m != 1 && span > 3.5 {
					continue
				}
				v := m * math.Pow(10, e)
				if l := math.Log10(v); l >= a.lo-1e-9 && l <= a.hi+1e-9 {
					out = append(out, v)
				}
			}
		}
		return out
	}
	step := a.step
	for i := 0; ; i++ {
		v := a.lo + float64(i)*step
		if v > a.hi+step*1e-6 || i > 100 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

// tickLabel formats a tick value with the digits its axis needs.
func tickLabel(v float64, a axis) string {
	if a.log {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	step := a.step
	if m := math.Max(math.Abs(a.lo), math.Abs(a.hi)); m >= 1e6 || m < 1e-3 && m > 0 {
		return strconv.FormatFloat(v, 'e', 1, 64)
	}
	digits := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// legendRows splits the legend entries into rows that fit between x0 and
// x1; each entry is a colour sample and the series name.
func (c Chart) legendRows(x0, x1 int) [][]int {
	var rows [][]int
	x := x0
	for i := range c.Series {
		w := legendEntryWidth(c.legendName(i))
		if len(rows) == 0 || (x+w > x1 && x > x0) {
			rows = append(rows, nil)
			x = x0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], i)
		x += w
	}
	return rows
}

func legendEntryWidth(name string) int { return 40 + bitmapfont.Width(name, textScale) + 30 }

func (c Chart) legendName(i int) string {
	if c.Series[i].Right && c.hasBothSides() {
		return c.Series[i].Name + " (right)"
	}
	return c.Series[i].Name
}

const legendRowH = bitmapfont.H*textScale + 8

// legend draws the series names in rows above the plot, from y = top.
func (c Chart) legend(img *image.RGBA, x0, top, x1 int) {
	for r, row := range c.legendRows(x0, x1) {
		x := x0
		y := top + r*legendRowH
		for _, i := range row {
			col := palette[i%len(palette)]
			fillRect(img, image.Rect(x, y+7, x+30, y+10), col)
			bitmapfont.Draw(img, x+40, y, c.legendName(i), textScale, colInk, false)
			x += legendEntryWidth(c.legendName(i))
		}
	}
}

func (c Chart) hasBothSides() bool {
	l, r := false, false
	for _, s := range c.Series {
		if s.Right {
			r = true
		} else {
			l = true
		}
	}
	return l && r
}

// segment adds the coverage of a round-capped line of half-width r from
// (x0, y0) to (x1, y1) to mask (one value per pixel of plot, the maximum
// of the coverages drawn).
func segment(mask []float32, plot image.Rectangle, x0, y0, x1, y1, r float64) {
	minX := max(int(math.Floor(min(x0, x1)-r-1)), plot.Min.X)
	maxX := min(int(math.Ceil(max(x0, x1)+r+1)), plot.Max.X-1)
	minY := max(int(math.Floor(min(y0, y1)-r-1)), plot.Min.Y)
	maxY := min(int(math.Ceil(max(y0, y1)+r+1)), plot.Max.Y-1)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			px, py := float64(x)-x0, float64(y)-y0
			t := 0.0
			if l2 > 0 {
				t = min(max((px*dx+py*dy)/l2, 0), 1)
			}
			ex, ey := px-t*dx, py-t*dy
			cov := float32(min(max(r+0.5-math.Sqrt(ex*ex+ey*ey), 0), 1))
			i := (y-plot.Min.Y)*plot.Dx() + x - plot.Min.X
			mask[i] = max(mask[i], cov)
		}
	}
}

// blendMask paints colour c over plot with the mask's coverage.
func blendMask(img *image.RGBA, plot image.Rectangle, mask []float32, c color.RGBA) {
	for y := plot.Min.Y; y < plot.Max.Y; y++ {
		for x := plot.Min.X; x < plot.Max.X; x++ {
			a := mask[(y-plot.Min.Y)*plot.Dx()+x-plot.Min.X]
			if a == 0 {
				continue
			}
			o := img.PixOffset(x, y)
			p := img.Pix[o : o+3 : o+3]
			p[0] = uint8(float32(p[0])*(1-a) + float32(c.R)*a + 0.5)
			p[1] = uint8(float32(p[1])*(1-a) + float32(c.G)*a + 0.5)
			p[2] = uint8(float32(p[2])*(1-a) + float32(c.B)*a + 0.5)
		}
	}
}

// fillRect paints r (clipped to img) with c.
func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}
